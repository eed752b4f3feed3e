package index

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func ptr[T any](v T) *T { return &v }

func titleHas(word string) func(catalog.Product) bool {
	return func(p catalog.Product) bool { return strings.Contains(strings.ToLower(p.Title), word) }
}

func TestSearch(t *testing.T) {
	ix, byID := dummyIndex(t)
	active := func(keep func(catalog.Product) bool) (n int) {
		for _, p := range byID {
			if p.Status == catalog.StatusActive && keep(p) {
				n++
			}
		}
		return n
	}
	if got := active(func(p catalog.Product) bool { return !p.InStock() }); got != 4 {
		t.Fatalf("test data: %d products out of stock, want 4", got)
	}

	scenarios := []struct {
		name  string
		q     Query
		total int                        // exact total when > 0; -1 means none may match
		min   int                        // at least this many matches
		top   func(catalog.Product) bool // the first hit satisfies it
		every func(catalog.Product) bool // every hit on the page satisfies it
		// include: every active product satisfying it is among the hits on the page.
		include func(catalog.Product) bool
		order   func(a, b catalog.Product) bool // consecutive hits satisfy order(a, b)
		facets  map[string][]FacetCount         // expected facet values (subset by name)
	}{
		{
			name: "exact title word",
			q:    Query{Text: "mascara"},
			top:  titleHas("mascara"), min: 1,
		},
		{
			name:    "misspelling finds iPhones",
			q:       Query{Text: "iphnoe"},
			top:     titleHas("iphone"),
			include: titleHas("iphone"),
		},
		{
			name:    "plural matches singular",
			q:       Query{Text: "watches"},
			include: titleHas("watch"),
			top:     titleHas("watch"),
		},
		{
			name:    "singular shirt ranks shirts first",
			q:       Query{Text: "shirts"},
			top:     titleHas("shirt"),
			include: func(p catalog.Product) bool { return p.CategoryID == "mens-shirts" && titleHas("shirt")(p) },
		},
		{
			name:    "prefix of the last word",
			q:       Query{Text: "role"},
			include: func(p catalog.Product) bool { return p.Brand == "Rolex" },
			top:     func(p catalog.Product) bool { return p.Brand == "Rolex" },
		},
		{
			name:  "every word must match",
			q:     Query{Text: "leather watch"},
			top:   func(p catalog.Product) bool { return p.Title == "Brown Leather Belt Watch" },
			total: 0, min: 1,
		},
		{
			name:    "unknown word falls back to any word",
			q:       Query{Text: "zzqxv iphone"},
			top:     titleHas("iphone"),
			include: titleHas("iphone"),
		},
		{
			name:  "exact SKU",
			q:     Query{Text: "BEA-ESS-ESS-001"},
			top:   func(p catalog.Product) bool { return p.ID == "dj-001" },
			total: 1,
		},
		{
			name:  "brand filter",
			q:     Query{Brands: []string{"Apple"}, Limit: 100},
			total: active(func(p catalog.Product) bool { return p.Brand == "Apple" }),
			every: func(p catalog.Product) bool { return p.Brand == "Apple" },
		},
		{
			name:  "brand filter with text",
			q:     Query{Text: "charger", Brands: []string{"Apple"}},
			every: func(p catalog.Product) bool { return p.Brand == "Apple" },
			top:   titleHas("charger"),
		},
		{
			name:  "category filter with text",
			q:     Query{Text: "samsung", Category: "smartphones"},
			total: active(func(p catalog.Product) bool { return p.CategoryID == "smartphones" && p.Brand == "Samsung" }),
			every: func(p catalog.Product) bool { return p.CategoryID == "smartphones" },
		},
		{
			name: "price range inclusive",
			q:    Query{MinPrice: ptr[int64](1000), MaxPrice: ptr[int64](4999), Limit: 100},
			total: active(func(p catalog.Product) bool {
				a := p.MinPrice().Amount
				return a >= 1000 && a <= 4999
			}),
			every: func(p catalog.Product) bool { a := p.MinPrice().Amount; return a >= 1000 && a <= 4999 },
		},
		{
			name:  "out of stock filter",
			q:     Query{InStock: ptr(false)},
			total: 4,
			every: func(p catalog.Product) bool { return !p.InStock() },
		},
		{
			name:  "in stock facet counts",
			q:     Query{Facets: true, Limit: 1},
			total: active(func(catalog.Product) bool { return true }),
			facets: map[string][]FacetCount{
				FacetInStock: {
					{Term: "true", Count: active(catalog.Product.InStock)},
					{Term: "false", Count: 4},
				},
			},
		},
		{
			name:   "facets follow the text",
			q:      Query{Text: "iphone", Facets: true},
			facets: map[string][]FacetCount{FacetInStock: {{Term: "true", Count: 8}}},
			total:  8,
		},
		{
			name:  "sort by price",
			q:     Query{Sort: SortPrice, Limit: 50},
			order: func(a, b catalog.Product) bool { return a.MinPrice().Amount <= b.MinPrice().Amount },
			top: func(p catalog.Product) bool {
				return p.MinPrice().Amount == cheapest(byID)
			},
		},
		{
			name:  "sort by price descending with text",
			q:     Query{Text: "watch", Sort: SortPriceDesc},
			order: func(a, b catalog.Product) bool { return a.MinPrice().Amount >= b.MinPrice().Amount },
		},
		{
			name:  "sort newest",
			q:     Query{Sort: SortNewest, Limit: 30},
			order: func(a, b catalog.Product) bool { return !a.CreatedAt.Before(b.CreatedAt) },
			top:   func(p catalog.Product) bool { return p.ID == "dj-194" },
		},
		{
			name:  "sort by rating",
			q:     Query{Text: "phone", Sort: SortRating},
			order: func(a, b catalog.Product) bool { return a.Rating >= b.Rating },
		},
		{
			name:  "draft products hidden by default",
			q:     Query{Text: "phantom prototype"},
			total: -1,
		},
		{
			name:  "draft products with any status",
			q:     Query{Text: "phantom prototype", Status: StatusAny},
			total: 1,
			top:   func(p catalog.Product) bool { return p.ID == "draft-001" },
		},
		{
			name:  "only stop words match nothing",
			q:     Query{Text: "the and"},
			total: -1,
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), sc.q)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			hits := make([]catalog.Product, len(res.Hits))
			for i, h := range res.Hits {
				p, ok := byID[h.ID]
				if !ok {
					t.Fatalf("hit %q is not a known product", h.ID)
				}
				hits[i] = p
			}
			titles := func() []string {
				var ts []string
				for _, p := range hits {
					ts = append(ts, p.Title)
				}
				return ts
			}
			switch {
			case sc.total > 0 && res.Total != uint64(sc.total):
				t.Errorf("total = %d, want %d; hits %q", res.Total, sc.total, titles())
			case sc.total < 0 && res.Total != 0:
				t.Errorf("total = %d, want none; hits %q", res.Total, titles())
			}
			if res.Total < uint64(sc.min) {
				t.Errorf("total = %d, want at least %d", res.Total, sc.min)
			}
			if sc.top != nil && (len(hits) == 0 || !sc.top(hits[0])) {
				t.Errorf("first hit does not match; hits %q", titles())
			}
			for _, p := range hits {
				if sc.every != nil && !sc.every(p) {
					t.Errorf("hit %s %q does not match the filter", p.ID, p.Title)
				}
			}
			if sc.include != nil {
				for _, p := range byID {
					if p.Status == catalog.StatusActive && sc.include(p) && !slices.Contains(hitIDs(res), p.ID) {
						t.Errorf("missing %s %q; hits %q", p.ID, p.Title, titles())
					}
				}
			}
			for i := 1; sc.order != nil && i < len(hits); i++ {
				if !sc.order(hits[i-1], hits[i]) {
					t.Errorf("hits %d and %d out of order: %q then %q", i-1, i, hits[i-1].Title, hits[i].Title)
				}
			}
			for name, want := range sc.facets {
				if got := res.Facets[name]; !slices.Equal(got, want) {
					t.Errorf("facet %s = %v, want %v", name, got, want)
				}
			}
		})
	}
}

