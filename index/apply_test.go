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

	ev := func(seq uint64, typ string, data any) commerce.Event {
		e, err := commerce.NewEvent(typ, "", base[0].CreatedAt, data)
		if err != nil {
			t.Fatal(err)
		}
		e.Seq = seq
		return e
	}
	created := productEvents(t, 1, catalog.EventProductCreated, base...) // Seq 1..20

	scenarios := []struct {
		name    string
		batches [][]commerce.Event
		docs    uint64
		mark    uint64
		find    map[string][]string // text -> IDs expected exactly (active products)
	}{
		{
			name:    "created events index products",
			batches: [][]commerce.Event{created},
			docs:    20, mark: 20,
			find: map[string][]string{"mascara": {base[0].ID}},
		},
		{
			name:    "redelivered batch changes nothing",
			batches: [][]commerce.Event{created, created},
			docs:    20, mark: 20,
		},
		{
			name:    "redelivery in single events changes nothing",
			batches: [][]commerce.Event{created, created[5:6], created[19:]},
			docs:    20, mark: 20,
		},
		{
			name: "update with a newer seq replaces the document",
			batches: [][]commerce.Event{created,
				productEvents(t, 21, catalog.EventProductUpdated, renamed)},
			docs: 20, mark: 21,
			find: map[string][]string{"zanzibar": {renamed.ID}},
		},
		{
			name: "update with an old seq is skipped",
			batches: [][]commerce.Event{created,
				productEvents(t, 7, catalog.EventProductUpdated, renamed)},
			docs: 20, mark: 20,
			find: map[string][]string{"zanzibar": nil},
		},
		{
			name: "delete removes the document",
			batches: [][]commerce.Event{created,
				{deleteEvent(t, 21, base[0].ID)}},
			docs: 19, mark: 21,
			find: map[string][]string{"mascara": nil},
		},
		{
			name: "delete falls back to the aggregate",
			batches: [][]commerce.Event{created,
				{{ID: commerce.NewID(), Seq: 21, Type: catalog.EventProductDeleted, Aggregate: base[0].ID}}},
			docs: 19, mark: 21,
		},
		{
			name: "delete of an unknown product only moves the mark",
			batches: [][]commerce.Event{created,
				{deleteEvent(t, 30, "no-such-product")}},
			docs: 20, mark: 30,
		},
		{
			name: "other event types only move the mark",
			batches: [][]commerce.Event{created,
				{ev(25, "orders.placed", map[string]string{"id": "o1"})}},
			docs: 20, mark: 25,
		},
		{
			name: "undecodable event is skipped, the rest of the batch applies",
			batches: [][]commerce.Event{created, {
				{ID: commerce.NewID(), Seq: 21, Type: catalog.EventProductUpdated, Data: json.RawMessage(`{"title": 5`)},
				productEvents(t, 22, catalog.EventProductUpdated, renamed)[0],
			}},
			docs: 20, mark: 22,
			find: map[string][]string{"zanzibar": {renamed.ID}},
		},
		{
			name: "batch is applied in seq order",
			batches: [][]commerce.Event{created, {
				productEvents(t, 22, catalog.EventProductUpdated, renamed)[0],
				productEvents(t, 21, catalog.EventProductUpdated, base[3])[0],
			}},
			docs: 20, mark: 22,
			find: map[string][]string{"zanzibar": {renamed.ID}},
		},
		{
			name:    "event without seq is skipped",
			batches: [][]commerce.Event{productEvents(t, 0, catalog.EventProductCreated, base[0])},
			docs:    0, mark: 0,
		},
		{
			name: "create then delete in one batch leaves nothing",
			batches: [][]commerce.Event{{
				created[0],
				deleteEvent(t, 2, base[0].ID),
			}},
			docs: 0, mark: 2,
		},
		{
			name: "archived product is indexed but hidden",
			batches: [][]commerce.Event{created, productEvents(t, 21, catalog.EventProductUpdated, func() catalog.Product {
				p := base[0]
				p.Status = catalog.StatusArchived
				return p
			}())},
			docs: 20, mark: 21,
			find: map[string][]string{"mascara": nil},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ix := openEmpty(t, testConfig(t))
			ctx := context.Background()
			for _, b := range sc.batches {
				if err := ix.Apply(ctx, b); err != nil {
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
		})
	}
}

// TestApplyOneByOne applies events one per call, as a consumer without batching would.
func TestApplyOneByOne(t *testing.T) {
	ix := openEmpty(t, testConfig(t))
	ctx := context.Background()
	ps := loadDummy(t)[:3]
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
	if err := ix.Apply(ctx, productEvents(t, 100, catalog.EventProductCreated, ps...)); err != nil {
		t.Fatal(err)
	}
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
