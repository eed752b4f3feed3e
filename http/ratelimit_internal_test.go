package http

import (
	"fmt"
	"testing"
	"time"
)

func TestIPLimiter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newIPLimiter(6, 2, func() time.Time { return now }) // one token every 10 s, bursts of 2
	scenarios := []struct {
		name    string
		advance time.Duration
		ip      string
		ok      bool
		wait    time.Duration
	}{
		{"first of the burst", 0, "192.0.2.1", true, 0},
		{"second of the burst", 0, "192.0.2.1", true, 0},
		{"burst used up", 0, "192.0.2.1", false, 10 * time.Second},
		{"a refused request takes no token", 4 * time.Second, "192.0.2.1", false, 6 * time.Second},
		{"another address has its own bucket", 0, "192.0.2.2", true, 0},
		{"a token comes back", 6 * time.Second, "192.0.2.1", true, 0},
		{"and is used", 0, "192.0.2.1", false, 10 * time.Second},
	}
	for _, sc := range scenarios {
		now = now.Add(sc.advance)
		ok, wait := l.allow(sc.ip)
		if wait = wait.Round(time.Millisecond); ok != sc.ok || wait != sc.wait {
			t.Fatalf("%s: allow = %v, wait %v; want %v, %v", sc.name, ok, wait, sc.ok, sc.wait)
		}
	}
	if l.size() != 2 {
		t.Fatalf("entries %d, want 2", l.size())
	}
	// Idle entries go at the next sweep: memory follows active addresses only.
	now = now.Add(2 * time.Minute)
	l.allow("192.0.2.3")
	if l.size() != 1 {
		t.Fatalf("entries after idling %d, want 1", l.size())
	}
	if newIPLimiter(0, 5, nil) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
}

func TestIPLimiterBounded(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newIPLimiter(60, 1, func() time.Time { return now })
	for i := range maxLimiterEntries + 500 {
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	if n := l.size(); n > maxLimiterEntries {
		t.Fatalf("entries %d beyond the bound %d", n, maxLimiterEntries)
	}
}
