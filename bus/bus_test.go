package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ultramarket/ultramarket/commerce"
)

// testLogger keeps test output quiet unless -v is given.
func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// openBus opens a bus on dir and closes it when the test ends.
func openBus(t *testing.T, dir string) *Bus {
	t.Helper()
	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newEvent(t testing.TB, typ string, seq uint64) commerce.Event {
	t.Helper()
	ev, err := commerce.NewEvent(typ, commerce.NewID(), time.Now(), map[string]any{"n": seq})
	if err != nil {
		t.Fatal(err)
	}
	ev.Seq = seq
	return ev
}

func streamMsgs(t *testing.T, b *Bus) uint64 {
	t.Helper()
	st, err := b.StreamInfo(t.Context())
	if err != nil {
		t.Fatalf("StreamInfo: %v", err)
	}
	return st.Msgs
}

// streamEvents reads every event stored in the stream, in stream order.
func streamEvents(t *testing.T, b *Bus) []commerce.Event {
	t.Helper()
	ctx := t.Context()
	s, err := b.js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	st := s.CachedInfo().State
	var out []commerce.Event
	for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get stream msg %d: %v", seq, err)
		}
		ev := decodeForTest(t, raw.Data)
		if got := raw.Header.Get(jetstream.MsgIDHeader); got != ev.ID {
			t.Fatalf("stream msg %d: Nats-Msg-Id %q, event ID %q", seq, got, ev.ID)
		}
		if raw.Subject != ev.Subject() {
			t.Fatalf("stream msg %d: subject %q, want %q", seq, raw.Subject, ev.Subject())
		}
		out = append(out, ev)
	}
	return out
}

func TestOpenConfig(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name     string
		cfg      Config
		wantKind commerce.Kind
		wantText string
	}{
		{name: "dir required", cfg: Config{}, wantKind: commerce.EInvalid, wantText: "bus.dir"},
		{name: "dir is a file", cfg: Config{Dir: file}, wantKind: commerce.EInvalid, wantText: file},
		{name: "dir below a file", cfg: Config{Dir: filepath.Join(file, "bus")}, wantKind: commerce.EInvalid, wantText: filepath.Join(file, "bus")},
		{name: "listen without port", cfg: Config{Dir: tmp, Listen: "127.0.0.1"}, wantKind: commerce.EInvalid, wantText: "bus.listen"},
		{name: "listen bad port", cfg: Config{Dir: tmp, Listen: "127.0.0.1:99999"}, wantKind: commerce.EInvalid, wantText: "bus.listen"},
		{name: "duplicate window over max age", cfg: Config{Dir: tmp, MaxAge: time.Minute, DuplicateWindow: time.Hour}, wantKind: commerce.EInvalid, wantText: "bus.duplicate_window"},
		{name: "negative max bytes", cfg: Config{Dir: tmp, MaxBytes: -1}, wantKind: commerce.EInvalid, wantText: "bus.max_bytes"},
		{name: "negative sync interval", cfg: Config{Dir: tmp, SyncInterval: -time.Second}, wantKind: commerce.EInvalid, wantText: "bus.sync_interval"},
		{name: "duplicate window shorter than four syncs", cfg: Config{Dir: tmp, SyncInterval: time.Minute, DuplicateWindow: 2 * time.Minute}, wantKind: commerce.EInvalid, wantText: "four sync intervals"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sc.cfg.Logger = testLogger()
			b, err := Open(t.Context(), sc.cfg)
			if err == nil {
				_ = b.Close()
				t.Fatal("Open succeeded")
			}
			if k := commerce.KindOf(err); k != sc.wantKind {
				t.Errorf("kind %s, want %s (%v)", k, sc.wantKind, err)
			}
			if !strings.Contains(err.Error(), sc.wantText) {
				t.Errorf("error %q does not mention %q", err, sc.wantText)
			}
		})
	}
}

