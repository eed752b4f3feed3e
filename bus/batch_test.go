package bus

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// batchRecorder collects the batches a batch handler saw, failed attempts included.
type batchRecorder struct {
	mu       sync.Mutex
	attempts [][]string // IDs of every call, in call order
	ok       []commerce.Event
}

// add records a call; ok reports whether the handler succeeds on it.
func (r *batchRecorder) add(evs []commerce.Event, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, eventIDs(evs))
	if ok {
		r.ok = append(r.ok, evs...)
	}
}

// handled is how many events calls that succeeded carried.
func (r *batchRecorder) handled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ok)
}

func (r *batchRecorder) handledEvents() []commerce.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ok)
}

func (r *batchRecorder) handledIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return eventIDs(r.ok)
}

func (r *batchRecorder) calls() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// recording returns a batch handler that records every call and succeeds.
func (r *batchRecorder) recording() BatchHandler {
	return func(ctx context.Context, evs []commerce.Event) error {
		r.add(evs, true)
		return nil
	}
}

func TestConsumerBatchDeliversInOrder(t *testing.T) {
	scenarios := []struct {
		name     string
		maxBatch int
		events   int
	}{
		{name: "bulk change in batches of 1000", maxBatch: 1000, events: 2500},
		{name: "odd batch size", maxBatch: 7, events: 60},
		{name: "batches of one", maxBatch: 1, events: 10},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := openBus(t, t.TempDir())
			want := publishAll(t, b, "catalog.product_updated", 1, sc.events)
			publishAll(t, b, "orders.placed", uint64(sc.events)+1, 3) // filtered out
			var rec batchRecorder
			c, err := b.SubscribeBatch(t.Context(), "index", []string{"um.catalog.>"}, rec.recording(), sc.maxBatch)
			if err != nil {
				t.Fatal(err)
			}
			poll.Until(t, "all events handled", func() bool { return rec.handled() >= len(want) })
			waitIdle(t, c)

			// In stream order, each exactly once.
			if err := sameIDs(rec.handledIDs(), eventIDs(want)); err != nil {
				t.Fatal(err)
			}
			calls := rec.calls()
			largest := 0
			for i, ids := range calls {
				if len(ids) == 0 || len(ids) > sc.maxBatch {
					t.Fatalf("batch %d has %d events, want 1..%d", i, len(ids), sc.maxBatch)
				}
				largest = max(largest, len(ids))
			}
			if sc.maxBatch > 1 && largest == 1 {
				t.Fatalf("%d events came one per batch", len(want))
			}
			if st := c.Stats(); st.Handled != uint64(len(want)) || st.Failed != 0 {
				t.Fatalf("stats %+v, want %d handled", st, len(want))
			}
			got := rec.handledEvents()
			decoded := got[len(got)-1]
			if last := want[len(want)-1]; decoded.Seq != last.Seq || decoded.Type != last.Type || string(decoded.Data) != string(last.Data) {
				t.Fatalf("last event decoded as %+v, want %+v", decoded, last)
			}
		})
	}
}

func TestConsumerBatchRetries(t *testing.T) {
	scenarios := []struct {
		name       string
		maxDeliver int
		failures   int  // how often the first batch fails
		panics     bool // fail by panicking instead of returning an error
		wantFirst  bool // whether the first batch is eventually handled
	}{
		{name: "error then success", maxDeliver: 10, failures: 1, wantFirst: true},
		{name: "panic then success", maxDeliver: 10, failures: 2, panics: true, wantFirst: true},
		{name: "gives up after max deliveries", maxDeliver: 3, failures: 1000, wantFirst: false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := openBus(t, t.TempDir())
			evs := publishAll(t, b, "catalog.product_updated", 1, 40)
			var (
				rec     batchRecorder
				tries   int      // calls with the first batch; only the handler goroutine uses it
				first   []string // the first batch, as first delivered
				settled atomic.Bool
			)
			handler := func(ctx context.Context, batch []commerce.Event) error {
				if batch[0].ID == evs[0].ID {
					tries++
					if first == nil {
						first = eventIDs(batch)
					}
				} else {
					settled.Store(true)
				}
				if batch[0].ID == evs[0].ID && tries <= sc.failures {
					rec.add(batch, false)
					if sc.panics {
						panic("handler bug")
					}
					return errors.New("index unavailable")
				}
				rec.add(batch, true)
				return nil
			}
			c, err := b.SubscribeBatch(t.Context(), "index", nil, handler, 16,
				WithRetryDelay(0), WithMaxDeliver(sc.maxDeliver))
			if err != nil {
				t.Fatal(err)
			}
			poll.Until(t, "first batch settled", settled.Load)
			poll.Until(t, "the rest handled", func() bool {
				return rec.handled() == len(evs) || (!sc.wantFirst && rec.handled() == len(evs)-len(first))
			})
			waitIdle(t, c)

			// The same batch, in the same order, until it is settled; nothing after it before.
			attempts := min(sc.failures+1, sc.maxDeliver)
			calls := rec.calls()
			for i := range attempts {
				if !slices.Equal(calls[i], first) {
					t.Fatalf("call %d got %v, want the first batch again %v", i, calls[i], first)
				}
			}
			want := evs
			if !sc.wantFirst {
				want = evs[len(first):]
			}
			if err := sameIDs(rec.handledIDs(), eventIDs(want)); err != nil {
				t.Fatal(err)
			}
			wantFailed := min(sc.failures, sc.maxDeliver) * len(first)
			if st := c.Stats(); st.Handled != uint64(len(want)) || st.Failed != uint64(wantFailed) {
				t.Fatalf("stats %+v, want %d handled and %d failed", st, len(want), wantFailed)
			}
		})
	}
}

