package bench

import (
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP ultramarket_outbox_backlog Events in the outbox not yet published.
# TYPE ultramarket_outbox_backlog gauge
ultramarket_outbox_backlog 0
ultramarket_index_documents 100000
ultramarket_index_documents_total{kind="x"} 7
go_goroutines 42 1700000000000
`
	got, err := parseMetrics(strings.NewReader(text), "ultramarket_outbox_backlog", "ultramarket_index_documents", "go_goroutines", "missing")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"ultramarket_outbox_backlog": 0, "ultramarket_index_documents": 100000, "go_goroutines": 42}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestOpenTook(t *testing.T) {
	scenarios := []struct {
		name string
		out  string
		want time.Duration
		ok   bool
	}{
		{"text", "time=2026-01-01T00:00:00Z level=INFO msg=\"ultramarket ready\" listen=127.0.0.1:1 took=123ms\n", 123 * time.Millisecond, true},
		{"quoted", `level=INFO msg="ultramarket ready" took="1.5s"`, 1500 * time.Millisecond, true},
		{"absent", "level=INFO msg=starting\n", 0, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, ok := openTook(sc.out)
			if got != sc.want || ok != sc.ok {
				t.Errorf("openTook = %v, %v; want %v, %v", got, ok, sc.want, sc.ok)
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	status := "Name:\tultramarket\nVmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n"
	rss, hwm, err := parseProcStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if rss != 20<<20 || hwm != 40<<20 {
		t.Errorf("rss %d, hwm %d; want %d, %d", rss, hwm, 20<<20, 40<<20)
	}
	if _, _, err := parseProcStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("no error for a status without VmRSS")
	}
}
