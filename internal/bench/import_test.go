package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/catalog/shopify"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// importSources are the real Shopify files (classic header set) the import benchmark grows
// its CSV from.
var importSources = []string{
	"shopify-product-template-legacy.csv",
	"shopifypartners-apparel.csv",
	"shopifypartners-jewelery.csv",
	"shopifypartners-home-and-garden.csv",
}

// growShopifyCSV writes a classic-header Shopify CSV of n products made from the real files
// in ../shared/data: their rows copied again and again, each copy with a new handle and new
// SKUs (handle-<copy>, SKU-<copy>), mapped by column name onto the legacy template's header.
// It returns the CSV and the number of variant rows.
func growShopifyCSV(tb testing.TB, n int) ([]byte, int) {
	tb.Helper()
	type product struct{ rows [][]string }
	var header []string
	var products []product
	for _, name := range importSources {
		p := filepath.Join("..", "..", "..", "shared", "data", name)
		f, err := os.Open(p)
		if err != nil {
			tb.Skipf("shared data not available: %v", err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if header == nil {
			header = rows[0]
		}
		at := map[string]int{}
		for i, h := range rows[0] {
			at[h] = i
		}
		for _, r := range rows[1:] {
			out := make([]string, len(header))
			for i, h := range header {
				if j, ok := at[h]; ok {
					out[i] = r[j]
				}
			}
			if len(products) == 0 || products[len(products)-1].rows[0][0] != out[0] {
				products = append(products, product{})
			}
			products[len(products)-1].rows = append(products[len(products)-1].rows, out)
		}
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	variants := 0
	for i := 0; i < n; i++ {
		src := products[i%len(products)]
		copyN := i / len(products)
		for _, r := range src.rows {
			row := append([]string(nil), r...)
			row[col["Handle"]] = fmt.Sprintf("%s-%d", r[col["Handle"]], copyN)
			if sku := r[col["Variant SKU"]]; sku != "" {
				row[col["Variant SKU"]] = fmt.Sprintf("%s-%d", sku, copyN)
			}
			if row[col["Title"]] != "" {
				row[col["Title"]] = fmt.Sprintf("%s %d", r[col["Title"]], copyN)
			}
			if r[col["Option1 Value"]] != "" || r[col["Variant SKU"]] != "" || r[col["Variant Price"]] != "" {
				variants++
			}
			w.Write(row)
		}
	}
	w.Flush()
	return buf.Bytes(), variants
}

// BenchmarkImport100k imports a 100,000-product Shopify CSV (grown from the real files, see
// growShopifyCSV) into a fresh in-process instance and waits until the search index has
// applied every event: the figure is import plus indexing. ULTRAMARKET_IMPORT_N sets
// another size, ULTRAMARKET_IMPORT_CACHE_MB the store's block cache (store.cache_size).
func BenchmarkImport100k(b *testing.B) {
	n := 100_000
	if s := os.Getenv("ULTRAMARKET_IMPORT_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	data, variants := growShopifyCSV(b, n)
	b.ReportMetric(float64(len(data))/1e6, "csv_MB")
	for i := 0; i < b.N; i++ {
		cfg := config.Default()
		cfg.Data.Dir = filepath.Join(b.TempDir(), "data")
		cfg.Server.Listen = "127.0.0.1:0"
		cfg.Store.MinFreeSpace = 0
		cfg.Snapshots.Interval = config.Dur(0)
		if s := os.Getenv("ULTRAMARKET_IMPORT_CACHE_MB"); s != "" {
			var mb int
			fmt.Sscan(s, &mb)
			cfg.Store.CacheSize = config.ByteSize(mb) << 20
		}
		a, err := app.Open(context.Background(), cfg, app.Options{Version: "bench", Logger: slog.New(slog.DiscardHandler), Stdout: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		t0 := time.Now()
		// As the admin API's import job and the CLI run it: under a staff actor, so every
		// product event is also an audit entry.
		ctx := commerce.WithActor(context.Background(), commerce.Actor{ID: "user:bench", Role: "admin", Staff: true})
		rep, err := a.Shop.Import(ctx, shopify.NewReader(bytes.NewReader(data), shopify.Options{}), catalog.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		imported := time.Since(t0)
		if rep.Created != n || rep.Failed != 0 {
			b.Fatalf("created %d, failed %d (%v); want %d", rep.Created, rep.Failed, firstErrors(rep.Errors), n)
		}
		poll.Within(b, 10*time.Minute, "the index to apply the import", func() bool { return a.Index.HighWater() >= a.DB.LastSeq() })
		total := time.Since(t0)
		b.StopTimer()
		docs, _ := a.Index.DocCount()
		if docs < uint64(n) {
			b.Errorf("index holds %d documents, want %d", docs, n)
		}
		b.ReportMetric(imported.Seconds(), "import_s")
		b.ReportMetric(total.Seconds(), "import+index_s")
		b.ReportMetric(float64(n)/total.Seconds(), "products/s")
		b.ReportMetric(float64(variants), "variants")
		if err := a.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func firstErrors(errs []catalog.ImportError) string {
	var s []string
	for i, e := range errs {
		if i == 5 {
			break
		}
		s = append(s, fmt.Sprintf("line %d %s: %s", e.Line, e.Field, e.Message))
	}
	return strings.Join(s, "; ")
}
