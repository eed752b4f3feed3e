package index

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// TestApplySkipsUnchangedDocuments: a batch whose products re-index to the documents the
// index holds (an order that moves stock without selling out) writes nothing and keeps the
// generation, so cached results stay; one that changes what searches see (sold out, a new
// price) starts a new generation. Both with the columns filled by Apply alone and by the
// warm-up scan of an index opened over a store.
func TestApplySkipsUnchangedDocuments(t *testing.T) {
	for _, warm := range []bool{false, true} {
		t.Run(map[bool]string{false: "filled by Apply", true: "filled by the warm-up scan"}[warm], func(t *testing.T) {
			ctx := context.Background()
			base := loadDummy(t)[:20]
			var seq atomic.Uint64
			cfg := testConfig(t)
			cfg.SourceSeq = func(context.Context) (uint64, error) { return seq.Load(), nil }
			ix, repo := openWithRepo(t, cfg)
			for _, p := range base {
				repo.put(p)
			}
			apply := func(evs ...commerce.Event) {
				t.Helper()
				seq.Store(evs[len(evs)-1].Seq)
				if err := ix.Apply(ctx, evs); err != nil {
					t.Fatal(err)
				}
			}
			apply(productEvents(t, 1, catalog.EventProductCreated, base...)...)
			if warm {
				// Reopen: the columns now come from the scan of the store.
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
				var err error
				if ix, err = Open(ctx, cfg, repo); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = ix.Close() })
				ix.WarmSuggestions()
				waitColumns(t, ix)
			}
			p := base[5]
			if !p.InStock() || len(p.Variants) == 0 || p.Variants[0].Stock < 2 {
				t.Fatalf("%s: want a product with stock to sell", p.ID)
			}
			order := func(s uint64) commerce.Event {
				ev, err := commerce.NewEvent(eventOrderPlaced, "o1", p.CreatedAt, map[string]any{
					"id": "o1", "lines": []map[string]any{{"product_id": p.ID, "variant_id": p.Variants[0].ID, "quantity": 1}}})
				if err != nil {
					t.Fatal(err)
				}
				ev.Seq = s
				return ev
			}
			q := Query{Text: p.Title, InStock: ptr(true), Facets: true}
			before, err := ix.Search(ctx, q)
			if err != nil || !slices.Contains(hitIDs(before), p.ID) {
				t.Fatalf("search before: %v %v", hitIDs(before), err)
			}
			gen, pver := ix.Generation(), ix.ProductsVersion()

			// One sold: still in stock, nothing searches see has changed (but the product
			// has: whole responses holding it must go).
			p.Variants = slices.Clone(p.Variants)
			p.Variants[0].Stock--
			repo.put(p)
			apply(order(21))
			if ix.Generation() != gen || ix.HighWater() != 21 {
				t.Fatalf("stock moved within in_stock: generation %d -> %d, mark %d", gen, ix.Generation(), ix.HighWater())
			}
			if ix.ProductsVersion() == pver {
				t.Errorf("stock moved: products version kept")
			}
			if ix.cache.gen != gen || len(ix.cache.m) == 0 {
				t.Errorf("cached results dropped")
			}

			// The same price again through a product event: still nothing to write.
			apply(productEvents(t, 22, catalog.EventProductUpdated, p)...)
			if ix.Generation() != gen {
				t.Fatalf("unchanged product update bumped the generation")
			}

			// Sold out: in_stock flips, a new generation, and the search sees it.
			for i := range p.Variants {
				p.Variants[i].Stock = 0
			}
			repo.put(p)
			apply(order(23))
			if ix.Generation() == gen {
				t.Fatalf("selling out kept the generation")
			}
			after, err := ix.Search(ctx, q)
			if err != nil || slices.Contains(hitIDs(after), p.ID) {
				t.Fatalf("sold-out product still found in stock: %v %v", hitIDs(after), err)
			}
			gen = ix.Generation()

			// A new price: a new generation.
			p.Variants[0].Price.Amount += 100
			repo.put(p)
			apply(productEvents(t, 24, catalog.EventProductUpdated, p)...)
			if ix.Generation() == gen {
				t.Fatalf("a new price kept the generation")
			}
		})
	}
}

// TestWarmColumnsDistrustNewerScan: when the store holds changes the index has not applied
// yet (its seq is above the mark), the warm-up scan's fingerprints are not trusted, so the
// pending event still writes the product.
func TestWarmColumnsDistrustNewerScan(t *testing.T) {
	ctx := context.Background()
	base := loadDummy(t)[:10]
	var seq atomic.Uint64
	cfg := testConfig(t)
	cfg.SourceSeq = func(context.Context) (uint64, error) { return seq.Load(), nil }
	ix, repo := openWithRepo(t, cfg)
	for _, p := range base {
		repo.put(p)
	}
	seq.Store(10)
	if err := ix.Apply(ctx, productEvents(t, 1, catalog.EventProductCreated, base...)); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// The store moves on (seq 11) before the index applies it.
	renamed := base[2]
	renamed.Title = "Zanzibar Teapot"
	repo.put(renamed)
	seq.Store(11)
	ix, err := Open(ctx, cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ix.WarmSuggestions()
	waitColumns(t, ix)
	if err := ix.Apply(ctx, productEvents(t, 11, catalog.EventProductUpdated, renamed)); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(ctx, Query{Text: "zanzibar"})
	if err != nil || !slices.Equal(hitIDs(res), []string{renamed.ID}) {
		t.Fatalf("pending update not indexed: %v %v", hitIDs(res), err)
	}
}

// waitColumns waits until the index's search columns are filled (WarmSuggestions or a
// rebuild).
func waitColumns(tb testing.TB, ix *Index) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		t := ix.docs.Load()
		t.mu.RLock()
		ready := t.ready
		t.mu.RUnlock()
		if ready {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("search columns not filled")
		}
		runtime.Gosched()
	}
}