func cheapest(byID map[string]catalog.Product) int64 {
	m := int64(-1)
	for _, p := range byID {
		if a := p.MinPrice().Amount; p.Status == catalog.StatusActive && (m < 0 || a < m) {
			m = a
		}
	}
	return m
}

func TestSearchFacetsMatchData(t *testing.T) {
	ix, byID := dummyIndex(t)
	res, err := ix.Search(context.Background(), Query{Facets: true})
	if err != nil {
		t.Fatal(err)
	}
	cats, brands := map[string]int{}, map[string]int{}
	prices := map[string]int{}
	for _, p := range byID {
		if p.Status != catalog.StatusActive {
			continue
		}
		cats[p.CategoryID]++
		if p.Brand != "" {
			brands[p.Brand]++
		}
		a := p.MinPrice().Amount
		for _, r := range PriceRanges() {
			if (r.Min == nil || a >= *r.Min) && (r.Max == nil || a < *r.Max) {
				prices[r.Name]++
			}
		}
	}
	check := func(name string, want map[string]int, complete bool) {
		got := res.Facets[name]
		if complete && len(got) != len(want) {
			t.Errorf("facet %s has %d terms, want %d: %v", name, len(got), len(want), got)
		}
		for i, fc := range got {
			if want[fc.Term] != fc.Count {
				t.Errorf("facet %s term %q = %d, want %d", name, fc.Term, fc.Count, want[fc.Term])
			}
			if i > 0 && name != FacetPrice && got[i-1].Count < fc.Count {
				t.Errorf("facet %s not ordered by count at %d", name, i)
			}
		}
	}
	check(FacetCategory, cats, true)
	check(FacetBrand, brands, len(brands) <= facetSize)
	check(FacetPrice, prices, true)
	var names []string
	for _, fc := range res.Facets[FacetPrice] {
		names = append(names, fc.Term)
	}
	var order []string
	for _, r := range PriceRanges() {
		if prices[r.Name] > 0 {
			order = append(order, r.Name)
		}
	}
	if !slices.Equal(names, order) {
		t.Errorf("price facet order %v, want %v", names, order)
	}
}

