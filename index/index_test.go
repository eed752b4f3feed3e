package index

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// dummyPath is the public 194-product catalog shared by the project's tests.
const dummyPath = "../../shared/data/dummyjson-products.json"

// loadDummy reads the DummyJSON catalog and maps it to active products with one variant each.
// IDs are "dj-NNN" and creation times one minute apart, so orderings are deterministic.
func loadDummy(tb testing.TB) []catalog.Product {
	tb.Helper()
	raw, err := os.ReadFile(dummyPath)
	if err != nil {
		tb.Fatalf("read test data: %v", err)
	}
	var items []struct {
		ID          int      `json:"id"`
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Category    string   `json:"category"`
		Price       float64  `json:"price"`
		Rating      float64  `json:"rating"`
		Stock       int64    `json:"stock"`
		Tags        []string `json:"tags"`
		Brand       string   `json:"brand"`
		SKU         string   `json:"sku"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		tb.Fatalf("decode test data: %v", err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]catalog.Product, 0, len(items))
	for _, it := range items {
		id := fmt.Sprintf("dj-%03d", it.ID)
		out = append(out, catalog.Product{
			ID:          id,
			Slug:        id,
			Title:       it.Title,
			Description: it.Description,
			Brand:       it.Brand,
			CategoryID:  it.Category,
			Tags:        it.Tags,
			Status:      catalog.StatusActive,
			Rating:      it.Rating,
			Version:     1,
			CreatedAt:   base.Add(time.Duration(it.ID) * time.Minute),
			UpdatedAt:   base.Add(time.Duration(it.ID) * time.Minute),
			Variants: []catalog.Variant{{
				ID:    id + "-v1",
				SKU:   it.SKU,
				Price: commerce.Money{Amount: int64(math.Round(it.Price * 100)), Currency: "USD"},
				Stock: it.Stock,
			}},
		})
	}
	return out
}

// draftProduct is not visible to shoppers; default searches must not return it.
func draftProduct() catalog.Product {
	return catalog.Product{
		ID: "draft-001", Title: "Phantom Prototype Gadget", Description: "Not released yet.",
		Brand: "Secret Labs", CategoryID: "smartphones", Status: catalog.StatusDraft,
		CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		Variants:  []catalog.Variant{{ID: "draft-001-v1", SKU: "DRAFT-001", Price: commerce.Money{Amount: 4200, Currency: "USD"}, Stock: 3}},
	}
}

// fakeRepo is an in-memory catalog.Source that counts scans.
type fakeRepo struct {
	mu       sync.Mutex
	products map[string]catalog.Product
	scans    int
	// onScan, when set, runs before each product is handed over (to observe rebuilds in flight).
	// A non-nil error ends the scan with it.
	onScan func(ctx context.Context, i int) error
	// failRead, when set, is returned by Product.
	failRead error
}

func newFakeRepo(ps ...catalog.Product) *fakeRepo {
	r := &fakeRepo{products: map[string]catalog.Product{}}
	for _, p := range ps {
		r.products[p.ID] = p
	}
	return r
}

func (r *fakeRepo) Product(_ context.Context, id string) (catalog.Product, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failRead != nil {
		return catalog.Product{}, r.failRead
	}
	p, ok := r.products[id]
	if !ok {
		return catalog.Product{}, catalog.ErrProductNotFound
	}
	return p, nil
}

func (r *fakeRepo) ScanProducts(ctx context.Context, fn func(catalog.Product) error) error {
	r.mu.Lock()
	r.scans++
	ps := make([]catalog.Product, 0, len(r.products))
	for _, p := range r.products {
		ps = append(ps, p)
	}
	onScan := r.onScan
	r.mu.Unlock()
	slices.SortFunc(ps, func(a, b catalog.Product) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i, p := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if onScan != nil {
			if err := onScan(ctx, i); err != nil {
				return err
			}
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (r *fakeRepo) put(p catalog.Product) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.products[p.ID] = p
}

func (r *fakeRepo) setFailRead(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failRead = err
}

func (r *fakeRepo) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.products, id)
}

func (r *fakeRepo) setOnScan(f func(ctx context.Context, i int) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onScan = f
}

func (r *fakeRepo) Scans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scans
}

// countingRepo is a fakeRepo that also reports its size, for rebuild progress totals.
type countingRepo struct{ *fakeRepo }

func (r countingRepo) CountProducts(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.products), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func testConfig(t testing.TB) Config {
	return Config{Dir: filepath.Join(t.TempDir(), "index"), Logger: testLogger(t)}
}

// productEvents returns one created event per product with Seq from firstSeq on.
func productEvents(t testing.TB, firstSeq uint64, typ string, ps ...catalog.Product) []commerce.Event {
	t.Helper()
	evs := make([]commerce.Event, 0, len(ps))
	for i, p := range ps {
		ev, err := commerce.NewEvent(typ, p.ID, p.CreatedAt, p)
		if err != nil {
			t.Fatal(err)
		}
		ev.Seq = firstSeq + uint64(i)
		evs = append(evs, ev)
	}
	return evs
}

func deleteEvent(t testing.TB, seq uint64, id string) commerce.Event {
	t.Helper()
	ev, err := commerce.NewEvent(catalog.EventProductDeleted, id, time.Now(), map[string]string{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	ev.Seq = seq
	return ev
}

// openEmpty opens a new index over an empty repository.
func openEmpty(t testing.TB, cfg Config) *Index {
	ix, _ := openWithRepo(t, cfg)
	return ix
}

// openWithRepo opens a new index over an empty repository and returns both: Apply reads
// products from the repository, so tests put them there before applying their events.
func openWithRepo(t testing.TB, cfg Config) (*Index, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	ix, err := Open(context.Background(), cfg, repo)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix, repo
}

// dummyIndex returns an index holding the dummy catalog plus one draft product, fed by
// events (Seq 1..n), and the products by ID.
func dummyIndex(t testing.TB) (*Index, map[string]catalog.Product) {
	t.Helper()
	ps := append(loadDummy(t), draftProduct())
	ix, repo := openWithRepo(t, testConfig(t))
	for _, p := range ps {
		repo.put(p)
	}
	if err := ix.Apply(context.Background(), productEvents(t, 1, catalog.EventProductCreated, ps...)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	byID := make(map[string]catalog.Product, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	return ix, byID
}

func hitIDs(r Result) []string {
	ids := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		ids[i] = h.ID
	}
	return ids
}
