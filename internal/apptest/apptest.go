// Package apptest runs a whole UltraMarket instance in-process on a temporary data dir for
// tests, and runs API scenarios against it: method, URL, body, expected status, expected
// content and the events the request must emit. Everything is real — Pebble, Bleve, NATS
// JetStream, the media store and the HTTP server on a loopback port.
package apptest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
	"github.com/ultramarket/ultramarket/bus"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// App is an open instance with an event recorder attached.
type App struct {
	*app.App
	BaseURL string

	mu     sync.Mutex
	events []commerce.Event
}

// Option changes the configuration before the instance opens.
type Option func(*config.Config)

// WithDemo seeds the demo shop.
func WithDemo() Option { return func(c *config.Config) { c.Demo.Enabled = true } }

// New opens an instance on t.TempDir() listening on a free loopback port, and closes it when
// the test ends.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(t.TempDir(), "data")
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Store.MinFreeSpace = 0
	cfg.Snapshots.Interval = config.Dur(0)
	cfg.Server.ShutdownGrace = config.Dur(5 * time.Second)
	cfg.Auth.RateLimit = 0 // tests sign in many times from one address; an Option turns it on
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	inner, err := app.Open(context.Background(), cfg, app.Options{Version: "test", Logger: log, Stdout: io.Discard})
	if err != nil {
		t.Fatalf("apptest: open: %v", err)
	}
	a := &App{App: inner, BaseURL: "http://" + inner.Addr().String()}
	rec, err := inner.Bus.Subscribe(context.Background(), "apptest-recorder", nil, func(_ context.Context, ev commerce.Event) error {
		a.mu.Lock()
		a.events = append(a.events, ev)
		a.mu.Unlock()
		return nil
	}, bus.DeliverNew())
	if err != nil {
		inner.Close(context.Background())
		t.Fatalf("apptest: record events: %v", err)
	}
	t.Cleanup(func() {
		rec.Close()
		if err := inner.Close(context.Background()); err != nil {
			t.Errorf("apptest: close: %v", err)
		}
	})
	return a
}

// EventsAfter waits until every event with Seq in (after, upTo] has been recorded and returns
// them in Seq order.
func (a *App) EventsAfter(t testing.TB, after, upTo uint64) []commerce.Event {
	t.Helper()
	var out []commerce.Event
	poll.Within(t, 10*time.Second, fmt.Sprintf("events %d..%d to reach the bus", after+1, upTo), func() bool {
		out = out[:0]
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, ev := range a.events {
			if ev.Seq > after && ev.Seq <= upTo {
				out = append(out, ev)
			}
		}
		return uint64(len(out)) == upTo-after
	})
	return out
}
