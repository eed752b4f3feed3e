package index

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// grownCatalog repeats the dummy catalog until it holds at least n products, giving each copy
// new IDs and a numbered title so documents differ (synthetic growth for scale measurements).
func grownCatalog(tb testing.TB, n int) *fakeRepo {
	base := loadDummy(tb)
	repo := newFakeRepo()
	for i := 0; len(repo.products) < n; i++ {
		for _, p := range base {
			p.ID = fmt.Sprintf("%s-%04d", p.ID, i)
			p.Title = fmt.Sprintf("%s %d", p.Title, i)
			repo.products[p.ID] = p
		}
	}
	return repo
}

// BenchmarkRebuild measures a full rebuild at the default batch size, reported in docs/s.
func BenchmarkRebuild(b *testing.B) {
	repo := grownCatalog(b, 5000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	root := b.TempDir()
	docs := 0
	for i := 0; b.Loop(); i++ {
		cfg := Config{Dir: filepath.Join(root, fmt.Sprint(i), "index"), Logger: quiet}
		if err := RebuildDir(ctx, cfg, repo, 1, nil); err != nil {
			b.Fatal(err)
		}
		docs += len(repo.products)
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkSearch runs typical storefront queries over the dummy catalog.
func BenchmarkSearch(b *testing.B) {
	ix, _ := dummyIndex(b)
	ctx := context.Background()
	queries := []Query{
		{Text: "iphone"},
		{Text: "iphnoe"},
		{Text: "leather watches", Facets: true},
		{Text: "sam", Category: "smartphones"},
		{MinPrice: ptr[int64](1000), MaxPrice: ptr[int64](10000), Sort: SortPrice, Facets: true},
	}
	for _, q := range queries {
		b.Run(fmt.Sprintf("%q/facets=%v", q.Text, q.Facets), func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearchScale measures uncached searches with facets over 100,000 products grown
// from the dummy catalog (cache bypassed: searchNow), and Suggest.
func BenchmarkSearchScale(b *testing.B) {
	repo := grownCatalog(b, 100_000)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	// ULTRAMARKET_BENCH_INDEX keeps the built index between runs (merges finished), so
	// figures are not disturbed by the background merging that follows a build.
	dir := os.Getenv("ULTRAMARKET_BENCH_INDEX")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "index")
	}
	cfg := Config{Dir: dir, Logger: quiet}
	if _, err := os.Stat(dir); err != nil {
		if err := RebuildDir(ctx, cfg, repo, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
	ix, err := Open(ctx, cfg, repo)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ix.WarmSuggestions() // fills the search columns too
	waitColumns(b, ix)
	queries := []Query{
		{Text: "iphone", Facets: true},
		{Text: "iphnoe", Facets: true},
		{Text: "leather watches", Facets: true},
		{Text: "red lipstick", Facets: true, Highlight: true},
		{Text: "sam", Category: "smartphones", Facets: true},
		{Facets: true},
		{Text: "kitchen", Facets: true, Sort: SortPrice},
		{Text: "iphone"},
		{},
		{Facets: true, Sort: SortPrice, InStock: ptr(true)},
		{Facets: true, Sort: SortNewest, RatingMin: ptr(4.0)},
	}
	// Each query twice: facets (and searches without text) from the columns, then from Bleve
	// alone (the columns set aside), for a before/after in one run.
	cols := ix.docs.Load()
	for _, q := range queries {
		if err := q.normalize(); err != nil {
			b.Fatal(err)
		}
		for _, from := range []string{"columns", "bleve"} {
			name := fmt.Sprintf("search/%q/facets=%v/sort=%s/%s", q.Text, q.Facets, q.Sort, from)
			b.Run(name, func(b *testing.B) {
				if from == "bleve" {
					ix.docs.Store(newDocTable())
					defer ix.docs.Store(cols)
				}
				for b.Loop() {
					if _, err := ix.searchNow(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	ix.WarmSuggestions()
	for len(ix.Suggest("app", 8)) == 0 {
		runtime.Gosched()
	}
	for _, s := range []string{"a", "app", "app wat", "rolx", "samsung galaxy s"} {
		b.Run(fmt.Sprintf("suggest/%q", s), func(b *testing.B) {
			for b.Loop() {
				ix.Suggest(s, 8)
			}
		})
	}
}
