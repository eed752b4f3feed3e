package index

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Sort orders accepted by Query.Sort.
const (
	SortRelevance = "relevance" // best match first (the default)
	SortPrice     = "price"     // cheapest first
	SortPriceDesc = "-price"    // dearest first
	SortNewest    = "newest"    // most recently created first
	SortRating    = "rating"    // best rated first
)

// StatusAny in Query.Status searches products of every status (admin search).
const StatusAny = "any"

// Query limits.
const (
	MaxTextLen    = 256   // bytes of Query.Text
	MaxTextTerms  = 16    // words of Query.Text
	MaxResultSpan = 10000 // Offset+Limit: deeper pages cost too much to score
	facetSize     = 50    // terms per terms facet
)

// Field boosts at query time: a word in the title counts most, then tags and brand, then the
// description.
const (
	boostTitle       = 3.0
	boostTags        = 2.0
	boostBrand       = 2.0
	boostDescription = 1.0
	boostSKU         = 5.0
)

// Query is a product search.
type Query struct {
	Text     string // free text; empty matches every product
	Category string // category ID; products of its sub-categories match too (documents hold the whole category path)
	Brand    string // exact brand, as written on the product
	MinPrice *int64 // inclusive, minor units
	MaxPrice *int64 // inclusive, minor units
	InStock  *bool
	// Status filters on product status: "" means catalog.StatusActive (what shoppers may see),
	// StatusAny means every status.
	Status string
	Sort   string // one of the Sort constants; "" means SortRelevance
	Limit  int    // 0 means commerce.DefaultPageLimit; capped at commerce.MaxPageLimit
	Offset int
	Facets bool // compute Result.Facets
}

// Result is one page of search hits.
type Result struct {
	Total  uint64 // matching products, all pages
	Hits   []Hit
	Facets map[string][]FacetCount // by facet name; nil unless Query.Facets
}

// Hit is one matching product.
type Hit struct {
	ID    string
	Score float64
}

// FacetCount is the number of matching products with one facet value.
type FacetCount struct {
	Term  string
	Count int
}

// Facet names in Result.Facets.
const (
	FacetCategory = "category_id"
	FacetBrand    = "brand"
	FacetInStock  = "in_stock" // terms "true" and "false"
	FacetPrice    = "price"    // terms are PriceRange names, in PriceRanges order
)

// PriceRange is a price facet bucket: Min <= price < Max, in minor units; nil is unbounded.
type PriceRange struct {
	Name     string
	Min, Max *int64
}

// PriceRanges returns the buckets of the price facet.
func PriceRanges() []PriceRange {
	p := func(v int64) *int64 { return &v }
	return []PriceRange{
		{Name: "0-1000", Min: p(0), Max: p(1000)},
		{Name: "1000-5000", Min: p(1000), Max: p(5000)},
		{Name: "5000-10000", Min: p(5000), Max: p(10000)},
		{Name: "10000-50000", Min: p(10000), Max: p(50000)},
		{Name: "50000-100000", Min: p(50000), Max: p(100000)},
		{Name: "100000+", Min: p(100000)},
	}
}

// Search runs q. Text is matched word by word: every word must match in the title, tags,
// brand or description, tolerating typos (edit distance 1 for words of 4-7 characters, 2 for
// longer ones) and, for the last word, a prefix (search as you type); the whole text also
// matches a variant SKU exactly. When no product matches every word, Search falls back to
// products matching any word. Filters narrow the result without changing scores. Invalid
// queries return an EInvalid *commerce.Error.
//
// Results are cached until the index next changes (see resultCache), so a popular query
// costs one search per change of the catalog rather than one per shopper. The Result
// returned is the caller's own.
func (ix *Index) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.normalize(); err != nil {
		return Result{}, err
	}
	return ix.cache.do(ctx, ix.gen.Load(), q.key(), func() (Result, error) { return ix.searchNow(ctx, q) })
}

