package bench

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	// startsPerOp is how many starts one benchmark iteration measures; their mean and maximum
	// are reported, so -benchtime 1x already gives a usable figure.
	startsPerOp = 5
	// catalogSize is the number of products in the loaded data dir.
	catalogSize = 100_000
	// settleTimeout bounds the first start on the loaded data dir: building the search index
	// and publishing the import's outbox events.
	settleTimeout = 10 * time.Minute
	// idleWait is how long a ready server is left alone before its memory is read.
	idleWait = 2 * time.Second
)

// BenchmarkStartupEmpty starts the binary on a fresh, empty data dir (which it creates) and
// measures the time from process start to the first 200 from /readyz, then stops it with
// SIGTERM and expects exit code 0.
//
// Metrics: ms/start (mean), ms/start-max, ms/open (the server's own "took" for opening its
// engines, without exec and runtime start-up) and ms/stop (SIGTERM to exit).
func BenchmarkStartupEmpty(b *testing.B) {
	bin := ultramarketBinary(b)
	var start, open, stop stats
	for b.Loop() {
		for range startsPerOp {
			dir := filepath.Join(b.TempDir(), "data")
			measureStart(b, bin, dir, &start, &open, &stop)
		}
	}
	reportStarts(b, &start, &open, &stop)
}

// BenchmarkStartup100k writes 100,000 synthetic products (1 to 3 variants each) straight into
// the store of a data dir, as a bulk import leaves it: products plus their events in the
// outbox, no search index yet. The first start builds the index from the store before it is
// ready; it then publishes the import's events. That first start is reported on its own. The
// benchmark then measures warm restarts, and finally the idle memory of the loaded shop.
//
// Metrics: s/import (writing the products), ms/first-start (to /readyz, including the index
// build), s/first-settle (until the outbox is empty and the index holds every product),
// ms/start, ms/start-max, ms/open and ms/stop for warm restarts, MiB-rss and MiB-rss-peak
// (VmRSS after 2 s idle, and VmHWM, of a warm-started server).
func BenchmarkStartup100k(b *testing.B) {
	bin := ultramarketBinary(b)
	dir := filepath.Join(b.TempDir(), "data")
	imported := writeCatalog(b, dir, catalogSize)

	// The first start builds the search index before it is ready, so it gets the longer bound.
	s, first := launchWithin(b, bin, dir, settleTimeout)
	settled := s.waitSettled(b, catalogSize, settleTimeout)
	s.stop(b)
	b.Logf("import %v; first start: ready after %v, settled after %v", imported.Round(time.Millisecond),
		first.Round(time.Millisecond), settled.Round(time.Millisecond))

	var start, open, stop stats
	for b.Loop() {
		for range startsPerOp {
			out := measureStart(b, bin, dir, &start, &open, &stop)
			if strings.Contains(out, "index: rebuilding") {
				b.Logf("a warm start rebuilt the search index:\n%s", out)
			}
		}
	}

	s, _ = launch(b, bin, dir)
	rss, hwm := idleMemory(b, s)
	s.stop(b)

	reportStarts(b, &start, &open, &stop)
	b.ReportMetric(imported.Seconds(), "s/import")
	b.ReportMetric(ms(first), "ms/first-start")
	b.ReportMetric(settled.Seconds(), "s/first-settle")
	b.ReportMetric(float64(rss)/mib, "MiB-rss")
	b.ReportMetric(float64(hwm)/mib, "MiB-rss-peak")
}

// measureStart starts the binary on dir, waits for /readyz, stops it and records the figures.
// It returns the process's output.
func measureStart(b *testing.B, bin, dir string, start, open, stop *stats) string {
	b.Helper()
	s, d := launch(b, bin, dir)
	start.add(d)
	stop.add(s.stop(b))
	out := s.out.String()
	if took, ok := openTook(out); ok {
		open.add(took)
	}
	return out
}

func reportStarts(b *testing.B, start, open, stop *stats) {
	b.ReportMetric(start.meanMS(), "ms/start")
	b.ReportMetric(ms(start.max), "ms/start-max")
	if open.n > 0 {
		b.ReportMetric(open.meanMS(), "ms/open")
	}
	b.ReportMetric(stop.meanMS(), "ms/stop")
}

// waitSettled polls /metrics until the outbox backlog is 0 and the index holds docs documents,
// and returns the time since the process was started. It fails the benchmark after timeout.
func (s *server) waitSettled(b *testing.B, docs int, timeout time.Duration) time.Duration {
	b.Helper()
	return s.waitIndex(b, timeout, func(d float64) bool { return d == float64(docs) })
}

// waitIndex polls /metrics until the outbox backlog is 0 and the number of documents in the
// index satisfies enough, and returns the time since the process was started. It fails the
// benchmark after timeout.
func (s *server) waitIndex(b *testing.B, timeout time.Duration, enough func(docs float64) bool) time.Duration {
	b.Helper()
	const (
		backlog = "ultramarket_outbox_backlog"
		indexed = "ultramarket_index_documents"
	)
	deadline := time.Now().Add(timeout)
	var last map[string]float64
	var lastErr error
	for {
		m, err := s.metrics(backlog, indexed)
		if err == nil {
			last = m
			b1, ok1 := m[backlog]
			d, ok2 := m[indexed]
			if ok1 && ok2 && b1 == 0 && enough(d) {
				return time.Since(s.start)
			}
		}
		lastErr = err
		if s.exited() {
			s.fatalf(b, "exited while settling: %v", s.err)
		}
		if time.Now().After(deadline) {
			s.fatalf(b, "not settled within %v: last metrics %v, last error %v", timeout, last, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// idleMemory leaves a ready server alone for idleWait and returns its resident and peak
// resident memory in bytes.
func idleMemory(b *testing.B, s *server) (rss, hwm int64) {
	b.Helper()
	time.Sleep(idleWait)
	if s.exited() {
		s.fatalf(b, "exited while idle: %v", s.err)
	}
	rss, hwm, err := procMemory(s.cmd.Process.Pid)
	if err != nil {
		s.fatalf(b, "read memory: %v", err)
	}
	return rss, hwm
}
