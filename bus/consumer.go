package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ultramarket/ultramarket/commerce"
)

// Consumer defaults.
const (
	DefaultAckWait       = 30 * time.Second
	DefaultMaxDeliver    = 10
	DefaultRetryDelay    = time.Second
	DefaultMaxAckPending = 1
	maxRetryDelay        = time.Minute
	ackTimeout           = 5 * time.Second
	pullBuffer           = 64
)

// ErrConsumerInUse is returned when a durable consumer is already subscribed on this bus.
var ErrConsumerInUse = &commerce.Error{Kind: commerce.EConflict, Code: "consumer_in_use", Message: "bus: consumer already subscribed"}

// Handler handles one event. Returning an error has the event redelivered later; handlers must
// be idempotent (skip ev.Seq at or below their high-water mark), since an event can arrive
// again after a crash or a republish from the outbox.
type Handler func(ctx context.Context, ev commerce.Event) error

type consumerOptions struct {
	batch         int // 0: one event per handler call; else the most events per batch
	ackWait       time.Duration
	maxDeliver    int
	retryDelay    time.Duration
	maxAckPending int
	deliver       jetstream.DeliverPolicy
	startSeq      uint64
}

// ConsumerOption tunes a consumer created by Subscribe.
type ConsumerOption func(*consumerOptions)

// WithAckWait sets how long the server waits for a handler before redelivering (default
// DefaultAckWait). Long-running handlers are kept alive automatically; this bounds a stuck
// one, and how long Close lets the in-flight handler run before cancelling its context.
func WithAckWait(d time.Duration) ConsumerOption {
	return func(o *consumerOptions) { o.ackWait = d }
}

// WithMaxDeliver sets how many times an event is delivered before it is logged and given up
// (default DefaultMaxDeliver).
func WithMaxDeliver(n int) ConsumerOption {
	return func(o *consumerOptions) { o.maxDeliver = n }
}

// WithRetryDelay sets the delay before the first redelivery after a handler error; it doubles
// with each further attempt up to a minute (default DefaultRetryDelay).
func WithRetryDelay(d time.Duration) ConsumerOption {
	return func(o *consumerOptions) { o.retryDelay = d }
}

// WithMaxAckPending sets how many events may be in flight unacknowledged. The default, 1,
// keeps events strictly in stream order even across retries, which high-water-mark consumers
// need; consumers that do not care about order can raise it for throughput. Batch consumers
// ignore it: theirs is the batch size.
func WithMaxAckPending(n int) ConsumerOption {
	return func(o *consumerOptions) { o.maxAckPending = n }
}

// DeliverNew makes a new durable consumer start with events published after it is created.
// It has no effect on a durable that already exists (its position is kept).
func DeliverNew() ConsumerOption {
	return func(o *consumerOptions) { o.deliver, o.startSeq = jetstream.DeliverNewPolicy, 0 }
}

// DeliverFrom makes a new durable consumer start at the given stream sequence. It has no
// effect on a durable that already exists (its position is kept).
func DeliverFrom(streamSeq uint64) ConsumerOption {
	return func(o *consumerOptions) { o.deliver, o.startSeq = jetstream.DeliverByStartSequencePolicy, streamSeq }
}

// Consumer is a durable subscription to the stream. Its events are handled in order on one
// goroutine: one at a time (Subscribe) or in batches (SubscribeBatch).
type Consumer struct {
	b       *Bus
	durable string
	opts    consumerOptions
	handler BatchHandler // Subscribe's Handler is called with batches of one
	log     *slog.Logger
	cons    jetstream.Consumer
	it      jetstream.MessagesContext

	ctx     context.Context // handlers' context; cancelled when Close gives up waiting
	cancel  context.CancelFunc
	stopped context.Context // cancelled when Close begins, to cut retry waits short
	stop    context.CancelFunc
	closing atomic.Bool
	done    chan struct{}
	once    sync.Once

	handled atomic.Uint64
	failed  atomic.Uint64
}

var durablePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Subscribe creates (or resumes) the durable consumer named durable on the given subjects
// (nil means every event) and handles its events with handler until Close. A successful
// handler acknowledges the event; an error has it redelivered after a growing delay, up to
// the MaxDeliver limit, after which it is logged and terminated. New durables start at the
// beginning of the stream unless DeliverNew or DeliverFrom says otherwise.
func (b *Bus) Subscribe(ctx context.Context, durable string, subjects []string, handler Handler, opts ...ConsumerOption) (*Consumer, error) {
	var h BatchHandler
	if handler != nil {
		h = func(ctx context.Context, evs []commerce.Event) error { return handler(ctx, evs[0]) }
	}
	return b.subscribe(ctx, durable, subjects, h, false, 0, opts)
}

