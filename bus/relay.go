package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ultramarket/ultramarket/commerce"
)

// OutboxSource is the store's outbox as the relay sees it. The store appends events to the
// outbox in the same atomic write as the change that caused them.
type OutboxSource interface {
	// Outbox returns up to limit pending events with Seq > after, in Seq order.
	Outbox(ctx context.Context, after uint64, limit int) ([]commerce.Event, error)
	// AckOutbox deletes the outbox rows with Seq <= upTo: they are in the stream.
	AckOutbox(ctx context.Context, upTo uint64) error
	// OutboxNotify is signalled, without blocking, after each commit that appended events.
	OutboxNotify() <-chan struct{}
}

// Relay tuning.
const (
	relayBatch      = 256
	relayIdlePoll   = time.Second // safety net in case a notification is missed
	relayMinBackoff = 100 * time.Millisecond
	relayMaxBackoff = 5 * time.Second
)

// RelayStats counts what the relay has done since the bus opened.
type RelayStats struct {
	// Relayed counts events published to the stream (including copies JetStream dropped as
	// duplicates, counted again in Duplicates).
	Relayed uint64
	// Duplicates counts publishes JetStream recognised as already stored.
	Duplicates uint64
	// Rejected counts events that can never be published (see ErrInvalidEvent); they are
	// logged and skipped so one bad row cannot stop all events.
	Rejected uint64
}

type relay struct {
	b   *Bus
	src OutboxSource
	log *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Owned by the relay goroutine.
	published uint64      // highest Seq in the stream
	acked     uint64      // highest Seq acknowledged to the outbox
	marks     []relayMark // published seqs not yet acknowledged, oldest first
	ackDelay  time.Duration

	relayed    atomic.Uint64
	duplicates atomic.Uint64
	rejected   atomic.Uint64
}

// StartRelay starts moving events from src into the stream; Close stops it and waits for it.
// It is a no-op on a closed bus and panics when a relay is already running, which is a wiring
// bug.
func (b *Bus) StartRelay(src OutboxSource) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.log.Warn("relay not started: bus closed")
		return
	}
	if b.relay != nil {
		panic("bus: relay already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relay{b: b, src: src, log: b.log.With("part", "relay"), cancel: cancel, ackDelay: 2 * b.cfg.SyncInterval}
	b.relay = r
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(ctx)
	}()
}

// RelayedTotal is the number of events the relay has published since the bus opened.
func (b *Bus) RelayedTotal() uint64 { return b.RelayStats().Relayed }

// RelayStats returns the relay's counters; all zero when no relay runs.
func (b *Bus) RelayStats() RelayStats {
	b.mu.Lock()
	r := b.relay
	b.mu.Unlock()
	if r == nil {
		return RelayStats{}
	}
	return RelayStats{
		Relayed:    r.relayed.Load(),
		Duplicates: r.duplicates.Load(),
		Rejected:   r.rejected.Load(),
	}
}

func (r *relay) stop() {
	r.cancel()
	r.wg.Wait()
}

