package index

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// A cached answer lasts until the index changes: an applied batch or a rebuild.
func TestSearchCacheFollowsTheIndex(t *testing.T) {
	ctx := context.Background()
	ix, repo := openWithRepo(t, testConfig(t))
	ps := loadDummy(t)[:10]
	for _, p := range ps {
		repo.put(p)
	}
	if err := ix.Apply(ctx, productEvents(t, 1, catalog.EventProductCreated, ps...)); err != nil {
		t.Fatal(err)
	}
	count := func(text string) uint64 {
		t.Helper()
		r, err := ix.Search(ctx, Query{Text: text, Facets: true})
		if err != nil {
			t.Fatal(err)
		}
		return r.Total
	}
	if count("zanzibar") != 0 || count("zanzibar") != 0 {
		t.Fatal("zanzibar found before it exists")
	}
	renamed := ps[3]
	renamed.Title = "Zanzibar Teapot"
	repo.put(renamed)
	if err := ix.Apply(ctx, productEvents(t, 11, catalog.EventProductUpdated, renamed)); err != nil {
		t.Fatal(err)
	}
	if n := count("zanzibar"); n != 1 {
		t.Errorf("after the update: %d hits, want 1", n)
	}
	repo.remove(renamed.ID)
	if err := ix.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := count("zanzibar"); n != 0 {
		t.Errorf("after the rebuild: %d hits, want 0", n)
	}
	// A caller changing its result does not change the cache's.
	r, _ := ix.Search(ctx, Query{Facets: true})
	r.Hits[0].ID = "changed"
	r.Facets[FacetBrand][0].Term = "changed"
	again, _ := ix.Search(ctx, Query{Facets: true})
	if again.Hits[0].ID == "changed" || again.Facets[FacetBrand][0].Term == "changed" {
		t.Error("the cached result was changed through a returned one")
	}
}

func TestResultCacheRunsOneSearchPerKey(t *testing.T) {
	var c resultCache
	var runs atomic.Int32
	release := make(chan struct{})
	search := func() (Result, error) {
		runs.Add(1)
		<-release
		return Result{Total: 7, Hits: []Hit{{ID: "a"}}}, nil
	}
	var wg sync.WaitGroup
	results := make([]Result, 16)
	for i := range results {
		wg.Go(func() { results[i], _ = c.do(context.Background(), 1, "k", search) })
	}
	for runs.Load() == 0 {
		runtime.Gosched() // wait for the first caller to start its search
	}
	close(release)
	wg.Wait()
	if runs.Load() != 1 {
		t.Errorf("%d searches for one key, want 1", runs.Load())
	}
	for _, r := range results {
		if r.Total != 7 || len(r.Hits) != 1 {
			t.Errorf("result %+v", r)
		}
	}
	// A failed search is not cached; a newer generation starts afresh.
	boom := errors.New("boom")
	if _, err := c.do(context.Background(), 1, "f", func() (Result, error) { return Result{}, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if r, err := c.do(context.Background(), 1, "f", func() (Result, error) { return Result{Total: 1}, nil }); err != nil || r.Total != 1 {
		t.Errorf("after a failure: %+v %v", r, err)
	}
	if r, _ := c.do(context.Background(), 2, "k", func() (Result, error) { return Result{Total: 2}, nil }); r.Total != 2 {
		t.Errorf("a new generation served the old answer: %+v", r)
	}
	if r, _ := c.do(context.Background(), 1, "k", func() (Result, error) { return Result{Total: 3}, nil }); r.Total != 3 {
		t.Errorf("an old generation was served from the cache: %+v", r)
	}
}
