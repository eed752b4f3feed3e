package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/internal/load"
)

const (
	// LoadBinaryEnv names the environment variable holding the path of a built
	// ultramarket-load binary; unset, the benchmark builds one.
	LoadBinaryEnv = "ULTRAMARKET_LOAD_BINARY"
	// LoadJSONEnv names a file the storefront load report is written to as JSON (for the
	// closing note); unset, it goes to a temporary directory.
	LoadJSONEnv = "ULTRAMARKET_LOAD_JSON"
	// demoProducts is the size of the demo catalog the storefront load runs on.
	demoProducts = 10_000
)

var demoCredentials = regexp.MustCompile(`Demo administrator: (\S+)\s+password: (\S+)`)

// BenchmarkStorefront starts `ultramarket serve --demo` with a 10,000-product demo shop on a
// fresh data dir, waits until it is ready and its search index holds the catalog, then runs
// ultramarket-load against it (10 s per case at 32 connections: a bare Echo handler as the
// ceiling, product by id, product list by category, search, add to cart, checkout with its
// stock check) and stops the server with SIGTERM. The load tool's table is printed as it
// comes; the benchmark fails only when the run itself fails or the checkout oversold.
//
// Metrics: rps-ceiling, rps-product, pct-of-ceiling, ms-p99-product, ms-p99-search,
// orders/s and oversold.
func BenchmarkStorefront(b *testing.B) {
	bin := ultramarketBinary(b)
	loadBin := binary(b, LoadBinaryEnv, "github.com/ultramarket/ultramarket/cmd/ultramarket-load")
	jsonOut := os.Getenv(LoadJSONEnv)
	if jsonOut == "" {
		jsonOut = filepath.Join(b.TempDir(), "storefront.json")
	}
	dir := filepath.Join(b.TempDir(), "data")
	s, ready := launchWith(b, bin, dir, settleTimeout, serveOptions{
		args: []string{"--demo"},
		env:  []string{"ULTRAMARKET_DEMO_PRODUCTS=" + strconv.Itoa(demoProducts)},
	})
	m := demoCredentials.FindStringSubmatch(s.out.String())
	if m == nil {
		s.fatalf(b, "no demo administrator's credentials in the output")
	}
	email, password := m[1], m[2]
	settled := s.waitIndex(b, settleTimeout, func(d float64) bool { return d >= demoProducts })
	b.Logf("demo shop of %d products: ready after %v, indexed after %v", demoProducts, ready.Round(time.Millisecond), settled.Round(time.Millisecond))

	var report load.Report
	for b.Loop() {
		report = s.runLoad(b, loadBin, email, password, jsonOut)
	}
	s.stop(b)

	for _, c := range report.Cases {
		switch c.Name {
		case load.CaseCeiling:
			b.ReportMetric(c.RPS, "rps-ceiling")
		case load.CaseProductByID:
			b.ReportMetric(c.RPS, "rps-product")
			b.ReportMetric(100*c.RatioToCeiling, "pct-of-ceiling")
			b.ReportMetric(c.P99MS, "ms-p99-product")
		case load.CaseSearch:
			b.ReportMetric(c.P99MS, "ms-p99-search")
		case load.CaseCheckout:
			b.ReportMetric(c.OrdersPerSec, "orders/s")
			if c.Stock != nil {
				b.ReportMetric(float64(c.Stock.Oversold), "oversold")
			}
		}
	}
	fmt.Printf("storefront load report (JSON): %s\n", jsonOut)
}

// runLoad runs ultramarket-load against the server as the admin email/password, with the
// JSON report written to jsonOut, and returns the report.
func (s *server) runLoad(b *testing.B, loadBin, email, password, jsonOut string, args ...string) load.Report {
	b.Helper()
	cmd := exec.Command(loadBin, append([]string{"--url", s.url, "--email", email, "--json", jsonOut}, args...)...)
	cmd.Env = append(os.Environ(), "ULTRAMARKET_LOAD_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		s.fatalf(b, "ultramarket-load: %v", err)
	}
	data, err := os.ReadFile(jsonOut)
	if err != nil {
		b.Fatal(err)
	}
	var report load.Report
	if err := json.Unmarshal(data, &report); err != nil {
		b.Fatalf("read the load report: %v", err)
	}
	return report
}