func TestConsumerBatchLeavesOutUndecodableEvents(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	want := publishAll(t, b, "catalog.product_created", 1, 3)
	if _, err := b.js.PublishMsg(t.Context(), &nats.Msg{Subject: "um.catalog.garbled", Data: []byte("{nope")}); err != nil {
		t.Fatal(err)
	}
	want = append(want, publishAll(t, b, "catalog.product_updated", 4, 2)...)
	var rec batchRecorder
	c, err := b.SubscribeBatch(t.Context(), "index", nil, rec.recording(), 100)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "events handled", func() bool { return rec.handled() == len(want) })
	waitIdle(t, c)
	if err := sameIDs(rec.handledIDs(), eventIDs(want)); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Handled != uint64(len(want)) || st.Failed != 1 {
		t.Fatalf("stats %+v, want %d handled and 1 failed", st, len(want))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// Settled: a restart does not deliver it again.
	b2 := openBus(t, dir)
	fresh := publishAll(t, b2, "catalog.product_deleted", 6, 1)
	var after batchRecorder
	c2, err := b2.SubscribeBatch(t.Context(), "index", nil, after.recording(), 100)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "fresh event handled", func() bool { return after.handled() == len(fresh) })
	waitIdle(t, c2)
	if err := sameIDs(after.handledIDs(), eventIDs(fresh)); err != nil {
		t.Fatal(err)
	}
	if st := c2.Stats(); st.Failed != 0 {
		t.Fatalf("stats after restart %+v, want no failures", st)
	}
}

