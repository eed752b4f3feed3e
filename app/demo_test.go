package app

import (
	"context"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/store"
)

type demoClock struct{}

func (demoClock) Now() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func openDemoStore(t testing.TB) (*store.DB, *store.Catalog) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Dir: t.TempDir(), DiskGuardOff: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, store.NewCatalog(db)
}

// TestSeedDemo: the demo shop is a category tree with products in every sub-category, the
// same on every run, valid by the catalog's own rules, and seeded only into an empty store.
func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	db, cat := openDemoStore(t)
	n, err := seedDemo(ctx, db, cat, demoClock{}, 400)
	if err != nil || n != 400 {
		t.Fatalf("seed: %d %v", n, err)
	}
	if again, err := seedDemo(ctx, db, cat, demoClock{}, 400); err != nil || again != 0 {
		t.Errorf("second seed: %d %v", again, err)
	}
	svc := catalog.NewService(cat, demoClock{})
	top := ""
	deps, err := svc.Categories(ctx, &top)
	if err != nil || len(deps) != len(demoDepartments) {
		t.Fatalf("departments: %d %v", len(deps), err)
	}
	for _, d := range deps {
		page, err := svc.ListProducts(ctx, catalog.ListQuery{Category: d.Slug, Limit: 1}, false)
		if err != nil || len(page.Items) == 0 {
			t.Errorf("department %s has no products: %v", d.Name, err)
		}
		id := d.ID
		subs, _ := svc.Categories(ctx, &id)
		if len(subs) < 2 {
			t.Errorf("department %s has %d sub-categories", d.Name, len(subs))
		}
	}
	// Every product passes the service's validation.
	var first catalog.Product
	err = cat.ScanProducts(ctx, func(p catalog.Product) error {
		if first.ID == "" {
			first = p
		}
		in := catalog.ProductInput{Title: p.Title, Description: p.Description, Brand: p.Brand, CategoryID: p.CategoryID, Tags: p.Tags, Status: p.Status}
		for _, v := range p.Variants {
			stock := v.Stock
			in.Variants = append(in.Variants, catalog.VariantInput{ID: v.ID, SKU: v.SKU, Price: v.Price, Stock: &stock, Options: v.Options})
		}
		if _, err := svc.UpdateProduct(ctx, p.ID, in, &p.Version); err != nil {
			t.Errorf("product %s (%s) does not pass validation: %v", p.ID, p.Title, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Deterministic: a second shop has the same first product.
	db2, cat2 := openDemoStore(t)
	if _, err := seedDemo(ctx, db2, cat2, demoClock{}, 400); err != nil {
		t.Fatal(err)
	}
	var first2 catalog.Product
	_ = cat2.ScanProducts(ctx, func(p catalog.Product) error { first2 = p; return store.ErrStop })
	if first.Title != first2.Title || first.Slug != first2.Slug || first.Variants[0].Price != first2.Variants[0].Price || first.Variants[0].Stock != first2.Variants[0].Stock {
		t.Errorf("demo differs between runs: %+v vs %+v", first, first2)
	}
}

// BenchmarkSeedDemo10k measures seeding the benchmark's 10,000-product demo shop.
func BenchmarkSeedDemo10k(b *testing.B) {
	for b.Loop() {
		db, cat := openDemoStore(b)
		start := time.Now()
		if _, err := seedDemo(context.Background(), db, cat, commerce.SystemClock{}, 10_000); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/seed")
	}
}
