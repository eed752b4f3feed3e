package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/internal/load"
)

const (
	// SearchJSONEnv names a file the search load report at 100k products is written to as
	// JSON; unset, it goes to a temporary directory.
	SearchJSONEnv = "ULTRAMARKET_SEARCH_JSON"
	// searchProducts is the size of the demo catalog the search load runs on (the issue's
	// figures are for 100,000 products).
	searchProducts = 100_000
)

// BenchmarkSearch100k starts `ultramarket serve --demo` with a 100,000-product demo shop on
// a fresh data dir, waits until its search index holds the catalog, and runs the load tool's
// ceiling, search_facets and suggest cases against it (10 s each at 32 connections), printing
// the table. The ceiling (a bare Echo handler in a process of its own, on the same cores) is
// in the same run so the routes' latencies can be told apart from what the machine allows.
// It fails only when the run itself fails.
//
// Metrics: ms-p50-ceiling, ms-p99-ceiling, ms-p50-search-facets, ms-p99-search-facets,
// ms-p50-suggest, ms-p99-suggest and s-seed (start to an indexed catalog).
func BenchmarkSearch100k(b *testing.B) {
	bin := ultramarketBinary(b)
	loadBin := binary(b, LoadBinaryEnv, "github.com/ultramarket/ultramarket/cmd/ultramarket-load")
	jsonOut := os.Getenv(SearchJSONEnv)
	if jsonOut == "" {
		jsonOut = filepath.Join(b.TempDir(), "search.json")
	}
	dir := filepath.Join(b.TempDir(), "data")
	t0 := time.Now()
	s, ready := launchWith(b, bin, dir, settleTimeout, serveOptions{
		args: []string{"--demo"},
		env:  []string{"ULTRAMARKET_DEMO_PRODUCTS=" + strconv.Itoa(searchProducts)},
	})
	m := demoCredentials.FindStringSubmatch(s.out.String())
	if m == nil {
		s.fatalf(b, "no demo administrator's credentials in the output")
	}
	email, password := m[1], m[2]
	settled := s.waitIndex(b, settleTimeout, func(d float64) bool { return d >= searchProducts })
	seeded := time.Since(t0)
	b.Logf("demo shop of %d products: ready after %v, indexed after %v", searchProducts, ready.Round(time.Millisecond), settled.Round(time.Millisecond))

	var report load.Report
	for b.Loop() {
		report = s.runLoad(b, loadBin, email, password, jsonOut,
			"--cases", strings.Join([]string{load.CaseCeiling, load.CaseSuggest, load.CaseSearchFacets}, ","))
	}
	s.stop(b)
	b.ReportMetric(seeded.Seconds(), "s-seed")
	for _, c := range report.Cases {
		switch c.Name {
		case load.CaseCeiling:
			b.ReportMetric(c.P50MS, "ms-p50-ceiling")
			b.ReportMetric(c.P99MS, "ms-p99-ceiling")
		case load.CaseSearchFacets:
			b.ReportMetric(c.P50MS, "ms-p50-search-facets")
			b.ReportMetric(c.P99MS, "ms-p99-search-facets")
		case load.CaseSuggest:
			b.ReportMetric(c.P50MS, "ms-p50-suggest")
			b.ReportMetric(c.P99MS, "ms-p99-suggest")
		}
	}
}
