// Package bus owns UltraMarket's event bus: an embedded NATS server with JetStream, the stream
// EVENTS that carries every domain event on subjects "um.<domain>.<event>", the outbox relay
// that moves committed events from the store into that stream, and the durable consumers that
// feed derived state (search index, analytics, notifications).
//
// The outbox in the store is the source of truth. The stream is a delivery mechanism: events
// are published with their ID as the JetStream de-duplication key, so a relay that crashes
// between publishing and acknowledging the outbox republishes harmlessly, and a wiped stream is
// refilled from the rows the outbox still holds.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ultramarket/ultramarket/commerce"
)

// StreamName is the JetStream stream that carries every domain event.
const StreamName = "EVENTS"

// SubjectPrefix starts every event subject; the stream captures SubjectPrefix + ">".
const SubjectPrefix = "um."

// Defaults for the zero values of Config.
const (
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultMaxBytes        = 1 << 30
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultSyncInterval    = time.Second
)

const (
	// startTimeout bounds how long Open waits for the server (including JetStream recovery of
	// its file store) when ctx carries no earlier deadline.
	startTimeout = 30 * time.Second
	// publishTimeout bounds one publish round trip, so a wedged server cannot stall the relay.
	publishTimeout = 5 * time.Second
)

// Errors returned by the bus.
var (
	ErrClosed = &commerce.Error{Kind: commerce.EUnavailable, Code: "bus_closed", Message: "bus: closed"}
	// ErrInvalidEvent is returned for events that can never be published: no ID, a malformed
	// type, undecodable data or a body over the server's payload limit.
	ErrInvalidEvent = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_event", Message: "bus: invalid event"}
)

// MaxEventBytes is the largest event (envelope as JSON) the bus carries.
const MaxEventBytes = 8 << 20

