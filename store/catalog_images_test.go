package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func testMediaID(n int) string { return fmt.Sprintf("%064x", n) }

func outboxTypes(t *testing.T, db *DB, after uint64) ([]string, []commerce.Event) {
	t.Helper()
	evs, err := db.Outbox(context.Background(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types, evs
}

func lastSeq(t *testing.T, db *DB) uint64 {
	t.Helper()
	_, evs := outboxTypes(t, db, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

// TestCatalogImages runs the image use cases on the store: each change is one batch with
// the product record, its index rows and both events; a refused change writes nothing.
func TestCatalogImages(t *testing.T) {
	ctx := context.Background()
	db, cat, svc := newCatalogShop(t)
	p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Lamp", Variants: []catalog.VariantInput{
		variant("LAMP-1", 1000, ptr64(4), "Color", "Red"), variant("LAMP-2", 1000, ptr64(2), "Color", "Blue")}})
	must(t, err)

	sizes := []string{"thumb", "large"}
	steps := []struct {
		name   string
		do     func() error
		events []string // outbox after the step; nil = none (refused)
		want   []string // media IDs' last digits in position order after the step
	}{
		{"add", func() error {
			_, _, err := svc.AddImage(ctx, p.ID, catalog.NewImage{MediaID: testMediaID(1), Alt: "lit", Sizes: sizes}, nil)
			return err
		}, []string{catalog.EventProductUpdated, catalog.EventImageAdded}, []string{"1"}},
		{"add first, for the blue variant", func() error {
			_, _, err := svc.AddImage(ctx, p.ID, catalog.NewImage{MediaID: testMediaID(2), Position: 1, VariantIDs: []string{p.Variants[1].ID}, Sizes: sizes}, nil)
			return err
		}, []string{catalog.EventProductUpdated, catalog.EventImageAdded}, []string{"2", "1"}},
		{"refused: unknown variant", func() error {
			_, _, err := svc.AddImage(ctx, p.ID, catalog.NewImage{MediaID: testMediaID(3), VariantIDs: []string{"nope"}}, nil)
			return err
		}, nil, []string{"2", "1"}},
		{"refused: stale If-Match", func() error {
			_, _, err := svc.AddImage(ctx, p.ID, catalog.NewImage{MediaID: testMediaID(3)}, ptr64(1))
			return err
		}, nil, []string{"2", "1"}},
		{"move", func() error {
			alt := "on"
			_, _, err := svc.UpdateImage(ctx, p.ID, testMediaID(2), catalog.ImageChange{Alt: &alt, Position: new(int(2))}, nil)
			return err
		}, []string{catalog.EventProductUpdated, catalog.EventImageUpdated}, []string{"1", "2"}},
		{"remove", func() error {
			_, err := svc.RemoveImage(ctx, p.ID, testMediaID(1), nil)
			return err
		}, []string{catalog.EventProductUpdated, catalog.EventImageRemoved}, []string{"2"}},
	}
	version := p.Version
	for _, st := range steps {
		before := lastSeq(t, db)
		err := st.do()
		if (err != nil) != (st.events == nil) {
			t.Fatalf("%s: error %v", st.name, err)
		}
		types, evs := outboxTypes(t, db, before)
		if !slices.Equal(types, st.events) {
			t.Errorf("%s: events %v, want %v", st.name, types, st.events)
		}
		if st.events != nil {
			version++
		}
		got, err := cat.Product(ctx, p.ID)
		must(t, err)
		var ids []string
		for i, im := range got.Images {
			ids = append(ids, im.ID[63:])
			if im.Position != i+1 || im.URL != "/api/v1/media/"+im.ID || im.Thumbnails["large"] != im.URL+"/large" {
				t.Errorf("%s: image %+v", st.name, im)
			}
		}
		if !slices.Equal(ids, st.want) || got.Version != version {
			t.Errorf("%s: images %v v%d, want %v v%d", st.name, ids, got.Version, st.want, version)
		}
		if got.Variants[0].Stock != 4 || got.Variants[1].Stock != 2 {
			t.Errorf("%s: stock changed: %+v", st.name, got.Variants)
		}
		if len(evs) == 2 {
			var data catalog.ImageEvent
			must(t, json.Unmarshal(evs[1].Data, &data))
			if data.ProductID != p.ID || data.Version != version || evs[1].Aggregate != p.ID {
				t.Errorf("%s: image event %+v", st.name, data)
			}
		}
		checkIndexes(t, db)
	}

	// The product page's document carries the images as the product JSON does.
	d, err := cat.ProductDocument(ctx, p.ID)
	must(t, err)
	var doc struct {
		Images []map[string]any `json:"images"`
	}
	must(t, json.Unmarshal(d.JSON, &doc))
	if len(doc.Images) != 1 || doc.Images[0]["id"] != testMediaID(2) || doc.Images[0]["alt"] != "on" ||
		doc.Images[0]["thumbnails"].(map[string]any)["thumb"] != "/api/v1/media/"+testMediaID(2)+"/thumb" {
		t.Errorf("document images %v", doc.Images)
	}
}

// TestCatalogImagesConcurrent adds images concurrently: the writes are serialized, so every
// one lands, with positions 1..n and one version per image.
func TestCatalogImagesConcurrent(t *testing.T) {
	ctx := context.Background()
	_, cat, svc := newCatalogShop(t)
	p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Lamp", Variants: []catalog.VariantInput{variant("LAMP-1", 1000, nil)}})
	must(t, err)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, _, err := svc.AddImage(ctx, p.ID, catalog.NewImage{MediaID: testMediaID(100 + i)}, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := cat.Product(ctx, p.ID)
	must(t, err)
	seen := map[string]bool{}
	for i, im := range got.Images {
		seen[im.ID] = true
		if im.Position != i+1 {
			t.Errorf("image %d at position %d", i, im.Position)
		}
	}
	if len(seen) != n || got.Version != p.Version+n {
		t.Errorf("%d distinct images, version %d; want %d, %d", len(seen), got.Version, n, p.Version+n)
	}
}
