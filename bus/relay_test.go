package bus

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

func decodeForTest(t *testing.T, data []byte) commerce.Event {
	t.Helper()
	var ev commerce.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	return ev
}

// fakeOutbox is an in-memory OutboxSource that follows the contract the store implements.
type fakeOutbox struct {
	mu       sync.Mutex
	pending  []commerce.Event // Seq order
	seq      uint64
	notify   chan struct{}
	ackErr   error // when set, AckOutbox fails with it (a crash before the ack)
	readErrs int   // Outbox fails this many more times
	reads    int
	ackCalls int
}

func newFakeOutbox() *fakeOutbox { return &fakeOutbox{notify: make(chan struct{}, 1)} }

// append commits events of type typ and signals the relay, like a store commit.
func (f *fakeOutbox) append(t testing.TB, typ string, n int) []commerce.Event {
	t.Helper()
	f.mu.Lock()
	var out []commerce.Event
	for range n {
		f.seq++
		ev := newEvent(t, typ, f.seq)
		f.pending = append(f.pending, ev)
		out = append(out, ev)
	}
	f.mu.Unlock()
	select {
	case f.notify <- struct{}{}:
	default:
	}
	return out
}

// appendRaw commits ev as is (for malformed events), assigning the next Seq.
func (f *fakeOutbox) appendRaw(ev commerce.Event) commerce.Event {
	f.mu.Lock()
	f.seq++
	ev.Seq = f.seq
	f.pending = append(f.pending, ev)
	f.mu.Unlock()
	select {
	case f.notify <- struct{}{}:
	default:
	}
	return ev
}

func (f *fakeOutbox) Outbox(ctx context.Context, after uint64, limit int) ([]commerce.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.readErrs > 0 {
		f.readErrs--
		return nil, errors.New("fake outbox: read failed")
	}
	var out []commerce.Event
	for _, ev := range f.pending {
		if ev.Seq > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (f *fakeOutbox) AckOutbox(ctx context.Context, upTo uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ackCalls++
	if f.ackErr != nil {
		return f.ackErr
	}
	keep := f.pending[:0]
	for _, ev := range f.pending {
		if ev.Seq > upTo {
			keep = append(keep, ev)
		}
	}
	f.pending = keep
	return nil
}

func (f *fakeOutbox) OutboxNotify() <-chan struct{} { return f.notify }

func (f *fakeOutbox) pendingLen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

func (f *fakeOutbox) setAckErr(err error) {
	f.mu.Lock()
	f.ackErr = err
	f.mu.Unlock()
}

func (f *fakeOutbox) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *fakeOutbox) ackCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ackCalls
}

func TestRelayPublishesInOrder(t *testing.T) {
	b := openBus(t, t.TempDir())
	src := newFakeOutbox()
	want := src.append(t, "catalog.product_created", 2*relayBatch+37) // several batches
	b.StartRelay(src)

	poll.Until(t, "outbox drained", func() bool { return src.pendingLen() == 0 })
	if err := sameIDs(eventIDs(streamEvents(t, b)), eventIDs(want)); err != nil {
		t.Fatalf("stream: %v", err)
	}
	st := b.RelayStats()
	if st.Relayed != uint64(len(want)) || st.Duplicates != 0 || st.Rejected != 0 {
		t.Fatalf("relay stats %+v, want %d relayed and nothing else", st, len(want))
	}
	if b.RelayedTotal() != uint64(len(want)) || src.pendingLen() != 0 {
		t.Fatalf("RelayedTotal %d, %d events still pending", b.RelayedTotal(), src.pendingLen())
	}

	// Events committed while the relay idles are published too, and in order after the first.
	more := src.append(t, "orders.placed", 5)
	poll.Until(t, "new events relayed", func() bool { return streamMsgs(t, b) == uint64(len(want)+len(more)) })
	poll.Until(t, "outbox drained again", func() bool { return src.pendingLen() == 0 })
	if err := sameIDs(eventIDs(streamEvents(t, b)), eventIDs(append(want, more...))); err != nil {
		t.Fatalf("stream: %v", err)
	}
	// Republishing an event the relay already published is dropped by the stream.
	if err := b.Publish(t.Context(), want[3]); err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, b); got != uint64(len(want)+len(more)) {
		t.Fatalf("stream has %d events after a republish, want %d", got, len(want)+len(more))
	}
}

func TestRelayCrashBeforeAckPublishesOnce(t *testing.T) {
	dir := t.TempDir()
	src := newFakeOutbox()
	want := src.append(t, "orders.placed", 40)
	src.setAckErr(errors.New("crashed before ack"))

	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	b.StartRelay(src)
	poll.Until(t, "events published", func() bool { return streamMsgs(t, b) == uint64(len(want)) })
	if err := b.Close(); err != nil { // the crash: the outbox was never acknowledged
		t.Fatal(err)
	}
	if src.pendingLen() != len(want) {
		t.Fatalf("outbox has %d rows after the crash, want all %d", src.pendingLen(), len(want))
	}

	src.setAckErr(nil)
	b2 := openBus(t, dir)
	b2.StartRelay(src)
	poll.Until(t, "outbox drained after restart", func() bool { return src.pendingLen() == 0 })
	if err := sameIDs(eventIDs(streamEvents(t, b2)), eventIDs(want)); err != nil {
		t.Fatalf("stream after republish: %v", err)
	}
	if st := b2.RelayStats(); st.Duplicates != uint64(len(want)) {
		t.Fatalf("relay stats %+v, want every republished copy recognised as a duplicate", st)
	}
}