// Config configures the bus. The zero value of every field except Dir means its default.
type Config struct {
	// Dir is where JetStream stores streams and consumer state. Required; the app passes
	// <data>/bus. It is created when missing.
	Dir string
	// Listen is a host:port for a TCP client listener, for monitoring tools and later leaf-node
	// links. "" (the default) opens no port: the app talks to the server in-process. Port 0
	// picks a free port; Addr reports it.
	Listen string
	// MaxAge is how long the stream keeps events. 0 means DefaultMaxAge (7 days).
	MaxAge time.Duration
	// MaxBytes caps the stream's size; the oldest events are discarded beyond it. 0 means
	// DefaultMaxBytes (1 GiB).
	MaxBytes int64
	// DuplicateWindow is how long JetStream remembers event IDs to drop republished copies.
	// 0 means DefaultDuplicateWindow (2 minutes). It must not exceed MaxAge.
	DuplicateWindow time.Duration
	// SyncInterval is how often JetStream fsyncs its files. 0 means DefaultSyncInterval
	// (1 s). Events stay in the store's outbox until twice this long after the stream
	// confirmed them, so a power loss that drops the stream's unsynced tail loses nothing:
	// the relay publishes those rows again at the next start.
	SyncInterval time.Duration
	// Logger receives the bus's and the NATS server's logs. nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults returns cfg with zero values replaced by defaults.
func (cfg Config) withDefaults() Config {
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

// Validate reports every invalid field of a defaulted config at once.
func (cfg Config) Validate() error {
	var v commerce.Validator
	v.Check(cfg.Dir != "", "bus.dir", "is required")
	v.Check(cfg.MaxAge >= 0, "bus.max_age", "must not be negative")
	v.Check(cfg.MaxBytes >= 0, "bus.max_bytes", "must not be negative")
	v.Check(cfg.DuplicateWindow >= 0, "bus.duplicate_window", "must not be negative")
	v.Check(cfg.SyncInterval >= 0, "bus.sync_interval", "must not be negative")
	if cfg.DuplicateWindow > 0 && cfg.SyncInterval > 0 && cfg.DuplicateWindow < 4*cfg.SyncInterval {
		v.Add("bus.duplicate_window", "must be at least four sync intervals (republished events must still be recognised)")
	}
	if cfg.MaxAge > 0 && cfg.DuplicateWindow > cfg.MaxAge {
		v.Add("bus.duplicate_window", "must not exceed max_age")
	}
	if cfg.Listen != "" {
		if _, _, err := splitListen(cfg.Listen); err != nil {
			v.Add("bus.listen", err.Error())
		}
	}
	return v.Err()
}

// splitListen parses host:port into server options; port 0 asks the server for a free port.
func splitListen(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("must be host:port: %v", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q must be 0..65535", portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT // 0 means 4222 to nats-server
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// Bus is a running embedded NATS server with JetStream, connected in-process.
type Bus struct {
	cfg Config
	log *slog.Logger
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream

	mu        sync.Mutex
	closed    bool
	relay     *relay
	consumers map[string]*Consumer // by durable name
	starting  map[string]bool      // durable names whose Subscribe is in progress

	closeOnce sync.Once
	closeErr  error
}

// Open starts the NATS server on cfg.Dir, connects to it in-process and creates or updates the
// stream EVENTS. A failed start shuts down whatever it started.
func Open(ctx context.Context, cfg Config) (_ *Bus, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := prepareDir(cfg.Dir); err != nil {
		return nil, err
	}
	b := &Bus{cfg: cfg, log: cfg.Logger.With("component", "bus"), consumers: map[string]*Consumer{}, starting: map[string]bool{}}
	defer func() {
		if err != nil {
			b.shutdown()
		}
	}()

	opts := &server.Options{
		ServerName: "ultramarket",
		JetStream:  true,
		StoreDir:   cfg.Dir,
		// The server must not catch SIGTERM: only main handles signals, and it closes Pebble
		// after NATS.
		NoSigs: true,
		// Logging goes through the server logger installed below.
		NoLog: true,
		// The stream is not synced per message (that caps it near one event per fsync): it is
		// synced every SyncInterval, and the relay keeps outbox rows until then (see relay).
		SyncInterval: cfg.SyncInterval,
		DontListen:   cfg.Listen == "",
		// An event carries a whole entity; the HTTP body limit alone is 1 MiB, more than
		// NATS's default 1 MB payload. Events over this are never publishable.
		MaxPayload: MaxEventBytes,
	}
	if cfg.Listen != "" {
		opts.Host, opts.Port, _ = splitListen(cfg.Listen) // validated above
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: configure nats server: %w", err)
	}
	b.srv = srv
	logs := &serverLogger{log: b.log.With("engine", "nats")}
	srv.SetLoggerV2(logs, b.log.Enabled(ctx, slog.LevelDebug), false, false)
	srv.Start()

	wait := startTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = time.Until(dl)
	}
	if !srv.ReadyForConnections(wait) || !srv.JetStreamEnabled() {
		if msg := logs.fatal(); msg != "" {
			return nil, fmt.Errorf("bus: start nats server on %s: %s", cfg.Dir, msg)
		}
		return nil, fmt.Errorf("bus: nats server on %s not ready after %s", cfg.Dir, wait)
	}

	nc, err := nats.Connect("",
		nats.InProcessServer(srv),
		nats.Name("ultramarket"),
		nats.MaxReconnects(-1),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			b.log.Warn("nats client error", "subject", subject, "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("bus: connect in-process: %w", err)
	}
	b.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("bus: jetstream context: %w", err)
	}
	b.js = js
	if err := b.ensureStream(ctx); err != nil {
		return nil, err
	}
	b.log.Info("bus started", "dir", cfg.Dir, "listen", b.Addr())
	return b, nil
}

// prepareDir creates dir when missing and fails clearly when it is not a usable directory.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return commerce.Errorf(commerce.EInvalid, "bus_dir_invalid", "bus: storage dir %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return commerce.Errorf(commerce.EInvalid, "bus_dir_invalid", "bus: storage dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return commerce.Errorf(commerce.EInvalid, "bus_dir_invalid", "bus: storage dir %s is not a directory", dir)
	}
	return nil
}

// ensureStream creates the stream EVENTS or updates it to the configured limits.
func (b *Bus) ensureStream(ctx context.Context) error {
	_, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "UltraMarket domain events, published from the store's outbox",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      b.cfg.MaxAge,
		MaxBytes:    b.cfg.MaxBytes,
		Duplicates:  b.cfg.DuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("bus: create or update stream %s: %w", StreamName, err)
	}
	return nil
}

// Addr is the TCP address clients can connect to, or nil when Config.Listen is "".
func (b *Bus) Addr() net.Addr {
	if b.srv == nil {
		return nil
	}
	return b.srv.Addr()
}

// Close stops the relay, closes the consumers (each finishes its in-flight event or batch),
// closes the connection and shuts the server down, waiting for it. Calling it again returns nil.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		rl := b.relay
		consumers := make([]*Consumer, 0, len(b.consumers))
		for _, c := range b.consumers {
			consumers = append(consumers, c)
		}
		b.mu.Unlock()

		if rl != nil {
			rl.stop()
		}
		for _, c := range consumers {
			c.Close()
		}
		b.closeErr = b.shutdown()
		b.log.Info("bus stopped")
	})
	return b.closeErr
}

// shutdown closes the connection and the server, waiting for the server to finish.
func (b *Bus) shutdown() error {
	var errs []error
	if b.nc != nil {
		// Flush so acknowledgements written just before Close reach the server.
		if err := b.nc.FlushTimeout(publishTimeout); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("bus: flush connection: %w", err))
		}
		b.nc.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
	return errors.Join(errs...)
}

