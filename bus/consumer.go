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
// need; consumers that do not care about order can raise it for throughput.
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

// Consumer is a durable subscription to the stream. Its events are handled one at a time, in
// order, on one goroutine.
type Consumer struct {
	b       *Bus
	durable string
	opts    consumerOptions
	handler Handler
	log     *slog.Logger
	cons    jetstream.Consumer
	it      jetstream.MessagesContext

	ctx     context.Context // handlers' context; cancelled when Close gives up waiting
	cancel  context.CancelFunc
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
	cfg := jetstream.ConsumerConfig{
		Durable:       c.durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
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
	// The start position of an existing durable cannot change: keep it, update the rest.
	if existing, err := c.b.js.Consumer(ctx, StreamName, c.durable); err == nil {
		prev := existing.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = prev.DeliverPolicy, prev.OptStartSeq, prev.OptStartTime
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("bus: look up consumer %s: %w", c.durable, err)
	}
	cons, err := c.b.js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return fmt.Errorf("bus: create consumer %s: %w", c.durable, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(pullBuffer), jetstream.WithMessagesErrOnMissingHeartbeat(false))
	if err != nil {
		return fmt.Errorf("bus: consume %s: %w", c.durable, err)
	}
	c.cons, c.it = cons, it
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run()
	return nil
}

func (c *Consumer) run() {
	defer close(c.done)
	for {
		msg, err := c.it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				if !c.closing.Load() {
					// The server ended the subscription (consumer or stream deleted).
					c.log.Error("consumer stopped; subscribe again to resume", "err", err)
				}
				return
			}
			c.log.Warn("consumer fetch failed", "err", err)
			sleepCtx(c.ctx, 100*time.Millisecond) // do not spin on a persistent error
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

func (c *Consumer) handle(msg jetstream.Msg) {
	var ev commerce.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		c.failed.Add(1)
		c.log.Error("undecodable event, terminating it", "subject", msg.Subject(), "err", err)
		_ = msg.TermWithReason("undecodable event")
		return
	}
	delivered := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}

	err := c.call(msg, ev)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
		defer cancel()
		// A confirmed ack, so the durable position survives an immediate shutdown.
		if aerr := msg.DoubleAck(ctx); aerr != nil {
			c.log.Warn("ack failed; the event will be redelivered", "seq", ev.Seq, "id", ev.ID, "err", aerr)
		}
		c.handled.Add(1)
		return
	}
	c.failed.Add(1)
	if delivered >= uint64(c.opts.maxDeliver) {
		c.log.Error("event failed on every delivery, giving up",
			"seq", ev.Seq, "id", ev.ID, "type", ev.Type, "deliveries", delivered, "err", err)
		_ = msg.TermWithReason("max deliveries reached")
		return
	}
	if c.closing.Load() {
		_ = msg.Nak() // interrupted by Close: redeliver promptly on the next start
		return
	}
	delay := c.opts.retryDelay
	for i := uint64(1); i < delivered && delay < maxRetryDelay; i++ {
		delay *= 2
	}
	delay = min(delay, maxRetryDelay)
	c.log.Warn("event handler failed, will retry",
		"seq", ev.Seq, "id", ev.ID, "type", ev.Type, "delivery", delivered, "retry_in", delay, "err", err)
	_ = msg.NakWithDelay(delay)
}

// call runs the handler, keeping the message alive while it works and turning a panic into
// an error so one bad event cannot take the process down.
func (c *Consumer) call(msg jetstream.Msg, ev commerce.Event) (err error) {
	stop := make(chan struct{})
	var keep sync.WaitGroup
	keep.Add(1)
	go func() {
		defer keep.Done()
		t := time.NewTicker(max(c.opts.ackWait/2, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	defer func() {
		close(stop)
		keep.Wait()
		if p := recover(); p != nil {
			c.log.Error("event handler panicked", "seq", ev.Seq, "id", ev.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("bus: handler panicked: %v", p)
		}
	}()
	return c.handler(c.ctx, ev)
}

// Close stops fetching, waits for the in-flight event to be handled and returns unhandled
// buffered events to the server. If the handler is still running after AckWait its context is
// cancelled. Calling Close again does nothing.
func (c *Consumer) Close() {
	c.once.Do(func() {
		c.closing.Store(true)
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

// ConsumerStats counts a consumer's work since Subscribe.
type ConsumerStats struct {
	Handled uint64 // events handled and acknowledged
	Failed  uint64 // handler failures (each retry counts)
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