func TestRelayRefillsWipedStream(t *testing.T) {
	dir := t.TempDir()
	src := newFakeOutbox()
	want := src.append(t, "inventory.adjusted", 25)
	src.setAckErr(errors.New("not acknowledged yet"))

	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	b.StartRelay(src)
	poll.Until(t, "events published", func() bool { return streamMsgs(t, b) == uint64(len(want)) })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil { // the stream is lost
		t.Fatal(err)
	}

	src.setAckErr(nil)
	b2 := openBus(t, dir)
	if got := streamMsgs(t, b2); got != 0 {
		t.Fatalf("wiped stream has %d events", got)
	}
	b2.StartRelay(src)
	poll.Until(t, "outbox drained", func() bool { return src.pendingLen() == 0 })
	if err := sameIDs(eventIDs(streamEvents(t, b2)), eventIDs(want)); err != nil {
		t.Fatalf("refilled stream: %v", err)
	}
}

func TestRelayRetries(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(t *testing.T, b *Bus, src *fakeOutbox)
	}{
		{
			name:  "outbox read errors",
			setup: func(t *testing.T, b *Bus, src *fakeOutbox) { src.readErrs = 2 },
		},
		{
			name: "stream deleted while running",
			setup: func(t *testing.T, b *Bus, src *fakeOutbox) {
				if err := b.js.DeleteStream(t.Context(), StreamName); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "outbox ack errors",
			setup: func(t *testing.T, b *Bus, src *fakeOutbox) {
				src.setAckErr(errors.New("disk busy"))
				go func() {
					// Let the relay fail to ack a few times, then recover.
					deadline := time.Now().Add(20 * time.Second)
					for src.ackCount() < 3 && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					src.setAckErr(nil)
				}()
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := openBus(t, t.TempDir())
			src := newFakeOutbox()
			sc.setup(t, b, src)
			want := src.append(t, "payments.captured", 10)
			b.StartRelay(src)
			poll.Until(t, "outbox drained", func() bool { return src.pendingLen() == 0 })
			if err := sameIDs(eventIDs(streamEvents(t, b)), eventIDs(want)); err != nil {
				t.Fatalf("stream: %v", err)
			}
		})
	}
}

func TestRelaySkipsEventsThatCanNeverPublish(t *testing.T) {
	b := openBus(t, t.TempDir())
	src := newFakeOutbox()
	first := src.append(t, "orders.placed", 1)
	bad := newEvent(t, "orders.placed", 0)
	bad.Type = "" // a bug upstream: no subject can carry it
	src.appendRaw(bad)
	last := src.append(t, "orders.paid", 1)
	b.StartRelay(src)

	poll.Until(t, "outbox drained", func() bool { return src.pendingLen() == 0 })
	if err := sameIDs(eventIDs(streamEvents(t, b)), eventIDs(append(first, last...))); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if st := b.RelayStats(); st.Rejected != 1 || st.Relayed != 2 {
		t.Fatalf("relay stats %+v, want 1 rejected and 2 relayed", st)
	}
}

func TestStartRelayTwicePanics(t *testing.T) {
	b := openBus(t, t.TempDir())
	b.StartRelay(newFakeOutbox())
	defer func() {
		if recover() == nil {
			t.Fatal("second StartRelay did not panic")
		}
	}()
	b.StartRelay(newFakeOutbox())
}

func TestCloseStopsAFailingRelay(t *testing.T) {
	b, err := Open(t.Context(), Config{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	src := newFakeOutbox()
	src.readErrs = 1 << 30 // the source never recovers
	src.append(t, "orders.placed", 1)
	b.StartRelay(src)
	poll.Until(t, "relay backing off", func() bool { return src.readCount() >= 2 })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if src.pendingLen() != 1 {
		t.Fatal("the unpublished event left the outbox")
	}
}

// The stream syncs on an interval, so the relay keeps outbox rows until two intervals after
// the stream confirmed them: a power loss that drops the unsynced tail of the stream finds
// those events still in the outbox.
func TestRelayKeepsOutboxRowsUntilTheStreamSynced(t *testing.T) {
	b, err := Open(t.Context(), Config{Dir: t.TempDir(), SyncInterval: time.Second, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	src := newFakeOutbox()
	want := src.append(t, "orders.placed", 30)
	start := time.Now()
	b.StartRelay(src)
	poll.Until(t, "events published", func() bool { return streamMsgs(t, b) == uint64(len(want)) })
	if n := src.pendingLen(); n != len(want) && time.Since(start) < 2*time.Second {
		t.Fatalf("%d of %d outbox rows acknowledged before the stream synced", len(want)-n, len(want))
	}
	poll.Until(t, "outbox acknowledged after the sync delay", func() bool { return src.pendingLen() == 0 })
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("outbox acknowledged after %s, before two sync intervals", took)
	}
}

// An idle relay with everything acknowledged waits for notifications; it must not poll the
// outbox in a loop (a mark kept after its acknowledgement once made it spin).
func TestIdleRelayDoesNotSpin(t *testing.T) {
	b, err := Open(t.Context(), Config{Dir: t.TempDir(), SyncInterval: 100 * time.Millisecond, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	src := newFakeOutbox()
	src.append(t, "orders.placed", 5)
	b.StartRelay(src)
	poll.Until(t, "outbox acknowledged", func() bool { return src.pendingLen() == 0 })
	before := src.readCount()
	time.Sleep(1500 * time.Millisecond) // idle on purpose: count what the relay does meanwhile
	if reads := src.readCount() - before; reads > 5 {
		t.Fatalf("idle relay read the outbox %d times in 1.5 s", reads)
	}
}
