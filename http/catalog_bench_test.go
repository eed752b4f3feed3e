package http_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// benchShop is a demo shop of 10,000 products, opened once for the catalog benchmarks.
func benchShop(b *testing.B) (*apptest.App, []catalog.Product, []catalog.Category) {
	a := apptest.New(b, apptest.WithDemo(), func(c *config.Config) { c.Demo.Products = 10_000 })
	var ps []catalog.Product
	_ = a.Catalog.ScanProducts(context.Background(), func(p catalog.Product) error {
		if p.Status == catalog.StatusActive {
			ps = append(ps, p)
		}
		return nil
	})
	cats, _ := a.Catalog.Categories(context.Background())
	// Measure a settled shop: the index has every product and the outbox is empty.
	poll.Within(b, time.Minute, "the demo shop to be indexed", func() bool {
		n, _ := a.Index.DocCount()
		backlog, _ := a.DB.OutboxBacklog(context.Background())
		return n == 10_000 && backlog == 0
	})
	return a, ps, cats
}

// BenchmarkCatalogRoutes measures the server side of the storefront's catalog reads (the
// Echo handler with every middleware, no network): product by id, a category page, search.
func BenchmarkCatalogRoutes(b *testing.B) {
	a, ps, cats := benchShop(b)
	h := a.HTTP.Handler()
	run := func(b *testing.B, url func(i int) string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", url(i), nil))
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", url(i), w.Code, w.Body)
				}
			}
		})
	}
	b.Run("product_by_id", func(b *testing.B) {
		run(b, func(i int) string { return "/api/v1/products/" + ps[(i*7919)%len(ps)].ID })
	})
	b.Run("product_list_by_category", func(b *testing.B) {
		run(b, func(i int) string { return "/api/v1/products?limit=20&category=" + cats[i%len(cats)].ID })
	})
	queries := []string{"tea", "leather+boots", "wireless+headphones", "cotton+t-shirt", "honey", "organic+green+tea", "gift", "travel"}
	b.Run("search", func(b *testing.B) {
		run(b, func(i int) string { return "/api/v1/products/search?q=" + queries[i%len(queries)] })
	})
}