func TestListen(t *testing.T) {
	scenarios := []struct {
		name      string
		listen    string
		wantAddr  bool
		connectOK bool
	}{
		{name: "no listener by default", listen: ""},
		{name: "opt-in listener on a free port", listen: "127.0.0.1:0", wantAddr: true, connectOK: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			b, err := Open(t.Context(), Config{Dir: t.TempDir(), Listen: sc.listen, Logger: testLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			addr := b.Addr()
			if (addr != nil) != sc.wantAddr {
				t.Fatalf("Addr() = %v, want listener %v", addr, sc.wantAddr)
			}
			if !sc.wantAddr {
				return
			}
			if !strings.HasPrefix(addr.String(), "127.0.0.1:") || strings.HasSuffix(addr.String(), ":0") {
				t.Fatalf("Addr() = %s, want 127.0.0.1 with a real port", addr)
			}
			nc, err := nats.Connect("nats://"+addr.String(), nats.Timeout(5*time.Second))
			if err != nil {
				t.Fatalf("plain client connect to %s: %v", addr, err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := js.Stream(t.Context(), StreamName); err != nil {
				t.Fatalf("stream %s over TCP: %v", StreamName, err)
			}
		})
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	b, err := Open(t.Context(), Config{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := t.Context()
	if err := b.Publish(ctx, newEvent(t, "test.closed", 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := b.StreamInfo(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("StreamInfo after Close: %v, want ErrClosed", err)
	}
	h := func(context.Context, commerce.Event) error { return nil }
	if _, err := b.Subscribe(ctx, "late", nil, h); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	b.StartRelay(newFakeOutbox()) // no-op
}

func TestReopenKeepsStreamAndAppliesLimits(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(t.Context(), Config{Dir: dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := b.Publish(t.Context(), newEvent(t, "test.kept", uint64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2, err := Open(t.Context(), Config{Dir: dir, MaxAge: time.Hour, MaxBytes: 1 << 20, DuplicateWindow: time.Minute, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if got := streamMsgs(t, b2); got != 3 {
		t.Fatalf("stream has %d events after reopen, want 3", got)
	}
	s, err := b2.js.Stream(t.Context(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.MaxAge != time.Hour || cfg.MaxBytes != 1<<20 || cfg.Duplicates != time.Minute || cfg.Storage != jetstream.FileStorage {
		t.Fatalf("stream config not updated: max_age=%s max_bytes=%d duplicates=%s storage=%s",
			cfg.MaxAge, cfg.MaxBytes, cfg.Duplicates, cfg.Storage)
	}
}

func TestPublishRejectsInvalidEvents(t *testing.T) {
	b := openBus(t, t.TempDir())
	good := newEvent(t, "test.ok", 1)
	scenarios := []struct {
		name   string
		mutate func(*commerce.Event)
	}{
		{name: "no id", mutate: func(e *commerce.Event) { e.ID = "" }},
		{name: "no type", mutate: func(e *commerce.Event) { e.Type = "" }},
		{name: "wildcard type", mutate: func(e *commerce.Event) { e.Type = "orders.*" }},
		{name: "empty token", mutate: func(e *commerce.Event) { e.Type = "orders..placed" }},
		{name: "bad json data", mutate: func(e *commerce.Event) { e.Data = []byte("{nope") }},
		{name: "too large", mutate: func(e *commerce.Event) {
			e.Data = []byte(`"` + strings.Repeat("x", MaxEventBytes) + `"`)
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ev := good
			sc.mutate(&ev)
			err := b.Publish(t.Context(), ev)
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Publish: %v, want ErrInvalidEvent", err)
			}
		})
	}
	if got := streamMsgs(t, b); got != 0 {
		t.Fatalf("stream has %d events, want 0", got)
	}
	// An entity as large as the HTTP body limit allows (1 MiB) still travels.
	big := newEvent(t, "test.big", 2)
	big.Data = []byte(`"` + strings.Repeat("x", 2<<20) + `"`)
	if err := b.Publish(t.Context(), big); err != nil {
		t.Fatalf("publish a 2 MiB event: %v", err)
	}
	if got := streamMsgs(t, b); got != 1 {
		t.Fatalf("stream has %d events, want 1", got)
	}
}

func TestPublishDeduplicatesByID(t *testing.T) {
	b := openBus(t, t.TempDir())
	ev := newEvent(t, "test.dedupe", 1)
	for range 3 {
		if err := b.Publish(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := streamMsgs(t, b); got != 1 {
		t.Fatalf("stream has %d copies, want 1", got)
	}
}

// eventIDs lists the IDs of evs, for comparisons.
func eventIDs(evs []commerce.Event) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

func sameIDs(a, b []string) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d events, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("event %d is %s, want %s", i, a[i], b[i])
		}
	}
	return nil
}

// recorder collects what a handler saw.
type recorder struct {
	mu  sync.Mutex
	evs []commerce.Event
}

func (r *recorder) add(ev commerce.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return eventIDs(r.evs)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}