func (b *Bus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Publish publishes one event directly to the stream, with its ID as the de-duplication key.
// Domain code does not call it: its events go through the outbox and the relay. Tools and
// tests do.
func (b *Bus) Publish(ctx context.Context, ev commerce.Event) error {
	if b.isClosed() {
		return ErrClosed
	}
	_, err := b.publish(ctx, ev)
	return err
}

// publish sends ev and waits for JetStream to store it. It reports whether JetStream dropped it
// as a duplicate.
func (b *Bus) publish(ctx context.Context, ev commerce.Event) (dup bool, err error) {
	msg, err := encodeEvent(ev)
	if err != nil {
		return false, err
	}
	if len(msg.Data) > int(b.nc.MaxPayload()) {
		return false, ErrInvalidEvent.WithDetails(map[string]any{"id": ev.ID, "reason": "too large"})
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	ack, err := b.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(StreamName))
	if err != nil {
		return false, fmt.Errorf("bus: publish %s %s: %w", ev.Type, ev.ID, err)
	}
	return ack.Duplicate, nil
}

// publishAsync sends ev without waiting for the stream's acknowledgement.
func (b *Bus) publishAsync(ev commerce.Event) (jetstream.PubAckFuture, error) {
	msg, err := encodeEvent(ev)
	if err != nil {
		return nil, err
	}
	if len(msg.Data) > int(b.nc.MaxPayload()) {
		return nil, ErrInvalidEvent.WithDetails(map[string]any{"id": ev.ID, "reason": "too large"})
	}
	// No automatic retry when the stream is missing: a retried message would land after
	// later ones of the batch; the relay retries the whole tail itself, in order.
	f, err := b.js.PublishMsgAsync(msg, jetstream.WithExpectStream(StreamName), jetstream.WithRetryAttempts(0))
	if err != nil {
		return nil, fmt.Errorf("bus: publish %s %s: %w", ev.Type, ev.ID, err)
	}
	return f, nil
}

// typePattern matches event types "<domain>.<event>" that make valid, wildcard-free subjects.
var typePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// encodeEvent builds the NATS message for ev: subject from its type, the whole envelope as
// JSON body, and its ID as Nats-Msg-Id.
func encodeEvent(ev commerce.Event) (*nats.Msg, error) {
	if strings.TrimSpace(ev.ID) == "" || strings.ContainsAny(ev.ID, " \t\r\n") {
		return nil, ErrInvalidEvent.WithDetails(map[string]any{"id": ev.ID, "reason": "missing or malformed id"})
	}
	if !typePattern.MatchString(ev.Type) {
		return nil, ErrInvalidEvent.WithDetails(map[string]any{"id": ev.ID, "type": ev.Type, "reason": "malformed type"})
	}
	body, err := json.Marshal(ev)
	if err != nil {
		e := ErrInvalidEvent.WithDetails(map[string]any{"id": ev.ID, "reason": "data is not valid JSON"})
		e.Err = err
		return nil, e
	}
	msg := nats.NewMsg(ev.Subject())
	msg.Data = body
	msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
	return msg, nil
}

// StreamStats describes the stream EVENTS, for /metrics and readiness.
type StreamStats struct {
	Msgs      uint64
	Bytes     uint64
	FirstSeq  uint64
	LastSeq   uint64
	Consumers int
}

// StreamInfo asks the server for the state of the stream EVENTS. An error means the bus cannot
// serve (not ready).
func (b *Bus) StreamInfo(ctx context.Context) (StreamStats, error) {
	if b.isClosed() {
		return StreamStats{}, ErrClosed
	}
	s, err := b.js.Stream(ctx, StreamName)
	if err != nil {
		return StreamStats{}, fmt.Errorf("bus: stream %s: %w", StreamName, err)
	}
	info := s.CachedInfo()
	st := info.State
	return StreamStats{Msgs: st.Msgs, Bytes: st.Bytes, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq, Consumers: st.Consumers}, nil
}

// serverLogger sends the NATS server's logs to slog. Notices are chatty startup banners, so
// they go to Debug. Fatal never exits the process: it is recorded so Open can report it.
type serverLogger struct {
	log *slog.Logger

	mu        sync.Mutex
	lastFatal string
}

func (l *serverLogger) Noticef(format string, v ...any) { l.logf(slog.LevelDebug, format, v...) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.logf(slog.LevelWarn, format, v...) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.logf(slog.LevelError, format, v...) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.logf(slog.LevelDebug, format, v...) }
func (l *serverLogger) Tracef(string, ...any)           {}

func (l *serverLogger) logf(level slog.Level, format string, v ...any) {
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, fmt.Sprintf(format, v...))
	}
}

func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	l.lastFatal = msg
	l.mu.Unlock()
}

func (l *serverLogger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastFatal
}