func TestSearchPaging(t *testing.T) {
	ix, _ := dummyIndex(t)
	ctx := context.Background()
	for _, q := range []Query{{Text: "watch"}, {Sort: SortPrice}, {Text: "phone", Sort: SortRating}} {
		all := q
		all.Limit = 20
		whole, err := ix.Search(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		var paged []string
		for off := 0; off < 20; off += 7 {
			p := q
			p.Limit, p.Offset = 7, off
			r, err := ix.Search(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != whole.Total {
				t.Errorf("%+v: page total %d, want %d", p, r.Total, whole.Total)
			}
			paged = append(paged, hitIDs(r)...)
		}
		if want := hitIDs(whole); !slices.Equal(paged[:len(want)], want) {
			t.Errorf("%+v: pages %v, want %v", q, paged, want)
		}
	}
}

func TestSearchInvalid(t *testing.T) {
	ix, _ := dummyIndex(t)
	scenarios := []struct {
		name  string
		q     Query
		field string
	}{
		{"unknown sort", Query{Sort: "cheapest"}, "sort"},
		{"negative offset", Query{Offset: -1}, "offset"},
		{"negative limit", Query{Limit: -5}, "limit"},
		{"inverted price range", Query{MinPrice: ptr[int64](500), MaxPrice: ptr[int64](100)}, "min_price"},
		{"text too long", Query{Text: strings.Repeat("a", MaxTextLen+1)}, "text"},
		{"too deep", Query{Offset: MaxResultSpan}, "offset"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := ix.Search(context.Background(), sc.q)
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid {
				t.Fatalf("err = %v, want an invalid error", err)
			}
			if len(e.Fields) == 0 || e.Fields[0].Field != sc.field {
				t.Errorf("fields = %v, want %s", e.Fields, sc.field)
			}
		})
	}
}

func TestSearchLimitDefaults(t *testing.T) {
	ix, _ := dummyIndex(t)
	for _, sc := range []struct{ limit, want int }{{0, commerce.DefaultPageLimit}, {500, commerce.MaxPageLimit}, {3, 3}} {
		r, err := ix.Search(context.Background(), Query{Limit: sc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hits) != sc.want {
			t.Errorf("limit %d: %d hits, want %d", sc.limit, len(r.Hits), sc.want)
		}
	}
}

func TestFuzziness(t *testing.T) {
	for _, sc := range []struct {
		word string
		want int
	}{{"tv", 0}, {"hat", 0}, {"shoe", 1}, {"iphnoe", 1}, {"watches", 1}, {"notebook", 2}, {"smartphones", 2}, {"çağrı", 1}} {
		if got := fuzziness(sc.word); got != sc.want {
			t.Errorf("fuzziness(%q) = %d, want %d", sc.word, got, sc.want)
		}
	}
}