// searchNow runs a normalized query against the index.
func (ix *Index) searchNow(ctx context.Context, q Query) (Result, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ix.usableLocked(); err != nil {
		return Result{}, err
	}

	words := ix.queryWords(q.Text)
	filter := q.filter()
	res, err := ix.search(ctx, q, textQuery(q.Text, words, true), filter)
	if err != nil {
		return Result{}, err
	}
	if res.Total == 0 && len(words) > 1 {
		res, err = ix.search(ctx, q, textQuery(q.Text, words, false), filter)
		if err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

func (q *Query) normalize() error {
	var v commerce.Validator
	q.Text = strings.TrimSpace(q.Text)
	v.Check(len(q.Text) <= MaxTextLen, "text", fmt.Sprintf("must be at most %d bytes", MaxTextLen))
	v.Check(utf8.ValidString(q.Text), "text", "must be valid UTF-8")
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	_, ok := sortOrders[q.Sort]
	v.Check(ok, "sort", "must be one of relevance, price, -price, newest, rating")
	v.Check(q.Offset >= 0, "offset", "must not be negative")
	v.Check(q.Limit >= 0, "limit", "must not be negative")
	if q.MinPrice != nil && q.MaxPrice != nil {
		v.Check(*q.MinPrice <= *q.MaxPrice, "min_price", "must not exceed max_price")
	}
	q.Limit = commerce.Page{Limit: q.Limit}.Normalize().Limit
	v.Check(q.Offset <= MaxResultSpan-q.Limit, "offset", fmt.Sprintf("offset+limit must be at most %d", MaxResultSpan))
	if q.Status == "" {
		q.Status = catalog.StatusActive
	}
	return v.Err()
}

var sortOrders = map[string][]string{
	SortRelevance: {"-_score", "-" + fieldCreatedAt, "_id"},
	SortPrice:     {fieldPrice, "-_score", "_id"},
	SortPriceDesc: {"-" + fieldPrice, "-_score", "_id"},
	SortNewest:    {"-" + fieldCreatedAt, "_id"},
	SortRating:    {"-" + fieldRating, "-_score", "_id"},
}

// queryWord is one word of the query text: raw is what the shopper typed (lower-cased), used
// for the fuzziness and the prefix; stop words are dropped.
type queryWord struct{ raw string }

func (ix *Index) queryWords(text string) []queryWord {
	if text == "" {
		return nil
	}
	an := ix.bi.Mapping().AnalyzerNamed(textAnalyzer)
	var words []queryWord
	for _, tok := range unicode.NewUnicodeTokenizer().Tokenize([]byte(text)) {
		raw := strings.ToLower(string(tok.Term))
		if an != nil && len(an.Analyze([]byte(raw))) == 0 {
			continue // a stop word: it would match nothing or everything
		}
		words = append(words, queryWord{raw: raw})
		if len(words) == MaxTextTerms {
			break
		}
	}
	return words
}

// fuzziness is the edit distance tolerated for a word of the given length.
func fuzziness(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// textQuery matches the words (all of them when all is set, else any) or the whole text as
// a SKU. It returns nil when text is empty.
func textQuery(text string, words []queryWord, all bool) query.Query {
	if text == "" {
		return nil
	}
	sku := query.NewTermQuery(text)
	sku.SetField(fieldSKU)
	sku.SetBoost(boostSKU)
	if len(words) == 0 {
		return sku
	}
	per := make([]query.Query, 0, len(words))
	for i, w := range words {
		var alts []query.Query
		for _, f := range []struct {
			field string
			boost float64
		}{
			{fieldTitle, boostTitle},
			{fieldTags, boostTags},
			{fieldBrand, boostBrand},
			{fieldDescription, boostDescription},
		} {
			m := query.NewMatchQuery(w.raw)
			m.SetField(f.field)
			m.SetFuzziness(fuzziness(w.raw))
			m.SetBoost(f.boost)
			alts = append(alts, m)
		}
		if i == len(words)-1 && utf8.RuneCountInString(w.raw) >= 2 {
			// Search as you type: the last word may be unfinished. The prefix is matched
			// against indexed (singular, lower-case) terms, in the short fields only.
			for _, f := range []struct {
				field string
				boost float64
			}{
				{fieldTitle, boostTitle},
				{fieldTags, boostTags},
				{fieldBrand, boostBrand},
			} {
				p := query.NewPrefixQuery(w.raw)
				p.SetField(f.field)
				p.SetBoost(f.boost / 2)
				alts = append(alts, p)
			}
		}
		per = append(per, query.NewDisjunctionQuery(alts))
	}
	var words0 query.Query
	if all {
		words0 = query.NewConjunctionQuery(per)
	} else {
		words0 = query.NewDisjunctionQuery(per)
	}
	return query.NewDisjunctionQuery([]query.Query{words0, sku})
}

// filter returns the non-scoring restrictions of q, or nil.
func (q Query) filter() query.Query {
	var fs []query.Query
	term := func(field, value string) {
		t := query.NewTermQuery(value)
		t.SetField(field)
		fs = append(fs, t)
	}
	if q.Status != StatusAny {
		term(fieldStatus, q.Status)
	}
	if q.Category != "" {
		term(fieldCategory, q.Category)
	}
	if q.Brand != "" {
		term(fieldBrandKW, q.Brand)
	}
	if q.MinPrice != nil || q.MaxPrice != nil {
		incl := true
		r := query.NewNumericRangeInclusiveQuery(toFloat(q.MinPrice), toFloat(q.MaxPrice), &incl, &incl)
		r.SetField(fieldPrice)
		fs = append(fs, r)
	}
	if q.InStock != nil {
		b := query.NewBoolFieldQuery(*q.InStock)
		b.SetField(fieldInStock)
		fs = append(fs, b)
	}
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return query.NewConjunctionQuery(fs)
}

func (ix *Index) search(ctx context.Context, q Query, text, filter query.Query) (Result, error) {
	var top query.Query
	switch {
	case text == nil && filter == nil:
		top = query.NewMatchAllQuery()
	case filter == nil:
		top = text
	default:
		bq := query.NewBooleanQuery(nil, nil, nil)
		if text != nil {
			bq.AddMust(text)
		}
		bq.AddFilter(filter)
		top = bq
	}
	req := bleve.NewSearchRequestOptions(top, q.Limit, q.Offset, false)
	req.SortBy(sortOrders[q.Sort])
	if q.Facets {
		req.AddFacet(FacetCategory, bleve.NewFacetRequest(fieldCategory, facetSize))
		req.AddFacet(FacetBrand, bleve.NewFacetRequest(fieldBrandKW, facetSize))
		req.AddFacet(FacetInStock, bleve.NewFacetRequest(fieldInStock, 2))
		pr := bleve.NewFacetRequest(fieldPrice, len(PriceRanges()))
		for _, r := range PriceRanges() {
			pr.AddNumericRange(r.Name, toFloat(r.Min), toFloat(r.Max))
		}
		req.AddFacet(FacetPrice, pr)
	}
	sr, err := ix.bi.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return Result{}, fmt.Errorf("index: search: %w", err)
	}
	res := Result{Total: sr.Total, Hits: make([]Hit, 0, len(sr.Hits))}
	for _, h := range sr.Hits {
		res.Hits = append(res.Hits, Hit{ID: h.ID, Score: h.Score})
	}
	if q.Facets {
		res.Facets = facets(sr.Facets)
	}
	return res, nil
}

func facets(fr search.FacetResults) map[string][]FacetCount {
	out := make(map[string][]FacetCount, 4)
	for _, name := range []string{FacetCategory, FacetBrand, FacetInStock} {
		counts := []FacetCount{}
		if f := fr[name]; f != nil {
			for _, t := range f.Terms.Terms() {
				term := t.Term
				if name == FacetInStock {
					// Bleve indexes booleans as "T" and "F".
					term = map[string]string{"T": "true", "F": "false"}[term]
				}
				counts = append(counts, FacetCount{Term: term, Count: t.Count})
			}
		}
		out[name] = counts
	}
	byName := map[string]int{}
	if f := fr[FacetPrice]; f != nil {
		for _, r := range f.NumericRanges {
			byName[r.Name] = r.Count
		}
	}
	prices := []FacetCount{}
	for _, r := range PriceRanges() {
		if c := byName[r.Name]; c > 0 {
			prices = append(prices, FacetCount{Term: r.Name, Count: c})
		}
	}
	out[FacetPrice] = prices
	return out
}

func toFloat(v *int64) *float64 {
	if v == nil {
		return nil
	}
	f := float64(*v)
	return &f
}