func (r *relay) run(ctx context.Context) {
	notify := r.src.OutboxNotify() // a nil channel leaves only the poll
	tick := time.NewTicker(relayIdlePoll)
	defer tick.Stop()
	backoff := relayMinBackoff
	for {
		full, err := r.step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.log.Warn("relay failed, retrying", "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, relayMaxBackoff)
			continue
		}
		backoff = relayMinBackoff
		if full {
			continue // more may be pending
		}
		var ripe <-chan time.Time
		var t *time.Timer
		if len(r.marks) > 0 {
			t = time.NewTimer(time.Until(r.marks[0].at.Add(r.ackDelay)))
			ripe = t.C
		}
		select {
		case <-ctx.Done():
		case <-notify:
		case <-tick.C:
		case <-ripe:
		}
		if t != nil {
			t.Stop() // not deferred: run never returns while serving, defers would pile up
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// step publishes one batch and acknowledges what it published. full reports a full batch.
// The outbox is acknowledged only up to the last event JetStream confirmed, so an event is
// never deleted before it is in the stream.
func (r *relay) step(ctx context.Context) (full bool, err error) {
	if err := r.ack(ctx); err != nil {
		return false, err
	}
	evs, err := r.src.Outbox(ctx, r.published, relayBatch)
	if err != nil {
		return false, fmt.Errorf("bus: read outbox after %d: %w", r.published, err)
	}
	// The batch is published pipelined: every message is sent before the first
	// acknowledgement is awaited. Acknowledgements are then taken in order; the outbox is acknowledged only up
	// to the last contiguous confirmed event (later ones, if stored, come back as
	// duplicates on the retry and are dropped by their Nats-Msg-Id).
	pending := make([]pendingPublish, 0, len(evs))
	for _, ev := range evs {
		if ev.Seq <= r.published {
			continue // the source broke its contract; this one is already in the stream
		}
		f, err := r.b.publishAsync(ev)
		pending = append(pending, pendingPublish{ev: ev, f: f, err: err})
		if err != nil && !errors.Is(err, ErrInvalidEvent) {
			break // the connection is failing; retry from here later
		}
	}
	for _, p := range pending {
		dup, err := p.wait(ctx)
		ev := p.ev
		switch {
		case errors.Is(err, ErrInvalidEvent):
			r.rejected.Add(1)
			r.log.Error("outbox event can never be published, skipping it",
				"seq", ev.Seq, "id", ev.ID, "type", ev.Type, "err", err)
		case errors.Is(err, jetstream.ErrNoStreamResponse):
			// The stream is gone (deleted by an operator or a tool): recreate it, then retry
			// from this event.
			if serr := r.b.ensureStream(ctx); serr != nil {
				err = errors.Join(err, serr)
			}
			return false, errors.Join(err, r.ack(ctx))
		case err != nil:
			return false, errors.Join(err, r.ack(ctx))
		default:
			r.relayed.Add(1)
			if dup {
				r.duplicates.Add(1)
			}
		}
		r.published = ev.Seq
	}
	if err := r.ack(ctx); err != nil {
		return false, err
	}
	return len(evs) == relayBatch, nil
}

// relayMark records when the stream confirmed events up to seq.
type relayMark struct {
	seq uint64
	at  time.Time
}

// ack acknowledges the outbox up to the last event the stream confirmed at least ackDelay
// ago: by then the stream has synced it to disk, so deleting its outbox row cannot lose it.
func (r *relay) ack(ctx context.Context) error {
	if n := len(r.marks); r.published > r.acked && (n == 0 || r.marks[n-1].seq < r.published) {
		r.marks = append(r.marks, relayMark{seq: r.published, at: time.Now()})
	}
	cutoff := time.Now().Add(-r.ackDelay)
	upTo, i := r.acked, 0
	for ; i < len(r.marks) && !r.marks[i].at.After(cutoff); i++ {
		upTo = max(upTo, r.marks[i].seq)
	}
	if upTo <= r.acked {
		r.marks = r.marks[i:] // ripe and already acknowledged: keeping them made run spin
		return nil
	}
	if err := r.src.AckOutbox(ctx, upTo); err != nil {
		return fmt.Errorf("bus: ack outbox up to %d: %w", upTo, err)
	}
	r.acked = upTo
	r.marks = r.marks[i:]
	return nil
}

// sleepCtx waits d or until ctx is done; it reports whether the full wait elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pendingPublish is one event of a pipelined batch: its acknowledgement future, or the error
// that kept it from being sent.
type pendingPublish struct {
	ev  commerce.Event
	f   jetstream.PubAckFuture
	err error
}

// wait returns the stream's verdict on the event: whether it was a duplicate, or why it
// was not stored.
func (p pendingPublish) wait(ctx context.Context) (dup bool, err error) {
	if p.err != nil {
		return false, p.err
	}
	t := time.NewTimer(publishTimeout)
	defer t.Stop()
	select {
	case ack := <-p.f.Ok():
		return ack.Duplicate, nil
	case err := <-p.f.Err():
		return false, fmt.Errorf("bus: publish %s %s: %w", p.ev.Type, p.ev.ID, err)
	case <-t.C:
		return false, fmt.Errorf("bus: publish %s %s: no acknowledgement within %s", p.ev.Type, p.ev.ID, publishTimeout)
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