func TestConsumerBatchDeliversALoneEventPromptly(t *testing.T) {
	b := openBus(t, t.TempDir())
	var rec batchRecorder
	c, err := b.SubscribeBatch(t.Context(), "index", nil, rec.recording(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []commerce.Event
	for i := range 3 {
		// One at a time: each is handled on its own, without waiting for a batch to fill.
		ev := publishAll(t, b, "catalog.product_updated", uint64(i+1), 1)
		want = append(want, ev...)
		poll.Until(t, "lone event handled", func() bool { return rec.handled() == len(want) })
	}
	waitIdle(t, c)
	if err := sameIDs(rec.handledIDs(), eventIDs(want)); err != nil {
		t.Fatal(err)
	}
	for i, ids := range rec.calls() {
		if len(ids) != 1 {
			t.Fatalf("batch %d has %d events, want 1", i, len(ids))
		}
	}
}

func TestConsumerBatchKeepsPositionAcrossRestart(t *testing.T) {
	scenarios := []struct {
		name string
		// failing makes the first run's handler fail with a long retry delay, so its batch
		// is still unacknowledged when the bus closes.
		failing bool
	}{
		{name: "acknowledged batches stay acknowledged"},
		{name: "an unacknowledged batch comes back first", failing: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
			if err != nil {
				t.Fatal(err)
			}
			old := publishAll(t, b, "catalog.product_created", 1, 30)
			var before batchRecorder
			handler := before.recording()
			if sc.failing {
				handler = func(ctx context.Context, evs []commerce.Event) error {
					before.add(evs, false)
					return errors.New("index unavailable")
				}
			}
			c, err := b.SubscribeBatch(t.Context(), "index", nil, handler, 1000, WithRetryDelay(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if sc.failing {
				poll.Until(t, "a failed batch", func() bool { return c.Stats().Failed > 0 })
			} else {
				// Close right after the handler returns: the ack is confirmed before Close ends.
				poll.Until(t, "first events handled", func() bool { return before.handled() == len(old) })
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			b2 := openBus(t, dir)
			fresh := publishAll(t, b2, "catalog.product_updated", 31, 5)
			want := fresh
			if sc.failing {
				want = append(slices.Clone(old), fresh...)
			}
			var after batchRecorder
			c2, err := b2.SubscribeBatch(t.Context(), "index", nil, after.recording(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			poll.Until(t, "events handled after restart", func() bool { return after.handled() >= len(want) })
			waitIdle(t, c2)
			if err := sameIDs(after.handledIDs(), eventIDs(want)); err != nil {
				t.Fatalf("after restart: %v", err)
			}
		})
	}
}

func TestConsumerBatchCloseWaitsForInFlightBatch(t *testing.T) {
	b := openBus(t, t.TempDir())
	evs := publishAll(t, b, "catalog.product_updated", 1, 25)
	started := make(chan struct{})
	release := make(chan struct{})
	var (
		finished atomic.Int32
		first    []string
		rec      batchRecorder
	)
	c, err := b.SubscribeBatch(t.Context(), "index", nil, func(ctx context.Context, batch []commerce.Event) error {
		if finished.Load() == 0 && first == nil {
			first = eventIDs(batch)
			close(started)
			<-release
		}
		rec.add(batch, true)
		finished.Add(1)
		return nil
	}, 10)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	poll.Until(t, "Close to begin", func() bool { return c.closing.Load() })
	close(release)
	<-closed
	if finished.Load() != 1 {
		t.Fatalf("%d batches finished when Close returned, want exactly the in-flight one", finished.Load())
	}
	c.Close() // idempotent
	if st := c.Stats(); st.Handled != uint64(len(first)) {
		t.Fatalf("stats %+v, want the in-flight batch of %d handled", st, len(first))
	}

	// The in-flight batch was acknowledged; the rest go to the next subscriber, in order.
	var rest batchRecorder
	c2, err := b.SubscribeBatch(t.Context(), "index", nil, rest.recording(), 10)
	if err != nil {
		t.Fatalf("resubscribe after Close: %v", err)
	}
	want := evs[len(first):]
	poll.Until(t, "remaining events handled", func() bool { return rest.handled() >= len(want) })
	waitIdle(t, c2)
	if err := sameIDs(rest.handledIDs(), eventIDs(want)); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerSwitchesBetweenSingleAndBatch(t *testing.T) {
	b := openBus(t, t.TempDir())
	var rec recorder
	subscribe := []func() (*Consumer, error){
		func() (*Consumer, error) {
			return b.Subscribe(t.Context(), "index", nil, func(ctx context.Context, ev commerce.Event) error {
				rec.add(ev)
				return nil
			})
		},
		func() (*Consumer, error) {
			return b.SubscribeBatch(t.Context(), "index", nil, func(ctx context.Context, evs []commerce.Event) error {
				for _, ev := range evs {
					rec.add(ev)
				}
				return nil
			}, 100)
		},
	}
	var want []commerce.Event
	for round := range 4 { // single, batch, single, batch: the position carries over each time
		want = append(want, publishAll(t, b, "catalog.product_updated", uint64(len(want)+1), 3)...)
		c, err := subscribe[round%2]()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		poll.Until(t, "round handled", func() bool { return rec.len() >= len(want) })
		waitIdle(t, c)
		c.Close()
		if err := sameIDs(rec.ids(), eventIDs(want)); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

func TestSubscribeBatchValidation(t *testing.T) {
	b := openBus(t, t.TempDir())
	ok := func(context.Context, []commerce.Event) error { return nil }
	scenarios := []struct {
		name     string
		handler  BatchHandler
		maxBatch int
	}{
		{name: "zero max batch", handler: ok, maxBatch: 0},
		{name: "negative max batch", handler: ok, maxBatch: -1},
		{name: "max batch over the limit", handler: ok, maxBatch: MaxBatch + 1},
		{name: "nil handler", maxBatch: 10},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, err := b.SubscribeBatch(t.Context(), "index", nil, sc.handler, sc.maxBatch)
			if err == nil {
				c.Close()
				t.Fatal("SubscribeBatch succeeded")
			}
			if k := commerce.KindOf(err); k != commerce.EInvalid {
				t.Errorf("kind %s, want %s (%v)", k, commerce.EInvalid, err)
			}
		})
	}
}