// subscribe validates and registers a consumer that hands the handler one event per call, or
// batches of up to maxBatch events when batched.
func (b *Bus) subscribe(ctx context.Context, durable string, subjects []string, handler BatchHandler, batched bool, maxBatch int, opts []ConsumerOption) (*Consumer, error) {
	o := consumerOptions{
		ackWait:       DefaultAckWait,
		maxDeliver:    DefaultMaxDeliver,
		retryDelay:    DefaultRetryDelay,
		maxAckPending: DefaultMaxAckPending,
		deliver:       jetstream.DeliverAllPolicy,
	}
	for _, opt := range opts {
		opt(&o)
	}
	var v commerce.Validator
	if batched {
		v.Check(maxBatch > 0 && maxBatch <= MaxBatch, "max_batch", fmt.Sprintf("must be 1..%d", MaxBatch))
		o.batch, o.maxAckPending = maxBatch, max(maxBatch, 1) // an invalid size is reported once
	}
	v.Check(durablePattern.MatchString(durable), "durable", "must be letters, digits, '-' or '_'")
	v.Check(handler != nil, "handler", "is required")
	v.Check(o.ackWait > 0, "ack_wait", "must be positive")
	v.Check(o.maxDeliver > 0, "max_deliver", "must be positive")
	v.Check(o.retryDelay >= 0, "retry_delay", "must not be negative")
	v.Check(o.maxAckPending > 0, "max_ack_pending", "must be positive")
	for _, s := range subjects {
		v.Check(strings.HasPrefix(s, SubjectPrefix) && len(s) > len(SubjectPrefix) && !strings.ContainsAny(s, " \t\r\n"),
			"subjects", fmt.Sprintf("%q must start with %q", s, SubjectPrefix))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	if _, ok := b.consumers[durable]; ok || b.starting[durable] {
		b.mu.Unlock()
		return nil, ErrConsumerInUse.WithDetails(map[string]any{"durable": durable})
	}
	b.starting[durable] = true // reserve the name while creating
	b.mu.Unlock()

	c := &Consumer{b: b, durable: durable, opts: o, handler: handler, done: make(chan struct{}),
		log: b.log.With("consumer", durable)}
	err := c.start(ctx, subjects)

	b.mu.Lock()
	delete(b.starting, durable)
	closed := b.closed
	if err == nil && !closed {
		b.consumers[durable] = c
	}
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if closed { // the bus closed while this consumer was starting
		c.Close()
		return nil, ErrClosed
	}
	return c, nil
}

func (c *Consumer) start(ctx context.Context, subjects []string) error {
	o := c.opts
	ackPolicy, buffer, run := jetstream.AckExplicitPolicy, pullBuffer, c.run
	if o.batch > 0 {
		// One confirmed ack of a batch's last event settles the whole batch.
		ackPolicy, buffer, run = jetstream.AckAllPolicy, o.batch, c.runBatch
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       c.durable,
		AckPolicy:     ackPolicy,
		AckWait:       o.ackWait,
		MaxDeliver:    o.maxDeliver,
		MaxAckPending: o.maxAckPending,
		DeliverPolicy: o.deliver,
		OptStartSeq:   o.startSeq,
	}
	switch len(subjects) {
	case 0:
	case 1:
		cfg.FilterSubject = subjects[0]
	default:
		cfg.FilterSubjects = subjects
	}
	existing, err := c.b.js.Consumer(ctx, StreamName, c.durable)
	switch {
	case err == nil && existing.CachedInfo().Config.AckPolicy != ackPolicy:
		// The durable switches between single events and batches, and JetStream cannot change
		// an ack policy: recreate it where it stood. A crash in between leaves no durable, and
		// the new one replays the stream from its configured start (handlers are idempotent).
		info := existing.CachedInfo()
		if err := c.b.js.DeleteConsumer(ctx, StreamName, c.durable); err != nil {
			return fmt.Errorf("bus: recreate consumer %s: %w", c.durable, err)
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, info.AckFloor.Stream+1
	case err == nil:
		// The start position of an existing durable cannot change: keep it, update the rest.
		prev := existing.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = prev.DeliverPolicy, prev.OptStartSeq, prev.OptStartTime
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Errorf("bus: look up consumer %s: %w", c.durable, err)
	}
	cons, err := c.b.js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return fmt.Errorf("bus: create consumer %s: %w", c.durable, err)
	}
	if o.batch > 0 && cons.CachedInfo().NumAckPending > 0 {
		// Events delivered to a previous run and never acknowledged come back only after a
		// delay, and events after them would overtake them (an ack would then cover them
		// unhandled). Rewind to the acknowledged position so they come first.
		if _, err := c.b.js.ResetConsumer(ctx, StreamName, c.durable); err != nil {
			return fmt.Errorf("bus: rewind consumer %s: %w", c.durable, err)
		}
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(buffer), jetstream.WithMessagesErrOnMissingHeartbeat(false))
	if err != nil {
		return fmt.Errorf("bus: consume %s: %w", c.durable, err)
	}
	c.cons, c.it = cons, it
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.stopped, c.stop = context.WithCancel(context.Background())
	go run()
	return nil
}

func (c *Consumer) run() {
	defer close(c.done)
	for {
		msg, closed, err := c.next()
		if closed {
			return
		}
		if err != nil {
			continue
		}
		if c.closing.Load() {
			// Closing: hand buffered events back at once instead of waiting out AckWait.
			_ = msg.Nak()
			continue
		}
		c.handle(msg)
	}
}

// next waits for the iterator's next message. closed reports that the iterator has closed;
// an error is a timeout set by opts or a failed fetch (logged, after a pause so a persistent
// failure cannot spin).
func (c *Consumer) next(opts ...jetstream.NextOpt) (msg jetstream.Msg, closed bool, err error) {
	msg, err = c.it.Next(opts...)
	switch {
	case err == nil:
		return msg, false, nil
	case errors.Is(err, nats.ErrTimeout):
		return nil, false, err
	case errors.Is(err, jetstream.ErrMsgIteratorClosed):
		if !c.closing.Load() {
			// The server ended the subscription (consumer or stream deleted).
			c.log.Error("consumer stopped; subscribe again to resume", "err", err)
		}
		return nil, true, err
	}
	c.log.Warn("consumer fetch failed", "err", err)
	sleepCtx(c.stopped, 100*time.Millisecond)
	return nil, false, err
}

func (c *Consumer) handle(msg jetstream.Msg) {
	ev, ok := c.decode(msg)
	if !ok {
		_ = msg.TermWithReason("undecodable event")
		return
	}
	evs := []commerce.Event{ev}
	delivered := deliveries(msg)

	err := c.call([]jetstream.Msg{msg}, evs)
	if err == nil {
		c.confirm(msg, evs)
		return
	}
	c.failed.Add(1)
	if delivered >= uint64(c.opts.maxDeliver) {
		c.giveUp(evs, delivered, err)
		_ = msg.TermWithReason("max deliveries reached")
		return
	}
	if c.closing.Load() {
		_ = msg.Nak() // interrupted by Close: redeliver promptly on the next start
		return
	}
	delay := c.retryDelay(delivered)
	c.log.Warn("event handler failed, will retry",
		"seq", ev.Seq, "id", ev.ID, "type", ev.Type, "delivery", delivered, "retry_in", delay, "err", err)
	_ = msg.NakWithDelay(delay)
}

// decode reads the event a message carries. An undecodable message can never be handled: it
// is logged and counted as a failure, and the caller settles it without the handler.
func (c *Consumer) decode(msg jetstream.Msg) (commerce.Event, bool) {
	var ev commerce.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		c.failed.Add(1)
		c.log.Error("undecodable event, terminating it", "subject", msg.Subject(), "err", err)
		return commerce.Event{}, false
	}
	return ev, true
}

