package index

import (
	"context"
	"slices"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// TestSuggestFollowsApply checks that events keep the suggestion table current: new,
// renamed, hidden and deleted products, and products named alike listed once.
func TestSuggestFollowsApply(t *testing.T) {
	ix, repo := openWithRepo(t, testConfig(t))
	ctx := context.Background()
	texts := func(q string) []string {
		var out []string
		for _, s := range ix.Suggest(q, 8) {
			out = append(out, s.Kind+":"+s.Text+":"+s.ID)
		}
		return out
	}
	ix.WarmSuggestions()
	poll.Until(t, "the first fill", func() bool { return !ix.suggest.loadingNow() })
	seq := uint64(0)
	apply := func(typ string, ps ...catalog.Product) {
		t.Helper()
		for _, p := range ps {
			if typ == catalog.EventProductDeleted {
				repo.remove(p.ID)
			} else {
				repo.put(p)
			}
		}
		evs := productEvents(t, seq+1, typ, ps...)
		seq += uint64(len(ps))
		if err := ix.Apply(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	a := catalog.Product{ID: "p1", Slug: "p1", Title: "Copper Kettle", Brand: "Oshxona", Status: catalog.StatusActive, Rating: 4}
	b := catalog.Product{ID: "p2", Slug: "p2", Title: "Copper Kettle", Status: catalog.StatusActive, Rating: 3}
	apply(catalog.EventProductCreated, a, b)
	scenarios := []struct {
		name string
		do   func()
		q    string
		want []string
	}{
		{"named alike: listed once, the better rated", func() {}, "copper k", []string{"product:Copper Kettle:p1"}},
		{"brand completes", func() {}, "osh", []string{"brand:Oshxona:Oshxona"}},
		{"the better one renamed: both names listed", func() {
			a.Title = "Brass Kettle"
			apply(catalog.EventProductUpdated, a)
		}, "kettle", []string{"product:Brass Kettle:p1", "product:Copper Kettle:p2"}},
		{"hidden from shoppers (draft)", func() {
			b.Status = catalog.StatusDraft
			apply(catalog.EventProductUpdated, b)
		}, "kettle", []string{"product:Brass Kettle:p1"}},
		{"deleted", func() { apply(catalog.EventProductDeleted, a) }, "kettle", nil},
		{"brand gone with its last product", func() {}, "osh", nil},
	}
	for _, s := range scenarios {
		s.do()
		if got := texts(s.q); !slices.Equal(got, s.want) {
			t.Errorf("%s: Suggest(%q) = %v, want %v", s.name, s.q, got, s.want)
		}
	}
}
