package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// compareQueries are run against indexes built in different ways; their hits must agree.
var compareQueries = []Query{
	{Text: "iphnoe"},
	{Text: "watches", Facets: true},
	{Text: "leather"},
	{Text: "role"},
	{Brands: []string{"Apple"}, Sort: SortPrice, Limit: 50},
	{MinPrice: ptr[int64](1000), MaxPrice: ptr[int64](5000), Sort: SortRating, Limit: 100},
	{InStock: ptr(false)},
	{Facets: true, Limit: 100},
}

func sameResults(t *testing.T, want, got *Index) {
	t.Helper()
	ctx := context.Background()
	for _, q := range compareQueries {
		a, err := want.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := got.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// Ties are left in index order (see sortOrders) and BM25 statistics are per segment,
		// both of which differ between an index fed by events and a rebuilt one: compare the
		// totals, the first hit when it clearly wins, and the hits as a set when the page
		// holds them all.
		same := a.Total == b.Total && len(a.Hits) == len(b.Hits)
		if same && len(a.Hits) > 1 && a.Hits[0].Score > 1.2*a.Hits[1].Score {
			same = a.Hits[0].ID == b.Hits[0].ID
		}
		if same && a.Total == uint64(len(a.Hits)) {
			same = slices.Equal(slices.Sorted(slices.Values(hitIDs(a))), slices.Sorted(slices.Values(hitIDs(b))))
		}
		if !same {
			t.Errorf("%+v: got %d %v, want %d %v", q, b.Total, hitIDs(b), a.Total, hitIDs(a))
		}
		for name, fa := range a.Facets {
			if !slices.Equal(fa, b.Facets[name]) {
				t.Errorf("%+v: facet %s = %v, want %v", q, name, b.Facets[name], fa)
			}
		}
	}
}

func TestOpenRebuildsFromRepository(t *testing.T) {
	fromEvents, byID := dummyIndex(t)
	ps := make([]catalog.Product, 0, len(byID))
	for _, p := range byID {
		ps = append(ps, p)
	}
	repo := newFakeRepo(ps...)
	cfg := testConfig(t)
	cfg.BatchSize = 50 // several batches
	cfg.SourceSeq = func(context.Context) (uint64, error) { return 777, nil }
	ix, err := Open(context.Background(), cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if repo.Scans() != 1 {
		t.Errorf("scans = %d, want 1", repo.Scans())
	}
	if n, _ := ix.DocCount(); n != uint64(len(ps)) {
		t.Errorf("DocCount = %d, want %d", n, len(ps))
	}
	if ix.HighWater() != 777 {
		t.Errorf("HighWater = %d, want the source seq 777", ix.HighWater())
	}
	sameResults(t, fromEvents, ix)
}

func TestOpenRepairs(t *testing.T) {
	ps := loadDummy(t)
	garbage := []byte(strings.Repeat("\x00garbage\xff", 500))
	overwrite := func(glob string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, glob))
			if len(files) == 0 {
				t.Fatalf("no %s in %s", glob, dir)
			}
			for _, f := range files {
				if err := os.WriteFile(f, garbage, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	internal := func(key []byte, val []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			bi, err := bleve.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if val == nil {
				err = bi.DeleteInternal(key)
			} else {
				err = bi.SetInternal(key, val)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := bi.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	scenarios := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"garbage meta file", overwrite("index_meta.json")},
		{"garbage root file", overwrite("store/root.bolt")},
		{"garbage segments", overwrite("store/*.zap")},
		{"truncated segments", func(t *testing.T, dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
			for _, f := range files {
				if err := os.Truncate(f, 16); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"store removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "store")); err != nil {
				t.Fatal(err)
			}
		}},
		{"empty directory", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"a file instead of a directory", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, garbage, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"other mapping version", internal(keyMappingVersion, encodeUint(MappingVersion+1))},
		{"unreadable mapping version", internal(keyMappingVersion, []byte("1"))},
		{"missing high-water mark", internal(keyHighWater, nil)},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := testConfig(t)
			repo := newFakeRepo(ps...)
			ix, err := Open(ctx, cfg, repo)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply(ctx, []commerce.Event{deleteEvent(t, 5, ps[0].ID)}); err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			sc.damage(t, cfg.Dir)

			ix, err = Open(ctx, cfg, repo)
			if err != nil {
				t.Fatalf("Open after damage: %v", err)
			}
			defer ix.Close()
			if repo.Scans() != 2 {
				t.Errorf("scans = %d, want a rebuild", repo.Scans())
			}
			if n, err := ix.DocCount(); err != nil || n != uint64(len(ps)) {
				t.Errorf("DocCount = %d, %v; want %d", n, err, len(ps))
			}
			if ix.HighWater() != 0 {
				t.Errorf("HighWater = %d, want 0 without a SourceSeq", ix.HighWater())
			}
			r, err := ix.Search(ctx, Query{Text: "mascara"})
			if err != nil || r.Total != 1 {
				t.Errorf("search after repair: %d hits, %v", r.Total, err)
			}
			if left := leftovers(t, cfg.Dir); len(left) > 0 {
				t.Errorf("leftover directories %v", left)
			}
		})
	}
}

