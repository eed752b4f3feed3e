package index

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func TestApply(t *testing.T) {
	base := loadDummy(t)[:20]
	renamed := base[3]
	renamed.Title = "Zanzibar Teapot"
	renamed.Version++
	soldOut := base[5]
	soldOut.Variants = slices.Clone(soldOut.Variants)
	for i := range soldOut.Variants {
		soldOut.Variants[i].Stock = 0
	}
	archived := base[0]
	archived.Status = catalog.StatusArchived

	ev := func(seq uint64, typ string, data any) commerce.Event {
		e, err := commerce.NewEvent(typ, "", base[0].CreatedAt, data)
		if err != nil {
			t.Fatal(err)
		}
		e.Seq = seq
		return e
	}
	orderEvent := func(seq uint64, typ string, productIDs ...string) commerce.Event {
		var lines []map[string]any
		for _, id := range productIDs {
			lines = append(lines, map[string]any{"product_id": id, "variant_id": id + "-v1", "quantity": 1})
		}
		return ev(seq, typ, map[string]any{"id": "o1", "lines": lines})
	}
	created := productEvents(t, 1, catalog.EventProductCreated, base...) // Seq 1..20

	// A step changes the store (put, remove), then delivers a batch of events.
	type step struct {
		put    []catalog.Product
		remove []string
		batch  []commerce.Event
	}
	seed := step{put: base, batch: created}
	scenarios := []struct {
		name    string
		steps   []step
		docs    uint64
		mark    uint64
		find    map[string][]string // text -> IDs expected exactly (active products)
		inStock *bool               // search with this in_stock filter
		without map[string]string   // text -> an ID the search must not return
	}{
		{
			name:  "created events index products",
			steps: []step{seed},
			docs:  20, mark: 20,
			find: map[string][]string{"mascara": {base[0].ID}},
		},
		{
			name:  "redelivered batch changes nothing",
			steps: []step{seed, {batch: created}},
			docs:  20, mark: 20,
		},
		{
			name:  "redelivery in single events changes nothing",
			steps: []step{seed, {batch: created[5:6]}, {batch: created[19:]}},
			docs:  20, mark: 20,
		},
		{
			name:  "update indexes the product as the store has it",
			steps: []step{seed, {put: []catalog.Product{renamed}, batch: productEvents(t, 21, catalog.EventProductUpdated, base[3])}},
			docs:  20, mark: 21,
			find: map[string][]string{"zanzibar": {renamed.ID}},
		},
		{
			name:  "update with an old seq is skipped",
			steps: []step{seed, {put: []catalog.Product{renamed}, batch: productEvents(t, 7, catalog.EventProductUpdated, renamed)}},
			docs:  20, mark: 20,
			find: map[string][]string{"zanzibar": nil},
		},
		{
			name:  "delete removes the document",
			steps: []step{seed, {remove: []string{base[0].ID}, batch: []commerce.Event{deleteEvent(t, 21, base[0].ID)}}},
			docs:  19, mark: 21,
			find: map[string][]string{"mascara": nil},
		},
		{
			name: "delete without aggregate falls back to the data",
			steps: []step{seed, {remove: []string{base[0].ID}, batch: []commerce.Event{
				ev(21, catalog.EventProductDeleted, map[string]string{"id": base[0].ID})}}},
			docs: 19, mark: 21,
		},
		{
			name:  "a delete event for a product the store still has keeps it",
			steps: []step{seed, {batch: []commerce.Event{deleteEvent(t, 21, base[0].ID)}}},
			docs:  20, mark: 21,
			find: map[string][]string{"mascara": {base[0].ID}},
		},
		{
			name:  "delete of an unknown product only moves the mark",
			steps: []step{seed, {batch: []commerce.Event{deleteEvent(t, 30, "no-such-product")}}},
			docs:  20, mark: 30,
		},
		{
			name:  "other event types only move the mark",
			steps: []step{seed, {put: []catalog.Product{renamed}, batch: []commerce.Event{ev(25, "cart.created", map[string]string{"id": "c1"})}}},
			docs:  20, mark: 25,
			find: map[string][]string{"zanzibar": nil},
		},
		{
			name:  "an order placed re-reads the stock of its products",
			steps: []step{seed, {put: []catalog.Product{soldOut}, batch: []commerce.Event{orderEvent(21, eventOrderPlaced, soldOut.ID, "gone")}}},
			docs:  20, mark: 21,
			without: map[string]string{soldOut.Title: soldOut.ID}, inStock: ptr(true),
		},
		{
			name: "an order cancelled re-reads the stock of its products",
			steps: []step{seed, {put: []catalog.Product{soldOut}, batch: []commerce.Event{orderEvent(21, eventOrderPlaced, soldOut.ID)}},
				{put: []catalog.Product{base[5]}, batch: []commerce.Event{orderEvent(22, eventOrderCancelled, soldOut.ID)}}},
			docs: 20, mark: 22,
			without: map[string]string{soldOut.Title: soldOut.ID}, inStock: ptr(false),
		},
		{
			name: "undecodable event is skipped, the rest of the batch applies",
			steps: []step{seed, {put: []catalog.Product{renamed}, batch: []commerce.Event{
				{ID: commerce.NewID(), Seq: 21, Type: catalog.EventProductUpdated, Data: json.RawMessage(`{"title": 5`)},
				{ID: commerce.NewID(), Seq: 22, Type: eventOrderPlaced, Data: json.RawMessage(`{"lines": 5}`)},
				productEvents(t, 23, catalog.EventProductUpdated, renamed)[0],
			}}},
			docs: 20, mark: 23,
			find: map[string][]string{"zanzibar": {renamed.ID}},
		},
		{
			name:  "event without seq is skipped",
			steps: []step{{put: base[:1], batch: productEvents(t, 0, catalog.EventProductCreated, base[0])}},
			docs:  0, mark: 0,
		},
		{
			name: "create then delete in one batch leaves nothing",
			steps: []step{{batch: []commerce.Event{
				created[0],
				deleteEvent(t, 2, base[0].ID),
			}}},
			docs: 0, mark: 2,
		},
		{
			name:  "archived product is indexed but hidden",
			steps: []step{seed, {put: []catalog.Product{archived}, batch: productEvents(t, 21, catalog.EventProductUpdated, archived)}},
			docs:  20, mark: 21,
			find: map[string][]string{"mascara": nil},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ix, repo := openWithRepo(t, testConfig(t))
			ctx := context.Background()
			for _, st := range sc.steps {
				for _, p := range st.put {
					repo.put(p)
				}
				for _, id := range st.remove {
					repo.remove(id)
				}
				if err := ix.Apply(ctx, st.batch); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			if n, err := ix.DocCount(); err != nil || n != sc.docs {
				t.Errorf("DocCount = %d, %v; want %d", n, err, sc.docs)
			}
			if got := ix.HighWater(); got != sc.mark {
				t.Errorf("HighWater = %d, want %d", got, sc.mark)
			}
			for text, want := range sc.find {
				r, err := ix.Search(ctx, Query{Text: text})
				if err != nil {
					t.Fatal(err)
				}
				got := hitIDs(r)
				slices.Sort(got)
				slices.Sort(want)
				if len(want) == 0 && len(got) > 0 || len(want) > 0 && !slices.Equal(got, want) {
					t.Errorf("search %q = %v, want %v", text, got, want)
				}
			}
			for text, id := range sc.without {
				r, err := ix.Search(ctx, Query{Text: text, InStock: sc.inStock, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(hitIDs(r), id) {
					t.Errorf("search %q (in_stock %v) returned %s", text, *sc.inStock, id)
				}
			}
		})
	}
}

// A failure to read the store leaves the mark where it was, so the batch comes again.
func TestApplySourceFailure(t *testing.T) {
	ix, repo := openWithRepo(t, testConfig(t))
	ps := loadDummy(t)[:2]
	for _, p := range ps {
		repo.put(p)
	}
	repo.setFailRead(errors.New("disk on fire"))
	evs := productEvents(t, 1, catalog.EventProductCreated, ps...)
	if err := ix.Apply(context.Background(), evs); err == nil {
		t.Fatal("Apply succeeded with a failing source")
	}
	if ix.HighWater() != 0 {
		t.Errorf("mark moved to %d", ix.HighWater())
	}
	repo.setFailRead(nil)
	if err := ix.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != 2 || ix.HighWater() != 2 {
		t.Errorf("docs %d mark %d after redelivery", n, ix.HighWater())
	}
}

// TestApplyOneByOne applies events one per call, as a consumer without batching would.
func TestApplyOneByOne(t *testing.T) {
	ix, repo := openWithRepo(t, testConfig(t))
	ctx := context.Background()
	ps := loadDummy(t)[:3]
	for _, p := range ps {
		repo.put(p)
	}
	for _, ev := range productEvents(t, 10, catalog.EventProductCreated, ps...) {
		if err := ix.Apply(ctx, []commerce.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Apply(ctx, productEvents(t, 10, catalog.EventProductCreated, ps[0])[:1]); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != 3 || ix.HighWater() != 12 {
		t.Errorf("docs %d mark %d, want 3 and 12", n, ix.HighWater())
	}
}

func TestApplyCanceledContext(t *testing.T) {
	ix := openEmpty(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ix.Apply(ctx, productEvents(t, 1, catalog.EventProductCreated, loadDummy(t)[0]))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ix.HighWater() != 0 {
		t.Errorf("mark moved to %d", ix.HighWater())
	}
}

func TestHighWaterSurvivesReopen(t *testing.T) {
	cfg := testConfig(t)
	repo := newFakeRepo()
	ctx := context.Background()
	ix, err := Open(ctx, cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	ps := loadDummy(t)
	for _, p := range ps {
		repo.put(p)
	}
	if err := ix.Apply(ctx, productEvents(t, 100, catalog.EventProductCreated, ps...)); err != nil {
		t.Fatal(err)
	}
	repo.remove(ps[0].ID)
	if err := ix.Apply(ctx, []commerce.Event{deleteEvent(t, 400, ps[0].ID)}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix, err = Open(ctx, cfg, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if repo.Scans() != 1 {
		t.Errorf("scans = %d, want only the first start to rebuild", repo.Scans())
	}
	if got := ix.HighWater(); got != 400 {
		t.Errorf("HighWater after reopen = %d, want 400", got)
	}
	if n, _ := ix.DocCount(); n != uint64(len(ps)-1) {
		t.Errorf("DocCount after reopen = %d, want %d", n, len(ps)-1)
	}
	// The redelivered tail is skipped.
	if err := ix.Apply(ctx, productEvents(t, 100, catalog.EventProductCreated, ps[0])); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != uint64(len(ps)-1) {
		t.Errorf("redelivered create was applied: DocCount = %d", n)
	}
}

func TestClosed(t *testing.T) {
	ix := openEmpty(t, testConfig(t))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	ctx := context.Background()
	checks := map[string]error{
		"Apply":   ix.Apply(ctx, productEvents(t, 1, catalog.EventProductCreated, loadDummy(t)[0])),
		"Rebuild": ix.Rebuild(ctx, nil),
	}
	_, checks["Search"] = ix.Search(ctx, Query{Text: "x"})
	_, checks["DocCount"] = ix.DocCount()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
