// Package mailer owns outgoing e-mail delivery: a background sender that takes mails from a
// durable queue (the store, where use cases queue them in the same write as their cause),
// delivers them over SMTP (github.com/wneessen/go-mail) with STARTTLS, implicit TLS or, for
// local relays and tests, none, retries failures with exponential backoff, gives up after a
// bounded number of attempts (keeping the mail with its last error) and deletes delivered
// ones. It knows nothing about what the mails say.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail to send.
type Message struct {
	To      string // a bare address
	Subject string
	Text    string // plain-text body
	HTML    string // optional HTML alternative
}

// Queued is a message waiting in the queue.
type Queued struct {
	ID string
	Message
	Attempts  int // failed attempts so far
	CreatedAt time.Time
}

// Queue is where mails wait until delivered. The store implements it.
type Queue interface {
	// Due returns up to limit mails whose next attempt is due at now, oldest first, and the
	// time of the earliest later attempt (zero when there is none).
	Due(ctx context.Context, now time.Time, limit int) ([]Queued, time.Time, error)
	// Delivered removes a delivered (or deliberately dropped) mail.
	Delivered(ctx context.Context, id string) error
	// Failed records a failed attempt: the attempts so far, when to try next and the error.
	// giveUp keeps the mail with its error but never tries it again.
	Failed(ctx context.Context, id string, attempts int, next time.Time, lastErr string, giveUp bool) error
	// Notify is signalled after a mail is queued, so the sender need not wait for its tick.
	Notify() <-chan struct{}
}

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
	TLSNone     = "none"     // no encryption: local relays and tests only
)

// Config configures the Sender. Zero values mean the defaults said per field.
type Config struct {
	Host        string        // SMTP server; "" delivers nothing: every queued mail is dropped with a warning
	Port        int           // 0 means 465 with TLSImplicit, else 587
	Username    string        // "" sends without authentication
	Password    string        // with Username
	From        string        // sender address, e.g. "Shop <shop@example.com>"; required with Host
	TLS         string        // TLSStartTLS (the default when ""), TLSImplicit or TLSNone
	Timeout     time.Duration // longest one delivery attempt may take; 0 means 30 s
	MaxAttempts int           // attempts before a mail is given up; 0 means 8
	RetryBase   time.Duration // wait after the first failure, doubled after each next one; 0 means 30 s
	RetryMax    time.Duration // longest wait between attempts; 0 means 1 h
	Tick        time.Duration // the queue is looked at this often even without a wake-up; 0 means 1 min
	Batch       int           // mails taken from the queue per pass; 0 means 50
	Logger      *slog.Logger  // nil means slog.Default()
	Now         func() time.Time
}

func (c *Config) ensureDefaults() {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		c.Port = 587
		if c.TLS == TLSImplicit {
			c.Port = 465
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase == 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = time.Hour
	}
	if c.Tick == 0 {
		c.Tick = time.Minute
	}
	if c.Batch == 0 {
		c.Batch = 50
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every bad setting after applying the defaults.
func (c Config) Validate() error {
	c.ensureDefaults()
	var errs []error
	if c.TLS != TLSStartTLS && c.TLS != TLSImplicit && c.TLS != TLSNone {
		errs = append(errs, fmt.Errorf("tls: %q is not one of starttls, tls, none", c.TLS))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port: %d is not 1..65535", c.Port))
	}
	if c.Host != "" {
		if _, err := netmail.ParseAddress(c.From); err != nil {
			errs = append(errs, fmt.Errorf("from: %q is not an e-mail address", c.From))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", c.Timeout}, {"retry_base", c.RetryBase}, {"retry_max", c.RetryMax}, {"tick", c.Tick}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", d.name))
		}
	}
	if c.MaxAttempts < 1 || c.Batch < 1 {
		errs = append(errs, errors.New("max_attempts and batch must be positive"))
	}
	return errors.Join(errs...)
}

// Sender delivers queued mails in one background goroutine.
type Sender struct {
	cfg    Config
	queue  Queue
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Open validates cfg and starts delivering the mails of queue.
func Open(cfg Config, queue Queue) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	if queue == nil {
		return nil, errors.New("mailer: Open needs a queue")
	}
	cfg.ensureDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{cfg: cfg, queue: queue, cancel: cancel}
	if cfg.Host == "" {
		cfg.Logger.Warn("smtp.host is empty: e-mails (address verification, password reset) are dropped, not sent")
	}
	s.wg.Go(func() { s.run(ctx) })
	return s, nil
}

// Close stops the sender and waits for it; an attempt in flight is cut short and retried on
// the next start. Close is idempotent.
func (s *Sender) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

func (s *Sender) run(ctx context.Context) {
	timer := time.NewTimer(0) // a first pass at start: mails queued before a restart
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.queue.Notify():
		}
		next := s.pass(ctx)
		wait := s.cfg.Tick
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.cfg.Now()), 0))
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// pass delivers every due mail, batch after batch, until none is due, and returns when the
// next retry is due (zero: none, or the queue could not be written; the tick retries).
func (s *Sender) pass(ctx context.Context) time.Time {
	for ctx.Err() == nil {
		due, next, err := s.queue.Due(ctx, s.cfg.Now(), s.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Error("reading the mail queue", "err", err)
			}
			return time.Time{}
		}
		if len(due) == 0 {
			return next
		}
		for _, m := range due {
			if ctx.Err() != nil || !s.deliver(ctx, m) {
				return time.Time{}
			}
		}
	}
	return time.Time{}
}

// deliver makes one attempt at m and records its outcome; false means the outcome could not
// be recorded.
func (s *Sender) deliver(ctx context.Context, m Queued) bool {
	log := s.cfg.Logger.With("mail", m.ID)
	if s.cfg.Host == "" {
		log.Warn("dropping an e-mail: smtp.host is empty", "subject", m.Subject)
		if err := s.queue.Delivered(ctx, m.ID); err != nil {
			log.Error("removing a dropped mail", "err", err)
			return false
		}
		return true
	}
	err := s.send(ctx, m.Message)
	if ctx.Err() != nil {
		return false // shutting down: the attempt does not count
	}
	if err == nil {
		if err := s.queue.Delivered(ctx, m.ID); err != nil {
			// It will be sent again: a duplicate mail is better than a lost one.
			log.Error("removing a delivered mail", "err", err)
			return false
		}
		return true
	}
	attempts := m.Attempts + 1
	giveUp := attempts >= s.cfg.MaxAttempts || permanent(err)
	next := s.cfg.Now().Add(s.backoff(attempts))
	if giveUp {
		log.Error("giving up on an e-mail", "attempts", attempts, "err", err)
	} else {
		log.Warn("e-mail delivery failed; will retry", "attempts", attempts, "retry_at", next, "err", err)
	}
	if err := s.queue.Failed(ctx, m.ID, attempts, next, err.Error(), giveUp); err != nil {
		log.Error("recording a failed delivery", "err", err)
		return false
	}
	return true
}

// backoff is the wait after the given number of failed attempts.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// permanent reports whether the server refused the mail for good (a 5xx answer to the
// recipient or the content): retrying cannot help. Connection and authentication failures
// are retried, since they are usually a passing outage or a configuration being fixed.
func permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	return !se.IsTemp() && se.ErrorCode() >= 500 &&
		(se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose)
}

// send makes one SMTP delivery of m.
func (s *Sender) send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, msg)
}