func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestOpenRemovesLeftovers(t *testing.T) {
	cfg := testConfig(t)
	for _, name := range []string{".rebuild-01ABC", ".old-01ABC"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir+name, "store"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	unrelated := filepath.Join(filepath.Dir(cfg.Dir), "kv")
	if err := os.Mkdir(unrelated, 0o755); err != nil {
		t.Fatal(err)
	}
	openEmpty(t, cfg)
	if left := leftovers(t, cfg.Dir); !slices.Equal(left, []string{"kv"}) {
		t.Errorf("directories beside the index: %v, want only kv", left)
	}
}

func TestOpenValidates(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name  string
		cfg   Config
		src   catalog.Source
		field string
	}{
		{"dir required", Config{}, newFakeRepo(), "dir"},
		{"negative batch size", Config{Dir: t.TempDir(), BatchSize: -1}, newFakeRepo(), "batch_size"},
		{"repository required", Config{Dir: t.TempDir()}, nil, "src"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := Open(ctx, sc.cfg, sc.src)
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) == 0 || e.Fields[0].Field != sc.field {
				t.Fatalf("err = %v, want invalid %s", err, sc.field)
			}
		})
	}
}

func TestRebuildWhileSearching(t *testing.T) {
	ps := loadDummy(t)
	repo := countingRepo{newFakeRepo(ps...)}
	cfg := testConfig(t)
	cfg.BatchSize = 40
	ctx := context.Background()
	ix, err := Open(ctx, cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Apply(ctx, []commerce.Event{deleteEvent(t, 9, "nothing")}); err != nil {
		t.Fatal(err)
	}

	// A product that reached the store without its event being applied: a rebuild finds it.
	extra := ps[0]
	extra.ID, extra.Title, extra.Description, extra.Tags = "extra-1", "Quokka Plush Toy", "Soft toy.", nil
	repo.put(extra)

	var searches, failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := ix.Search(ctx, Query{Text: "mascara"})
			if err != nil || r.Total != 1 {
				failures.Add(1)
			}
			searches.Add(1)
		}
	})
	// Hold the scan until searches have run against the old index mid-rebuild.
	repo.setOnScan(func(_ context.Context, i int) error {
		if i == len(ps)/2 {
			at := searches.Load()
			poll.Until(t, "searches during the rebuild", func() bool { return searches.Load() >= at+20 })
		}
		return nil
	})

	var calls [][2]int
	err = ix.Rebuild(ctx, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	at := searches.Load()
	poll.Until(t, "searches after the rebuild", func() bool { return searches.Load() >= at+20 })
	close(stop)
	wg.Wait()

	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d searches failed during the rebuild", f, searches.Load())
	}
	n := len(ps) + 1
	if len(calls) != n/cfg.BatchSize+1 { // every full batch, then the last one
		t.Errorf("progress calls %v", calls)
	}
	if last := calls[len(calls)-1]; last != [2]int{n, n} {
		t.Errorf("last progress %v, want done=total=%d", last, n)
	}
	if ix.HighWater() != 9 {
		t.Errorf("HighWater = %d, want the mark kept (9)", ix.HighWater())
	}
	r, err := ix.Search(ctx, Query{Text: "quokka"})
	if err != nil || r.Total != 1 {
		t.Errorf("product added to the store not found after rebuild: %d, %v", r.Total, err)
	}
	if left := leftovers(t, cfg.Dir); len(left) > 0 {
		t.Errorf("leftover directories %v", left)
	}
	// Applying continues on the new index.
	repo.remove(extra.ID)
	if err := ix.Apply(ctx, []commerce.Event{deleteEvent(t, 10, extra.ID)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != uint64(len(ps)) {
		t.Errorf("DocCount = %d, want %d", n, len(ps))
	}
}

func TestRebuildUsesSourceSeq(t *testing.T) {
	cfg := testConfig(t)
	var seq atomic.Uint64
	cfg.SourceSeq = func(context.Context) (uint64, error) { return seq.Load(), nil }
	repo := newFakeRepo(loadDummy(t)...)
	ix, err := Open(context.Background(), cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	seq.Store(1234)
	var calls [][2]int
	if err := ix.Rebuild(context.Background(), func(d, total int) { calls = append(calls, [2]int{d, total}) }); err != nil {
		t.Fatal(err)
	}
	if ix.HighWater() != 1234 {
		t.Errorf("HighWater = %d, want 1234", ix.HighWater())
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{194, -1} {
		t.Errorf("progress %v, want to end at 194 of unknown (-1)", calls)
	}
	cfg.SourceSeq = func(context.Context) (uint64, error) { return 0, errors.New("store closed") }
	ix2, err := Open(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "ix"), SourceSeq: cfg.SourceSeq, Logger: cfg.Logger}, repo)
	if err == nil {
		ix2.Close()
		t.Fatal("Open rebuilt although the source seq failed")
	}
}

func TestCloseAbortsRebuild(t *testing.T) {
	repo := newFakeRepo(loadDummy(t)...)
	ix, err := Open(context.Background(), testConfig(t), repo)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	repo.setOnScan(func(ctx context.Context, i int) error {
		if i == 10 {
			close(started)
			<-ctx.Done()
		}
		return nil
	})
	errc := make(chan error, 1)
	go func() { errc <- ix.Rebuild(context.Background(), nil) }()
	<-started
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Rebuild = %v, want context.Canceled", err)
	}
	if left := leftovers(t, ix.cfg.Dir); len(left) > 0 {
		t.Errorf("leftover directories %v", left)
	}
}