// deliveries is how many times the server has delivered msg, this time included.
func deliveries(msg jetstream.Msg) uint64 {
	if md, err := msg.Metadata(); err == nil {
		return md.NumDelivered
	}
	return 1
}

// retryDelay is the wait before the next attempt after the given delivery failed: the retry
// delay, doubled for each earlier delivery, at most a minute.
func (c *Consumer) retryDelay(delivered uint64) time.Duration {
	delay := c.opts.retryDelay
	for i := uint64(1); i < delivered && delay < maxRetryDelay; i++ {
		delay *= 2
	}
	return min(delay, maxRetryDelay)
}

// giveUp logs events that failed on their last allowed delivery; the caller settles them.
func (c *Consumer) giveUp(evs []commerce.Event, delivered uint64, err error) {
	for _, ev := range evs {
		c.log.Error("event failed on every delivery, giving up",
			"seq", ev.Seq, "id", ev.ID, "type", ev.Type, "deliveries", delivered, "err", err)
	}
}

// confirm acknowledges msg (and, for a batch, every event before it) and waits for the server
// to confirm, so the durable position survives an immediate shutdown. handled are the events
// the handler took.
func (c *Consumer) confirm(msg jetstream.Msg, handled []commerce.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := msg.DoubleAck(ctx); err != nil {
		c.log.Warn("ack failed; the events may be delivered again", append(span(handled), "err", err)...)
	}
	c.handled.Add(uint64(len(handled)))
}

