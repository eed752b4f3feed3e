package mailer_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/internal/poll"
	"github.com/ultramarket/ultramarket/mailer"
	"github.com/ultramarket/ultramarket/mailer/smtptest"
)

// memQueue is an in-memory Queue; the store's tests cover the real one.
type memQueue struct {
	mu     sync.Mutex
	mails  map[string]*row
	notify chan struct{}
}

type row struct {
	q      mailer.Queued
	next   time.Time
	err    string
	gaveUp bool
}

func newMemQueue() *memQueue {
	return &memQueue{mails: map[string]*row{}, notify: make(chan struct{}, 1)}
}

func (m *memQueue) add(id string, msg mailer.Message) {
	m.mu.Lock()
	m.mails[id] = &row{q: mailer.Queued{ID: id, Message: msg, CreatedAt: time.Now()}}
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

func (m *memQueue) Due(_ context.Context, now time.Time, limit int) ([]mailer.Queued, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []mailer.Queued
	var next time.Time
	for _, r := range m.mails {
		switch {
		case r.gaveUp:
		case !r.next.After(now):
			due = append(due, r.q)
		case next.IsZero() || r.next.Before(next):
			next = r.next
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	if len(due) > limit {
		due = due[:limit]
	}
	return due, next, nil
}

func (m *memQueue) Delivered(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mails, id)
	return nil
}

func (m *memQueue) Failed(_ context.Context, id string, attempts int, next time.Time, lastErr string, giveUp bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.mails[id]
	r.q.Attempts, r.next, r.err, r.gaveUp = attempts, next, lastErr, giveUp
	return nil
}

func (m *memQueue) Notify() <-chan struct{} { return m.notify }

func (m *memQueue) get(id string) (row, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.mails[id]
	if !ok {
		return row{}, false
	}
	return *r, true
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t *testing.T, cfg mailer.Config, q mailer.Queue) *mailer.Sender {
	t.Helper()
	cfg.Logger = quiet()
	s, err := mailer.Open(cfg, q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDeliversOverSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	q := newMemQueue()
	open(t, mailer.Config{Host: srv.Host, Port: srv.Port, TLS: mailer.TLSNone, From: "Shop <shop@example.com>"}, q)
	q.add("01", mailer.Message{To: "ann@example.com", Subject: "Verify your e-mail – Ünïcode", Text: "Hello Ann,\nclick https://shop.example/x?a=1&b=2\n", HTML: "<p>Hello</p>"})
	m := srv.WaitFor(t, "ann@example.com", 1)
	if m.Subject != "Verify your e-mail – Ünïcode" || !strings.Contains(m.Text, "https://shop.example/x?a=1&b=2") || m.HTML != "<p>Hello</p>" {
		t.Errorf("received %+v", m)
	}
	if m.From != "shop@example.com" {
		t.Errorf("envelope from %q", m.From)
	}
	poll.Until(t, "the delivered mail to leave the queue", func() bool { _, ok := q.get("01"); return !ok })
}

func TestRetriesATemporaryRefusal(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RefuseNext(2)
	q := newMemQueue()
	open(t, mailer.Config{Host: srv.Host, Port: srv.Port, TLS: mailer.TLSNone, From: "shop@example.com",
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}, q)
	q.add("01", mailer.Message{To: "bob@example.com", Subject: "Reset", Text: "token"})
	srv.WaitFor(t, "bob@example.com", 1)
	if n := srv.Attempts(); n != 3 {
		t.Errorf("%d attempts, want 3 (two refused, one accepted)", n)
	}
	poll.Until(t, "the delivered mail to leave the queue", func() bool { _, ok := q.get("01"); return !ok })
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RefuseNext(100)
	q := newMemQueue()
	open(t, mailer.Config{Host: srv.Host, Port: srv.Port, TLS: mailer.TLSNone, From: "shop@example.com",
		MaxAttempts: 3, RetryBase: time.Millisecond, RetryMax: 2 * time.Millisecond}, q)
	q.add("01", mailer.Message{To: "cy@example.com", Subject: "Reset", Text: "token"})
	poll.Until(t, "the mail to be given up", func() bool { r, _ := q.get("01"); return r.gaveUp })
	r, _ := q.get("01")
	if r.q.Attempts != 3 || !strings.Contains(r.err, "451") {
		t.Errorf("given up after %d attempts with %q; want 3 and the server's 451", r.q.Attempts, r.err)
	}
	if n := srv.Attempts(); n != 3 {
		t.Errorf("server saw %d attempts, want 3", n)
	}
}

func TestUnreachableServerIsRetried(t *testing.T) {
	srv := smtptest.Start(t)
	q := newMemQueue()
	// A port nothing listens on: the dial fails, which is not a reason to give up.
	open(t, mailer.Config{Host: "127.0.0.1", Port: 1, TLS: mailer.TLSNone, From: "shop@example.com",
		MaxAttempts: 2, RetryBase: time.Millisecond, RetryMax: time.Millisecond, Timeout: 2 * time.Second}, q)
	q.add("01", mailer.Message{To: "dee@example.com", Subject: "x", Text: "y"})
	poll.Until(t, "the mail to be given up", func() bool { r, _ := q.get("01"); return r.gaveUp })
	if r, _ := q.get("01"); r.q.Attempts != 2 || r.err == "" {
		t.Errorf("attempts %d, err %q", r.q.Attempts, r.err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("mail reached the wrong server")
	}
}

func TestNoHostDropsMail(t *testing.T) {
	q := newMemQueue()
	open(t, mailer.Config{}, q)
	q.add("01", mailer.Message{To: "eve@example.com", Subject: "x", Text: "y"})
	poll.Until(t, "the mail to be dropped", func() bool { _, ok := q.get("01"); return !ok })
}

func TestConfigValidate(t *testing.T) {
	scenarios := []struct {
		name string
		cfg  mailer.Config
		want string // substring of the error; "" means valid
	}{
		{"defaults without a host", mailer.Config{}, ""},
		{"host needs a from address", mailer.Config{Host: "smtp.example.com", From: "nobody"}, "from"},
		{"bad tls", mailer.Config{TLS: "ssl"}, "tls"},
		{"bad port", mailer.Config{Port: 70000}, "port"},
		{"negative timeout", mailer.Config{Timeout: -time.Second}, "timeout"},
		{"complete", mailer.Config{Host: "smtp.example.com", Port: 465, TLS: mailer.TLSImplicit, From: "Shop <shop@example.com>"}, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := sc.cfg.Validate()
			switch {
			case sc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case sc.want != "" && (err == nil || !strings.Contains(err.Error(), sc.want)):
				t.Errorf("error %v, want one about %q", err, sc.want)
			}
		})
	}
}
