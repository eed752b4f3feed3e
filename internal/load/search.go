package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// searchMixSize is the number of distinct requests of the search_facets mix.
const searchMixSize = 400

// facetPage is the part of a search answer the mix reads.
type facetPage struct {
	Total  int `json:"total"`
	Facets map[string][]struct {
		Term  string `json:"term"`
		Count int    `json:"count"`
	} `json:"facets"`
}

// searchFacetsMix returns the search_facets requests: shopper words (SearchQueries) alone or
// with one filter (category, brand, price range, in stock, rating 4+) and a sort, and one in
// ten without words (browsing a category or brand with facets). Brands and categories are the
// catalog's own, read from the facets of an empty search.
func (r *runner) searchFacetsMix(ctx context.Context) ([]string, error) {
	var all facetPage
	if err := r.api.do(ctx, http.MethodGet, "/api/v1/products/search?limit=1", nil, &all, http.StatusOK); err != nil {
		return nil, err
	}
	terms := func(name string) []string {
		var out []string
		for _, f := range all.Facets[name] {
			out = append(out, f.Term)
		}
		return out
	}
	brands, cats := terms("brand"), terms("category_id")
	prices := [][2]string{{"0", "1000"}, {"1000", "5000"}, {"5000", "20000"}, {"20000", ""}}
	sorts := []string{"", "", "price_asc", "price_desc", "newest", "rating"}
	rng := rand.New(rand.NewPCG(5, 5))
	seen := map[string]bool{}
	var urls []string
	for tries := 0; len(urls) < searchMixSize && tries < 50*searchMixSize; tries++ {
		v := url.Values{}
		if tries%10 != 9 {
			v.Set("q", SearchQueries[rng.IntN(len(SearchQueries))])
		}
		switch rng.IntN(6) {
		case 0:
			if len(cats) > 0 {
				v.Set("category", cats[rng.IntN(len(cats))])
			}
		case 1:
			if len(brands) > 0 {
				v.Set("brand", brands[rng.IntN(len(brands))])
			}
		case 2:
			p := prices[rng.IntN(len(prices))]
			v.Set("min_price", p[0])
			if p[1] != "" {
				v.Set("max_price", p[1])
			}
		case 3:
			v.Set("in_stock", "true")
		case 4:
			v.Set("rating_min", "4")
		}
		if s := sorts[rng.IntN(len(sorts))]; s != "" {
			v.Set("sort", s)
		}
		u := "/api/v1/products/search?" + v.Encode()
		if !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	return urls, nil
}

// zipfSequence returns n indexes below m drawn from a Zipf distribution (s = 1.1): a few
// popular queries and a long tail, as shoppers search.
func zipfSequence(n, m int) []int {
	rng := rand.New(rand.NewPCG(7, 7))
	z := rand.NewZipf(rng, 1.1, 1, uint64(m-1))
	seq := make([]int, n)
	for i := range seq {
		seq[i] = int(z.Uint64())
	}
	return seq
}

// searchFacets measures searches with facets and filters: the mix is asked once before the
// clock starts (as a shop's popular queries are answered from the per-generation result
// cache after their first asking), then in Zipf order.
func (r *runner) searchFacets(ctx context.Context) (CaseResult, error) {
	urls, err := r.searchFacetsMix(ctx)
	if err != nil {
		return CaseResult{}, err
	}
	if len(urls) == 0 {
		return CaseResult{}, fmt.Errorf("no search requests")
	}
	var matching atomic.Int64
	var firstErr error
	var once sync.Once
	var next atomic.Int64
	var wg sync.WaitGroup
	for range r.cfg.Connections {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(urls) || ctx.Err() != nil {
					return
				}
				var res facetPage
				if err := r.api.do(ctx, http.MethodGet, urls[i], nil, &res, http.StatusOK); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if res.Total > 0 {
					matching.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return CaseResult{}, firstErr
	}
	seq := zipfSequence(1<<20, len(urls))
	base := r.cfg.BaseURL
	var n atomic.Uint64
	res := r.attack(ctx, CaseSearchFacets, func(t *target) error {
		i := seq[(n.Add(1)-1)%uint64(len(seq))]
		t.Method, t.URL = http.MethodGet, base+urls[i]
		return nil
	}, nil)
	res.Note = fmt.Sprintf("%d distinct searches with facets (%d match products), Zipf s=1.1, each asked once before the clock", len(urls), matching.Load())
	return res, nil
}

// suggestMix returns what shoppers send while typing: every prefix of the search words and of
// the first two words of 300 product titles.
func (r *runner) suggestMix() []string {
	texts := slices.Clone(SearchQueries)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 300 && len(r.titles) > 0; i++ {
		words := strings.Fields(r.titles[rng.IntN(len(r.titles))])
		texts = append(texts, strings.Join(words[:min(2, len(words))], " "))
	}
	var out []string
	for _, t := range texts {
		rs := []rune(strings.ToLower(t))
		for i := 1; i <= len(rs); i++ {
			out = append(out, "/api/v1/products/search/suggest?limit=8&q="+url.QueryEscape(string(rs[:i])))
		}
	}
	return out
}

// suggest measures autocompletion with keystroke prefixes in random order.
func (r *runner) suggest(ctx context.Context) (CaseResult, error) {
	urls := r.suggestMix()
	var probe struct {
		Items []struct {
			Text string `json:"text"`
		} `json:"items"`
	}
	if err := r.api.do(ctx, http.MethodGet, urls[0], nil, &probe, http.StatusOK); err != nil {
		return CaseResult{}, err
	}
	base := r.cfg.BaseURL
	res := r.attack(ctx, CaseSuggest, func(t *target) error {
		t.Method, t.URL = http.MethodGet, base+urls[rand.IntN(len(urls))]
		return nil
	}, nil)
	res.Note = fmt.Sprintf("%d keystroke prefixes of search words and product titles, uniformly at random", len(urls))
	return res, nil
}
