package logbuf

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/internal/poll"
)

// lockedBuffer is a bytes.Buffer safe for the flusher goroutine and the test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWriter(t *testing.T) {
	scenarios := []struct {
		name     string
		level    slog.Level
		interval time.Duration
		atOnce   bool // written before the first interval ends
	}{
		{name: "info waits for the interval", level: slog.LevelInfo, interval: time.Hour},
		{name: "warning is written at once", level: slog.LevelWarn, interval: time.Hour, atOnce: true},
		{name: "error is written at once", level: slog.LevelError, interval: time.Hour, atOnce: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var out lockedBuffer
			w := New(&out, sc.interval)
			log := slog.New(Handler(slog.NewTextHandler(w, nil), w)).With("component", "test")
			log.Info("first line")
			log.Log(t.Context(), sc.level, "second line")
			if got := out.String(); (got != "") != sc.atOnce {
				t.Fatalf("written before the interval: %q, want written=%v", got, sc.atOnce)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if !strings.Contains(got, "first line") || !strings.Contains(got, "second line") || strings.Index(got, "first") > strings.Index(got, "second") {
				t.Fatalf("after Close: %q, want both lines in order", got)
			}
			if err := w.Close(); err != nil { // idempotent
				t.Fatal(err)
			}
		})
	}
}

func TestWriterFlushesEveryInterval(t *testing.T) {
	var out lockedBuffer
	w := New(&out, 20*time.Millisecond)
	defer w.Close()
	if _, err := w.Write([]byte("buffered\n")); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the periodic flush", func() bool { return out.String() == "buffered\n" })
}