func TestRebuildDir(t *testing.T) {
	ctx := context.Background()
	ps := loadDummy(t)
	repo := newFakeRepo(ps...)
	cfg := testConfig(t)

	// First without an index, then over an existing one.
	for round, hw := range []uint64{50, 90} {
		var last [2]int
		if err := RebuildDir(ctx, cfg, repo, hw, func(d, total int) { last = [2]int{d, total} }); err != nil {
			t.Fatalf("round %d: RebuildDir: %v", round, err)
		}
		if last != [2]int{len(ps), -1} {
			t.Errorf("round %d: last progress %v", round, last)
		}
		ix, err := Open(ctx, cfg, repo)
		if err != nil {
			t.Fatal(err)
		}
		if ix.HighWater() != hw {
			t.Errorf("round %d: HighWater = %d, want %d", round, ix.HighWater(), hw)
		}
		if n, _ := ix.DocCount(); n != uint64(len(ps)) {
			t.Errorf("round %d: DocCount = %d", round, n)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if repo.Scans() != 2 {
		t.Errorf("scans = %d, want 2 (Open must not rebuild again)", repo.Scans())
	}
	if left := leftovers(t, cfg.Dir); len(left) > 0 {
		t.Errorf("leftover directories %v", left)
	}
}

func TestRebuildDirFailureKeepsOldIndex(t *testing.T) {
	ctx := context.Background()
	ps := loadDummy(t)
	cfg := testConfig(t)
	if err := RebuildDir(ctx, cfg, newFakeRepo(ps...), 3, nil); err != nil {
		t.Fatal(err)
	}
	failing := newFakeRepo(ps...)
	boom := errors.New("disk read error")
	failing.setOnScan(func(_ context.Context, i int) error {
		if i == 100 {
			return boom
		}
		return nil
	})
	err := RebuildDir(ctx, Config{Dir: cfg.Dir, BatchSize: 30, Logger: cfg.Logger}, failing, 99, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("RebuildDir = %v, want %v", err, boom)
	}
	if left := leftovers(t, cfg.Dir); len(left) > 0 {
		t.Errorf("leftover directories %v", left)
	}
	repo := newFakeRepo()
	ix, err := Open(ctx, cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if repo.Scans() != 0 || ix.HighWater() != 3 {
		t.Errorf("old index not kept: scans %d, mark %d", repo.Scans(), ix.HighWater())
	}
}