// call runs the handler, keeping the messages alive while it works and turning a panic into
// an error so one bad event cannot take the process down.
func (c *Consumer) call(msgs []jetstream.Msg, evs []commerce.Event) (err error) {
	defer c.keepAlive(msgs)()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("event handler panicked", append(span(evs), "panic", p, "stack", string(debug.Stack()))...)
			err = fmt.Errorf("bus: handler panicked: %v", p)
		}
	}()
	return c.handler(c.ctx, evs)
}

// keepAlive tells the server the messages are still being worked on, every half AckWait, so
// it does not redeliver them; the returned func stops it and waits.
func (c *Consumer) keepAlive(msgs []jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	var keep sync.WaitGroup
	keep.Add(1)
	go func() {
		defer keep.Done()
		t := time.NewTicker(max(c.opts.ackWait/2, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, msg := range msgs {
					_ = msg.InProgress()
				}
			}
		}
	}()
	return func() {
		close(done)
		keep.Wait()
	}
}

// span describes events for a log line: the event, or the range of a batch.
func span(evs []commerce.Event) []any {
	switch len(evs) {
	case 0:
		return nil
	case 1:
		return []any{"seq", evs[0].Seq, "id", evs[0].ID}
	}
	return []any{"first_seq", evs[0].Seq, "last_seq", evs[len(evs)-1].Seq, "events", len(evs)}
}

// Close stops fetching and waits for the in-flight event or batch to be handled. A
// single-event consumer hands its unhandled buffered events back to the server at once; a
// batch consumer leaves them unacknowledged, and its next start rewinds to its last
// acknowledged position (see SubscribeBatch). If the handler is still running after AckWait its
// context is cancelled. A failed event or batch waiting for its retry is not retried: it comes
// back on the next start. Calling Close again does nothing.
func (c *Consumer) Close() {
	c.once.Do(func() {
		c.closing.Store(true)
		c.stop()
		c.it.Drain()
		give := time.AfterFunc(c.opts.ackWait, c.cancel)
		<-c.done
		give.Stop()
		c.cancel()
		c.b.mu.Lock()
		if c.b.consumers[c.durable] == c {
			delete(c.b.consumers, c.durable)
		}
		c.b.mu.Unlock()
	})
}

// Durable is the consumer's durable name.
func (c *Consumer) Durable() string { return c.durable }

// ConsumerStats counts a consumer's work since Subscribe, in events (a failed batch of n
// events adds n failures).
type ConsumerStats struct {
	Handled uint64 // events handled and acknowledged
	Failed  uint64 // events whose handling failed (each retry counts) or that were undecodable
}

// Stats returns the consumer's counters.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Handled: c.handled.Load(), Failed: c.failed.Load()}
}

// Pending asks the server how many events the consumer has not acknowledged yet: those not
// delivered plus those in flight. It is the consumer's lag, for /metrics.
func (c *Consumer) Pending(ctx context.Context) (uint64, error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s info: %w", c.durable, err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// DeleteConsumer removes a durable consumer and its position, for example before rebuilding
// the state it feeds. It fails with ErrConsumerInUse while the durable is subscribed here.
func (b *Bus) DeleteConsumer(ctx context.Context, durable string) error {
	b.mu.Lock()
	closed := b.closed
	_, inUse := b.consumers[durable]
	inUse = inUse || b.starting[durable]
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if inUse {
		return ErrConsumerInUse.WithDetails(map[string]any{"durable": durable})
	}
	if err := b.js.DeleteConsumer(ctx, StreamName, durable); err != nil {
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil
		}
		return fmt.Errorf("bus: delete consumer %s: %w", durable, err)
	}
	return nil
}
