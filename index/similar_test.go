package index

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func TestSimilar(t *testing.T) {
	ix, repo := openWithRepo(t, testConfig(t))
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := func(id, title, brand, status string, cats []string, tags ...string) catalog.Product {
		return catalog.Product{ID: id, Title: title, Brand: brand, Status: status, CategoryID: cats[len(cats)-1], CategoryPath: cats,
			Tags: tags, CreatedAt: at,
			Variants: []catalog.Variant{{ID: id + "-v", SKU: "SKU-" + id, Price: commerce.Money{Amount: 100, Currency: "USD"}}}}
	}
	tea, drinks, toys := []string{"food", "tea"}, []string{"food", "drinks"}, []string{"toys"}
	ps := []catalog.Product{
		p("green", "Green tea", "Leafy", catalog.StatusActive, tea, "organic"),
		p("black", "Black tea", "Leafy", catalog.StatusActive, tea, "organic"),     // category, brand, tag, title word
		p("oolong", "Oolong", "Other", catalog.StatusActive, tea),                  // category only
		p("juice", "Apple juice", "Leafy", catalog.StatusActive, drinks),           // brand and the parent category
		p("hidden", "White tea", "Leafy", catalog.StatusDraft, tea, "organic"),     // not active
		p("robot", "Robot", "Toyco", catalog.StatusActive, toys),                   // nothing in common
		p("teddy", "Teddy bear", "Toyco", catalog.StatusArchived, toys, "organic"), // not active
	}
	for _, x := range ps {
		repo.put(x)
	}
	if err := ix.Apply(context.Background(), productEvents(t, 1, catalog.EventProductCreated, ps...)); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name  string
		of    catalog.Product
		limit int
		want  []string
	}{
		{name: "most in common first; never itself, drafts or archived", of: ps[0], want: []string{"black", "oolong", "juice"}},
		{name: "a limit", of: ps[0], limit: 1, want: []string{"black"}},
		{name: "nothing in common", of: ps[5], want: []string{}},
		{name: "a product without category, brand, tags or title", of: catalog.Product{ID: "x"}, want: []string{}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			hits, err := ix.Similar(context.Background(), s.of, s.limit)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, h := range hits {
				got = append(got, h.ID)
			}
			if !reflect.DeepEqual(got, s.want) {
				t.Fatalf("similar %v, want %v", got, s.want)
			}
		})
	}
}
