package bus

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxBatch is the largest batch SubscribeBatch accepts; it bounds the events a consumer holds
// in memory.
const MaxBatch = 10_000

const (
	// gatherIdle is how long a batch waits for one more event once it has one: long enough to
	// take events the server is streaming right now, short enough that a lone event is not held
	// back.
	gatherIdle = time.Millisecond
	// gatherMax bounds the time spent filling one batch, so a steady trickle of events cannot
	// delay the first of them.
	gatherMax = 20 * time.Millisecond
)

// BatchHandler handles a batch of events, in stream order. Returning an error has the whole
// batch handed over again later; handlers must be idempotent (skip events at or below their
// high-water mark), since events can arrive again after a crash or a republish.
type BatchHandler func(ctx context.Context, evs []commerce.Event) error

// SubscribeBatch is Subscribe for handlers that work faster on many events at once, such as a
// search index that commits one batch per call. Events come in stream order, in batches of at
// most maxBatch (1..MaxBatch): a batch starts as soon as one event is there and takes what else
// is available right away, so it does not wait to fill up.
//
// A successful handler acknowledges the whole batch with one confirmed ack. On an error (or a
// panic) the same batch is handed to the handler again after the growing retry delay, before
// anything after it; once its events have been delivered MaxDeliver times they are logged and
// given up, and the consumer goes on. Attempts are counted while the consumer runs: a batch
// interrupted by Close or a crash starts again at its first attempt, ahead of everything
// after it. Undecodable events are logged and left out of the batch. WithMaxAckPending is
// ignored: up to maxBatch events are in flight. A durable can move between Subscribe and
// SubscribeBatch; it keeps its position.
func (b *Bus) SubscribeBatch(ctx context.Context, durable string, subjects []string, handler BatchHandler, maxBatch int, opts ...ConsumerOption) (*Consumer, error) {
	return b.subscribe(ctx, durable, subjects, handler, true, maxBatch, opts)
}

// runBatch hands batches to the handler until the iterator closes.
//
// Retries stay on this goroutine instead of going back to the server: a negative ack would
// free room under MaxAckPending and let later events overtake the failed batch.
func (c *Consumer) runBatch() {
	defer close(c.done)
	var last uint64 // highest stream sequence taken so far
	for {
		msgs, open := c.gather(&last)
		if len(msgs) > 0 && !c.closing.Load() {
			c.handleBatch(msgs)
		}
		if !open {
			return
		}
	}
}

// gather waits for the next event, then takes whatever follows it right away, up to the batch
// size. It skips copies of events already taken (the server redelivers events that sat in the
// buffer past AckWait while an earlier batch was retried; the batch's ack covers them). open
// is false once the iterator has closed.
func (c *Consumer) gather(last *uint64) (msgs []jetstream.Msg, open bool) {
	var deadline time.Time
	for len(msgs) < c.opts.batch {
		var opts []jetstream.NextOpt
		if len(msgs) > 0 {
			wait := min(gatherIdle, time.Until(deadline))
			if wait <= 0 {
				return msgs, true
			}
			opts = append(opts, jetstream.NextMaxWait(wait))
		}
		msg, closed, err := c.next(opts...)
		switch {
		case closed:
			return msgs, false
		case err != nil && len(msgs) > 0:
			return msgs, true // the wait ran out: the batch is what was there
		case err != nil:
			continue
		}
		if c.closing.Load() {
			// Closing: leave buffered events unacknowledged; the next start rewinds to them.
			continue
		}
		if md, err := msg.Metadata(); err == nil {
			if md.Sequence.Stream <= *last {
				continue
			}
			*last = md.Sequence.Stream
		}
		if len(msgs) == 0 {
			deadline = time.Now().Add(gatherMax)
		}
		msgs = append(msgs, msg)
	}
	return msgs, true
}

// handleBatch runs the handler on a batch until it succeeds, its events run out of deliveries
// or Close interrupts a retry, then acknowledges the batch through its last message.
func (c *Consumer) handleBatch(msgs []jetstream.Msg) {
	evs := make([]commerce.Event, 0, len(msgs))
	attempt := uint64(1)
	for _, msg := range msgs {
		attempt = max(attempt, deliveries(msg))
		if ev, ok := c.decode(msg); ok {
			evs = append(evs, ev)
		}
	}
	handled := evs
	for len(evs) > 0 {
		err := c.call(msgs, evs)
		if err == nil {
			break
		}
		c.failed.Add(uint64(len(evs)))
		if attempt >= uint64(c.opts.maxDeliver) {
			c.giveUp(evs, attempt, err)
			handled = nil
			break
		}
		if c.closing.Load() {
			return // unacknowledged: the next start delivers the batch first
		}
		delay := c.retryDelay(attempt)
		c.log.Warn("batch handler failed, will retry",
			append(span(evs), "delivery", attempt, "retry_in", delay, "err", err)...)
		if !c.waitRetry(msgs, delay) {
			return
		}
		attempt++
	}
	// Under AckAllPolicy this settles undecodable and given-up events too: none comes back.
	c.confirm(msgs[len(msgs)-1], handled)
}

// waitRetry waits d before a retry, keeping the batch's messages alive; it reports false when
// Close interrupted the wait.
func (c *Consumer) waitRetry(msgs []jetstream.Msg, d time.Duration) bool {
	defer c.keepAlive(msgs)()
	return sleepCtx(c.stopped, d)
}
