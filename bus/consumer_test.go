package bus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// publishAll publishes n events of type typ directly and returns them.
func publishAll(t *testing.T, b *Bus, typ string, firstSeq uint64, n int) []commerce.Event {
	t.Helper()
	var out []commerce.Event
	for i := range n {
		ev := newEvent(t, typ, firstSeq+uint64(i))
		if err := b.Publish(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// waitIdle waits until the consumer has acknowledged everything it can see.
func waitIdle(t *testing.T, c *Consumer) {
	t.Helper()
	poll.Until(t, "consumer "+c.Durable()+" caught up", func() bool {
		n, err := c.Pending(t.Context())
		return err == nil && n == 0
	})
}

func TestConsumerHandlesInOrder(t *testing.T) {
	b := openBus(t, t.TempDir())
	want := publishAll(t, b, "catalog.product_updated", 1, 50)
	var rec recorder
	c, err := b.Subscribe(t.Context(), "index", nil, func(ctx context.Context, ev commerce.Event) error {
		rec.add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "all events handled", func() bool { return rec.len() == len(want) })
	waitIdle(t, c)
	if err := sameIDs(rec.ids(), eventIDs(want)); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	for i, ev := range rec.evs {
		if ev.Seq != want[i].Seq || ev.Type != want[i].Type || string(ev.Data) != string(want[i].Data) {
			t.Fatalf("event %d decoded as %+v, want %+v", i, ev, want[i])
		}
	}
	rec.mu.Unlock()
	if st := c.Stats(); st.Handled != uint64(len(want)) || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestConsumerRetries(t *testing.T) {
	scenarios := []struct {
		name       string
		maxDeliver int
		failures   int  // how often the first event fails
		panics     bool // fail by panicking instead of returning an error
		wantFirst  bool // whether the first event is eventually handled
	}{
		{name: "error then success", maxDeliver: 10, failures: 2, wantFirst: true},
		{name: "panic then success", maxDeliver: 10, failures: 1, panics: true, wantFirst: true},
		{name: "gives up after max deliveries", maxDeliver: 3, failures: 1000, wantFirst: false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := openBus(t, t.TempDir())
			evs := publishAll(t, b, "orders.placed", 1, 3)
			var (
				mu       sync.Mutex
				attempts = map[string]int{}
				order    []string // every attempt, in order
				rec      recorder
			)
			handler := func(ctx context.Context, ev commerce.Event) error {
				mu.Lock()
				attempts[ev.ID]++
				n := attempts[ev.ID]
				order = append(order, ev.ID)
				mu.Unlock()
				if ev.ID == evs[0].ID && n <= sc.failures {
					if sc.panics {
						panic("handler bug")
					}
					return errors.New("index unavailable")
				}
				rec.add(ev)
				return nil
			}
			c, err := b.Subscribe(t.Context(), "retry", []string{"um.orders.>"}, handler,
				WithRetryDelay(0), WithMaxDeliver(sc.maxDeliver))
			if err != nil {
				t.Fatal(err)
			}
			wantHandled := evs
			if !sc.wantFirst {
				wantHandled = evs[1:]
			}
			poll.Until(t, "events handled", func() bool { return rec.len() == len(wantHandled) })
			waitIdle(t, c)
			if err := sameIDs(rec.ids(), eventIDs(wantHandled)); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			wantAttempts := min(sc.failures+1, sc.maxDeliver)
			if attempts[evs[0].ID] != wantAttempts {
				t.Fatalf("first event attempted %d times, want %d", attempts[evs[0].ID], wantAttempts)
			}
			// Strict order: nothing after the first event is tried before it is settled.
			for i := range wantAttempts {
				if order[i] != evs[0].ID {
					t.Fatalf("attempt %d was %s, before the first event was settled (%v)", i, order[i], order)
				}
			}
		})
	}
}

func TestConsumerFiltersSubjects(t *testing.T) {
	b := openBus(t, t.TempDir())
	var rec recorder
	c, err := b.Subscribe(t.Context(), "orders-only", []string{"um.orders.>", "um.payments.captured"},
		func(ctx context.Context, ev commerce.Event) error { rec.add(ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var want []commerce.Event
	publishAll(t, b, "catalog.product_created", 1, 3)
	want = append(want, publishAll(t, b, "orders.placed", 4, 2)...)
	publishAll(t, b, "payments.refunded", 6, 1)
	want = append(want, publishAll(t, b, "payments.captured", 7, 1)...)
	poll.Until(t, "filtered events handled", func() bool { return rec.len() == len(want) })
	waitIdle(t, c)
	if err := sameIDs(rec.ids(), eventIDs(want)); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerKeepsPositionAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var before recorder
	h := func(ctx context.Context, ev commerce.Event) error { before.add(ev); return nil }
	if _, err := b.Subscribe(t.Context(), "search", nil, h); err != nil {
		t.Fatal(err)
	}
	old := publishAll(t, b, "catalog.product_created", 1, 5)
	poll.Until(t, "first events handled", func() bool { return before.len() == len(old) })
	if err := b.Close(); err != nil { // closes the consumer too
		t.Fatal(err)
	}

	b2 := openBus(t, dir)
	fresh := publishAll(t, b2, "catalog.product_updated", 6, 3)
	var after recorder
	c, err := b2.Subscribe(t.Context(), "search", nil, func(ctx context.Context, ev commerce.Event) error {
		after.add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, c)
	if err := sameIDs(after.ids(), eventIDs(fresh)); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestConsumerStartPosition(t *testing.T) {
	scenarios := []struct {
		name string
		opt  func(lastSeq uint64) ConsumerOption
		want func(old, fresh []commerce.Event) []commerce.Event
	}{
		{
			name: "new durable starts at the beginning",
			opt:  nil,
			want: func(old, fresh []commerce.Event) []commerce.Event { return append(old, fresh...) },
		},
		{
			name: "deliver new",
			opt:  func(uint64) ConsumerOption { return DeliverNew() },
			want: func(old, fresh []commerce.Event) []commerce.Event { return fresh },
		},
		{
			name: "deliver from a stream sequence",
			opt:  func(last uint64) ConsumerOption { return DeliverFrom(last) },
			want: func(old, fresh []commerce.Event) []commerce.Event {
				return append([]commerce.Event{old[len(old)-1]}, fresh...)
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := openBus(t, t.TempDir())
			old := publishAll(t, b, "content.page_published", 1, 4)
			st, err := b.StreamInfo(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var opts []ConsumerOption
			if sc.opt != nil {
				opts = append(opts, sc.opt(st.LastSeq))
			}
			var rec recorder
			c, err := b.Subscribe(t.Context(), "late", nil, func(ctx context.Context, ev commerce.Event) error {
				rec.add(ev)
				return nil
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			fresh := publishAll(t, b, "content.page_updated", 5, 2)
			want := sc.want(old, fresh)
			poll.Until(t, "events handled", func() bool { return rec.len() >= len(want) })
			waitIdle(t, c)
			if err := sameIDs(rec.ids(), eventIDs(want)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConsumerCloseWaitsForInFlightHandler(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	evs := publishAll(t, b, "notify.email_queued", 1, 3)
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Int32
	var rec recorder
	c, err := b.Subscribe(t.Context(), "mailer", nil, func(ctx context.Context, ev commerce.Event) error {
		if ev.ID == evs[0].ID {
			close(started)
			<-release
		}
		rec.add(ev)
		finished.Add(1)
		return nil
	})
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
		t.Fatalf("%d handlers finished when Close returned, want exactly the in-flight one", finished.Load())
	}
	c.Close() // idempotent

	// The in-flight event was acknowledged; the rest are delivered to the next subscriber.
	var rest recorder
	c2, err := b.Subscribe(t.Context(), "mailer", nil, func(ctx context.Context, ev commerce.Event) error {
		rest.add(ev)
		return nil
	})
	if err != nil {
		t.Fatalf("resubscribe after Close: %v", err)
	}
	poll.Until(t, "remaining events handled", func() bool { return rest.len() == 2 })
	waitIdle(t, c2)
	if err := sameIDs(rest.ids(), eventIDs(evs[1:])); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerCloseCancelsStuckHandler(t *testing.T) {
	b := openBus(t, t.TempDir())
	publishAll(t, b, "webhooks.due", 1, 1)
	started := make(chan struct{})
	var sawCancel atomic.Bool
	c, err := b.Subscribe(t.Context(), "webhooks", nil, func(ctx context.Context, ev commerce.Event) error {
		close(started)
		<-ctx.Done() // a handler stuck on a remote call that honours ctx
		sawCancel.Store(true)
		return ctx.Err()
	}, WithAckWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	<-started
	c.Close() // returns only once the handler has given up
	if !sawCancel.Load() {
		t.Fatal("Close returned before the stuck handler was cancelled")
	}
}

func TestSubscribeValidation(t *testing.T) {
	b := openBus(t, t.TempDir())
	ok := func(context.Context, commerce.Event) error { return nil }
	if _, err := b.Subscribe(t.Context(), "taken", nil, ok); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name     string
		durable  string
		subjects []string
		handler  Handler
		opts     []ConsumerOption
		want     error
		wantKind commerce.Kind
	}{
		{name: "empty durable", durable: "", handler: ok, wantKind: commerce.EInvalid},
		{name: "dotted durable", durable: "a.b", handler: ok, wantKind: commerce.EInvalid},
		{name: "nil handler", durable: "x", wantKind: commerce.EInvalid},
		{name: "subject outside the stream", durable: "x", subjects: []string{"orders.>"}, handler: ok, wantKind: commerce.EInvalid},
		{name: "zero max deliver", durable: "x", handler: ok, opts: []ConsumerOption{WithMaxDeliver(0)}, wantKind: commerce.EInvalid},
		{name: "zero ack wait", durable: "x", handler: ok, opts: []ConsumerOption{WithAckWait(0)}, wantKind: commerce.EInvalid},
		{name: "durable already subscribed", durable: "taken", handler: ok, want: ErrConsumerInUse, wantKind: commerce.EConflict},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, err := b.Subscribe(t.Context(), sc.durable, sc.subjects, sc.handler, sc.opts...)
			if err == nil {
				c.Close()
				t.Fatal("Subscribe succeeded")
			}
			if sc.want != nil && !errors.Is(err, sc.want) {
				t.Errorf("error %v, want %v", err, sc.want)
			}
			if k := commerce.KindOf(err); k != sc.wantKind {
				t.Errorf("kind %s, want %s (%v)", k, sc.wantKind, err)
			}
		})
	}
	if err := b.DeleteConsumer(t.Context(), "taken"); !errors.Is(err, ErrConsumerInUse) {
		t.Fatalf("DeleteConsumer of a subscribed durable: %v", err)
	}
	if err := b.DeleteConsumer(t.Context(), "never-created"); err != nil {
		t.Fatalf("DeleteConsumer of an unknown durable: %v", err)
	}
}

func TestDeleteConsumerRestartsFromTheBeginning(t *testing.T) {
	b := openBus(t, t.TempDir())
	evs := publishAll(t, b, "reviews.posted", 1, 3)
	var first recorder
	c, err := b.Subscribe(t.Context(), "rollup", nil, func(ctx context.Context, ev commerce.Event) error {
		first.add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, c)
	c.Close()
	if err := b.DeleteConsumer(t.Context(), "rollup"); err != nil {
		t.Fatal(err)
	}
	var again recorder
	c2, err := b.Subscribe(t.Context(), "rollup", nil, func(ctx context.Context, ev commerce.Event) error {
		again.add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "replay", func() bool { return again.len() == len(evs) })
	waitIdle(t, c2)
	if err := sameIDs(again.ids(), eventIDs(evs)); err != nil {
		t.Fatal(err)
	}
}
