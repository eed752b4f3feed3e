package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkIdleRSS starts the binary on a fresh, empty data dir, waits until it is ready,
// leaves it idle for 2 s and reads its resident memory from /proc. The loaded-catalog figure
// is reported by BenchmarkStartup100k, which already has such a data dir.
//
// Metrics: MiB-rss (VmRSS), MiB-rss-peak (VmHWM) and binary-MiB (size of the binary file).
func BenchmarkIdleRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skipf("no /proc on this system: %v", err)
	}
	bin := ultramarketBinary(b)
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	var rss, hwm float64
	n := 0
	for b.Loop() {
		s, _ := launch(b, bin, filepath.Join(b.TempDir(), "data"))
		r, h := idleMemory(b, s)
		s.stop(b)
		rss += float64(r)
		hwm += float64(h)
		n++
	}
	b.ReportMetric(rss/float64(n)/mib, "MiB-rss")
	b.ReportMetric(hwm/float64(n)/mib, "MiB-rss-peak")
	b.ReportMetric(float64(fi.Size())/mib, "binary-MiB")
}
