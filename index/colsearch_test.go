package index

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestColumnsAnswerLikeBleve runs searches twice, counting facets and filtering by Bleve
// and by the columns, and requires the same answers: hits in the same order for text
// queries, the same totals and facet counts for all, and for searches without text the same
// products in an order the sort allows.
func TestColumnsAnswerLikeBleve(t *testing.T) {
	ix, products := dummyIndex(t)
	ix.WarmSuggestions()
	waitColumns(t, ix)
	ctx := context.Background()
	cat := ""
	for _, p := range products {
		if p.CategoryID != "" {
			cat = p.CategoryID
			break
		}
	}
	queries := []Query{
		{Text: "iphone"},
		{Text: "iphnoe"},
		{Text: "leather watches"},
		{Text: "red lipstick", Highlight: true},
		{Text: "sam", Category: "smartphones"},
		{Text: "kitchen", Sort: SortPrice},
		{Text: "apple", Sort: SortPriceDesc, InStock: ptr(true)},
		{Text: "perfume", Sort: SortRating, RatingMin: ptr(4.0)},
		{Text: "shirt", Sort: SortNewest, MinPrice: ptr[int64](1000), MaxPrice: ptr[int64](5000)},
		{Text: "zzzz nothing matches"},
		{},
		{Sort: SortPrice},
		{Sort: SortPriceDesc, Brands: []string{"Apple", "Samsung"}},
		{Sort: SortNewest, InStock: ptr(false)},
		{Sort: SortRating, RatingMin: ptr(4.5)},
		{Category: cat, Sort: SortPrice},
		{Status: StatusAny, Sort: SortNewest},
		{Status: "draft"},
		{Tags: []string{"beauty"}},
		{Brands: []string{"No Such Brand"}},
		{MinPrice: ptr[int64](1000), MaxPrice: ptr[int64](10000), Sort: SortPrice, Limit: 100},
		{Sort: SortPrice, Offset: 7, Limit: 5},
	}
	for _, q := range queries {
		q.Facets = true
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			if err := q.normalize(); err != nil {
				t.Fatal(err)
			}
			cols, err := ix.searchNow(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			saved := ix.docs.Load()
			ix.docs.Store(newDocTable()) // not ready: Bleve alone
			bl, err := ix.searchNow(ctx, q)
			ix.docs.Store(saved)
			if err != nil {
				t.Fatal(err)
			}
			if cols.Total != bl.Total {
				t.Fatalf("total %d, Bleve %d", cols.Total, bl.Total)
			}
			if !reflect.DeepEqual(cols.Facets, bl.Facets) {
				t.Errorf("facets\n%v\nBleve\n%v", cols.Facets, bl.Facets)
			}
			if q.Text != "" {
				if !reflect.DeepEqual(cols.Hits, bl.Hits) {
					t.Errorf("hits %v, Bleve %v", hitIDs(cols), hitIDs(bl))
				}
				return
			}
			if len(cols.Hits) != len(bl.Hits) {
				t.Fatalf("%d hits, Bleve %d", len(cols.Hits), len(bl.Hits))
			}
			key := func(id string) string {
				p := products[id]
				switch q.Sort {
				case SortPrice, SortPriceDesc:
					if len(p.Variants) == 0 {
						return "none"
					}
					return fmt.Sprint(p.MinPrice().Amount)
				case SortNewest:
					return p.CreatedAt.UTC().Format(time.RFC3339Nano)
				case SortRating:
					return fmt.Sprint(p.Rating)
				}
				return ""
			}
			var ck, bk []string
			for i := range cols.Hits {
				ck, bk = append(ck, key(cols.Hits[i].ID)), append(bk, key(bl.Hits[i].ID))
			}
			if !slices.Equal(ck, bk) {
				t.Errorf("sort keys %v, Bleve %v", ck, bk)
			}
			if uint64(len(bl.Hits)) == bl.Total && q.Offset == 0 {
				a, b := hitIDs(cols), hitIDs(bl)
				slices.Sort(a)
				slices.Sort(b)
				if !slices.Equal(a, b) {
					t.Errorf("hits %v, Bleve %v", a, b)
				}
			}
		})
	}
}
