package index_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/internal/poll"
	"github.com/ultramarket/ultramarket/store"
)

// qualityShop loads the real catalog into a Pebble store the way the shop holds it (categories
// named after DummyJSON's category slugs, one variant per product, the rating as Rating) plus
// a Russian and an Uzbek translation, and opens an index on it, which builds itself from the
// store. It returns the index and the store. Products come from LoadDummy, the mapping the
// index's internal tests use (IDs dj-NNN, so expectations name products stably).
func qualityShop(t *testing.T, synonyms ...string) (*index.Index, *store.DB) {
	t.Helper()
	products := index.LoadDummy(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Config{Dir: filepath.Join(dir, "kv"), DiskGuardOff: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cat := store.NewCatalog(db)

	translations := map[string]map[string]catalog.Translation{
		"dj-093": {"ru": {Title: "Коричневые кожаные часы на ремне", Description: "Стильные часы с кожаным ремешком."}},
		"dj-194": {"uz": {Title: "Ayollar qo‘l soati", Description: "Zamonaviy qo‘l soati."}},
	}
	err = cat.Update(ctx, func(tx catalog.Tx) error {
		seen := map[string]bool{}
		for _, p := range products {
			if seen[p.CategoryID] {
				continue
			}
			seen[p.CategoryID] = true
			words := strings.Split(p.CategoryID, "-")
			for i, w := range words {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
			c := catalog.Category{ID: p.CategoryID, Slug: p.CategoryID, Name: strings.Join(words, " "), Version: 1, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}
			if err := tx.SaveCategory(c); err != nil {
				return err
			}
		}
		for i := range products {
			p := &products[i]
			p.Ratings = catalog.RatingSummary{Average: p.Rating, Count: 10}
			p.Translations = translations[p.ID]
			if err := tx.SaveProduct(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load the catalog into the store: %v", err)
	}
	ix, err := index.Open(ctx, index.Config{Dir: filepath.Join(dir, "index"), Logger: quiet, Synonyms: synonyms, SynonymStore: db}, cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	// Rebuild while open, which fills the search columns, so the suite measures the path
	// searches take in a running shop.
	if err := ix.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.DocCount(); err != nil || n != uint64(len(products)) {
		t.Fatalf("index holds %d documents (%v), want %d", n, err, len(products))
	}
	return ix, db
}

func dj(n ...int) []string {
	ids := make([]string, len(n))
	for i, v := range n {
		ids[i] = fmt.Sprintf("dj-%03d", v)
	}
	return ids
}

// TestSearchQuality runs the search quality suite: real shopper queries against the real
// catalog, each with the products it must find first and why.
func TestSearchQuality(t *testing.T) {
	ix, _ := qualityShop(t, "tv, television", "phone, smartphone, mobile")
	ctx := context.Background()
	if _, err := ix.PutSynonyms(ctx, []string{"couch, sofa, settee"}, nil); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		q   index.Query
		why string
		// top: the first len(top) hits are exactly these, in any order.
		top []string
		// first: the very first hit; firstOf: the first hit is one of these.
		first   string
		firstOf []string
		// include: these are all on the first page; exclude: none of these is.
		include, exclude []string
		total            int            // exact total when > 0
		facet            map[string]int // category facet counts that must match exactly
	}{
		{q: index.Query{Text: "iphnoe"}, why: "a swapped pair of letters in a 6-letter word is one edit: every product named iPhone, a phone first",
			firstOf: dj(121, 122, 123, 124), include: dj(121, 122, 123, 124, 108, 104, 110)},
		{q: index.Query{Text: "mascra"}, why: "a missing letter (1 edit at 6 letters) still finds the mascara",
			first: "dj-001"},
		{q: index.Query{Text: "samsng galaxy"}, why: "a typo in the first word and an exact second word: the Samsung Galaxy phones and tablets",
			top: dj(131, 132, 133, 160, 161), total: 5},
		{q: index.Query{Text: "rolx"}, why: "4 letters allow one edit: Rolex is the brand of six watches",
			top: dj(95, 96, 97, 98, 191, 192)},
		{q: index.Query{Text: "cat"}, why: "3 letters allow no edit: 'cat' must not find 'car', 'hat' or 'bat'",
			first: "dj-018", exclude: dj(143, 150)},
		{q: index.Query{Text: "watches", Limit: 20}, why: "a plural stems to 'watch': the men's and women's watches and the Apple Watch",
			include: dj(93, 94, 95, 96, 97, 98, 106, 190, 191, 192, 193, 194)},
		{q: index.Query{Text: "lipsticks"}, why: "plural of the title word and tag 'lipstick'",
			first: "dj-004"},
		{q: index.Query{Text: "dresses", Limit: 20}, why: "'dresses' stems like 'dress' (titles) and the 'dresses' tag",
			include: dj(162, 163, 164, 165, 166, 180)},
		{q: index.Query{Text: "perfumes"}, why: "tag-only match: no title or description says perfume, the five fragrances are tagged 'perfumes'",
			top: dj(6, 7, 8, 9, 10)},
		{q: index.Query{Text: "cutlery"}, why: "tag-only match: the knife is tagged 'cutlery'",
			first: "dj-064", total: 1},
		{q: index.Query{Text: "red lipstick"}, why: "both words in the title beat products with only 'red'",
			first: "dj-004", total: 1},
		{q: index.Query{Text: "apple watch"}, why: "multi-word: the only product with both words first (brand Apple + title Watch)",
			first: "dj-106"},
		{q: index.Query{Text: "leather watch"}, why: "both words in the title: the leather belt watch first",
			first: "dj-093"},
		{q: index.Query{Text: "glamour"}, why: "brand above description: Glamour Beauty's palette before the watch whose description says glamour",
			first: "dj-002", include: dj(193)},
		{q: index.Query{Text: "shades"}, why: "brand above description: the four Fashion Shades products before the palette whose description mentions shades",
			top: dj(154, 155, 156, 158), include: dj(2)},
		{q: index.Query{Text: "elegance"}, why: "brand above description: Elegance Collection's handbag first",
			first: "dj-176"},
		{q: index.Query{Text: "television"}, why: "configured synonym 'tv, television': the TV studio camera pedestal",
			first: "dj-112", total: 1},
		{q: index.Query{Text: "couch"}, why: "synonym set through the admin API ('couch, sofa, settee'), no reindex: the sofa, before 'touch' (one typo away) in descriptions",
			first: "dj-012"},
		{q: index.Query{Text: "часов"}, why: "Russian stemming on a translated title: genitive plural 'часов' meets 'часы'",
			first: "dj-093", total: 1},
		{q: index.Query{Text: "кожаный"}, why: "Russian stemming: the masculine adjective meets 'кожаные' and 'кожаным'",
			first: "dj-093", total: 1},
		{q: index.Query{Text: "qo'l soati"}, why: "Uzbek normalization: an ASCII apostrophe finds 'qo‘l' written with U+2018",
			first: "dj-194", total: 1},
		{q: index.Query{Text: "macb"}, why: "prefix of the last word (search as you type)",
			first: "dj-078"},
		{q: index.Query{Text: "mens watches", Facets: true}, why: "category names are text: both words match the Mens Watches category (and 'men' + watches elsewhere)",
			top: dj(93, 94, 95, 96, 97, 98)},
		{q: index.Query{Text: "rolex", Facets: true}, why: "facet counts: four men's and two women's Rolex watches",
			total: 6, facet: map[string]int{"mens-watches": 4, "womens-watches": 2}},
		{q: index.Query{Text: "sunglasses", Facets: true}, why: "facet counts: sunglasses are all in one category",
			include: dj(154, 155, 156, 158), facet: map[string]int{"sunglasses": 5}},
		{q: index.Query{Text: "BEA-ESS-ESS-001"}, why: "an exact SKU finds its product",
			first: "dj-001", total: 1},
	}
	for _, s := range scenarios {
		t.Run(s.q.Text, func(t *testing.T) {
			res, err := ix.Search(ctx, s.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.ID)
			}
			fail := func(format string, args ...any) {
				t.Helper()
				t.Errorf("%q (%s): "+format+"\n hits: %v", append(append([]any{s.q.Text, s.why}, args...), got)...)
			}
			if s.first != "" && (len(got) == 0 || got[0] != s.first) {
				fail("first hit is not %s", s.first)
			}
			if len(s.firstOf) > 0 && (len(got) == 0 || !slices.Contains(s.firstOf, got[0])) {
				fail("first hit is not one of %v", s.firstOf)
			}
			if len(s.top) > 0 {
				if len(got) < len(s.top) {
					fail("fewer than %d hits", len(s.top))
				} else if head := slices.Sorted(slices.Values(got[:len(s.top)])); !slices.Equal(head, slices.Sorted(slices.Values(s.top))) {
					fail("the first %d hits are not %v", len(s.top), s.top)
				}
			}
			for _, id := range s.include {
				if !slices.Contains(got, id) {
					fail("%s is not on the first page", id)
				}
			}
			for _, id := range s.exclude {
				if slices.Contains(got, id) {
					fail("%s should not match", id)
				}
			}
			if s.total > 0 && res.Total != uint64(s.total) {
				fail("total %d, want %d", res.Total, s.total)
			}
			if s.facet != nil {
				counts := map[string]int{}
				for _, f := range res.Facets[index.FacetCategory] {
					counts[f.Term] = f.Count
				}
				for cat, n := range s.facet {
					if counts[cat] != n {
						fail("category facet %s = %d, want %d (facet %v)", cat, counts[cat], n, res.Facets[index.FacetCategory])
					}
				}
			}
		})
	}
}

// TestSearchQualityFacetNames checks that the category facet names its categories and the
// rating facet counts at-least buckets.
func TestSearchQualityFacets(t *testing.T) {
	ix, _ := qualityShop(t)
	res, err := ix.Search(context.Background(), index.Query{Text: "rolex", Facets: true})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, f := range res.Facets[index.FacetCategory] {
		names[f.Term] = f.Name
	}
	if names["mens-watches"] != "Mens Watches" || names["womens-watches"] != "Womens Watches" {
		t.Errorf("category facet names = %v", names)
	}
	// Rolex ratings: 4.97, 2.58, 3.66, 2.69 (men's), 3.83, 2.86 (women's).
	want := []index.FacetCount{{Term: "4", Count: 1}, {Term: "3", Count: 3}, {Term: "2", Count: 6}, {Term: "1", Count: 6}}
	if got := res.Facets[index.FacetRating]; !slices.Equal(got, want) {
		t.Errorf("rating facet = %v, want %v", got, want)
	}
	if got := res.Facets[index.FacetBrand]; len(got) != 1 || got[0] != (index.FacetCount{Term: "Rolex", Count: 6}) {
		t.Errorf("brand facet = %v", got)
	}
	// Filters: rating_min and several brands.
	four := 4.0
	res, err = ix.Search(context.Background(), index.Query{Brands: []string{"Rolex", "Longines"}, RatingMin: &four})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Hits[0].ID != "dj-095" {
		t.Errorf("Rolex or Longines rated 4+: %v", res.Hits)
	}
}

// TestSuggestQuality checks autocompletion on the real catalog.
func TestSuggestQuality(t *testing.T) {
	ix, _ := qualityShop(t)
	ix.WarmSuggestions()
	poll.Until(t, "suggestions filled", func() bool { return len(ix.Suggest("rol", 5)) > 0 })
	scenarios := []struct {
		q    string
		why  string
		want []string // texts of the first suggestions, in order (kind:text)
		none bool
	}{
		{q: "rol", why: "the brand first, then its products best rated first (4.97 Cellini Date, 3.83 Cellini Moonphase over the 2.58 one)",
			want: []string{"brand:Rolex", "product:Rolex Cellini Date Black Dial", "product:Rolex Cellini Moonphase", "product:Rolex Datejust"}},
		{q: "app wat", why: "every word counts, the last as a prefix",
			want: []string{"product:Apple Watch Series 4 Gold"}},
		{q: "iphone", why: "titles starting with the word, best rated first, rank above those holding it later (Apple iPhone Charger is rated 4.15)",
			want: []string{"product:iPhone 13 Pro", "product:iPhone 12 Silicone Case with MagSafe Plum", "product:iPhone 6", "product:iPhone 5s", "product:iPhone X", "product:Apple iPhone Charger"}},
		{q: "mens wa", why: "category names complete too",
			want: []string{"category:Mens Watches"}},
		{q: "rloex", why: "one swapped pair in the last word is forgiven when nothing starts with it",
			want: []string{"brand:Rolex"}},
		{q: "zzzz", why: "nothing to complete", none: true},
	}
	for _, s := range scenarios {
		got := ix.Suggest(s.q, 8)
		var texts []string
		for _, g := range got {
			texts = append(texts, g.Kind+":"+g.Text)
		}
		if s.none {
			if len(got) != 0 {
				t.Errorf("%q (%s): %v, want nothing", s.q, s.why, texts)
			}
			continue
		}
		if len(texts) < len(s.want) || !slices.Equal(texts[:len(s.want)], s.want) {
			t.Errorf("%q (%s): %v, want it to start with %v", s.q, s.why, texts, s.want)
		}
	}
}

// TestHighlightQuality checks the highlighted snippets.
func TestHighlightQuality(t *testing.T) {
	ix, _ := qualityShop(t)
	res, err := ix.Search(context.Background(), index.Query{Text: "red lipstik", Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 {
		t.Fatal("no hits")
	}
	h := res.Hits[0].Highlights
	if h["title"] != "<mark>Red</mark> <mark>Lipstick</mark>" {
		t.Errorf("title highlight = %q", h["title"])
	}
	if !strings.Contains(h["description"], "The <mark>Red</mark> <mark>Lipstick</mark> is a classic") {
		t.Errorf("description highlight = %q", h["description"])
	}
	res, err = ix.Search(context.Background(), index.Query{Text: "chanel", Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Hits[0].Highlights["title"]; got != "<mark>Chanel</mark> Coco Noir Eau De" {
		t.Errorf("title highlight = %q", got)
	}
}
