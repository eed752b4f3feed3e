package index

import (
	"context"
	"fmt"
	"slices"
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
	MaxFilterTerm = 32    // values of a multi-valued filter (brands, tags)
	facetSize     = 50    // terms per terms facet
)

// Field boosts at query time: a word in the title counts most, then tags, then the brand and
// category names, then vendor, attributes and the description. Translated titles weigh like
// the title.
var textFields = []struct {
	field  string
	boost  float64
	prefix bool // the last word also matches as a prefix (short fields only)
}{
	{fieldTitle, 3.0, true},
	{fieldTags, 2.0, true},
	{fieldBrand, 1.6, true},
	{fieldCatNames, 1.4, false},
	{fieldVendor, 1.2, false},
	{fieldAttributes, 1.1, false},
	{fieldDescription, 1.0, false},
	{titleField("ru"), 3.0, true},
	{descriptionField("ru"), 1.0, false},
	{titleField("uz"), 3.0, true},
	{descriptionField("uz"), 1.0, false},
}

const (
	boostSKU     = 5.0
	boostSynonym = 0.8 // a synonym counts a little less than the word typed
)

// Query is a product search.
type Query struct {
	Text     string   // free text; empty matches every product
	Category string   // category ID; products of its sub-categories match too (documents hold the whole category path)
	Brands   []string // exact brands, as written on the product; a product with any of them matches
	Vendor   string   // exact vendor name (Product.Vendor)
	VendorID string   // marketplace vendor (Product.VendorID)
	Tags     []string // exact tags; a product must have every one
	MinPrice *int64   // inclusive, minor units
	MaxPrice *int64   // inclusive, minor units
	InStock  *bool
	// RatingMin keeps products rated at least this (0-5); nil means any rating.
	RatingMin *float64
	// Status filters on product status: "" means catalog.StatusActive (what shoppers may see),
	// StatusAny means every status.
	Status string
	Sort   string // one of the Sort constants; "" means SortRelevance
	Limit  int    // 0 means commerce.DefaultPageLimit; capped at commerce.MaxPageLimit
	Offset int
	Facets bool // compute Result.Facets
	// Highlight fills Hit.Highlights with the title and a description fragment, matched
	// words wrapped in <mark> (the rest HTML-escaped). Ignored without Text.
	Highlight bool
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
	// Highlights holds, when Query.Highlight was set, "title" and "description" as HTML:
	// matched words in <mark>, everything else escaped; the description is a fragment around
	// the first match. A field without a match is left out.
	Highlights map[string]string
}

// FacetCount is the number of matching products with one facet value.
type FacetCount struct {
	Term  string
	Name  string // the category's name (category facet only)
	Count int
}

// Facet names in Result.Facets.
const (
	FacetCategory = "category_id"
	FacetBrand    = "brand"
	FacetVendor   = "vendor"
	FacetInStock  = "in_stock" // terms "true" and "false"
	FacetPrice    = "price"    // terms are PriceRange names, in PriceRanges order
	FacetRating   = "rating"   // terms "4", "3", "2", "1": rated at least that many stars
)

// FacetNames lists the facets of a Result in display order.
var FacetNames = []string{FacetCategory, FacetBrand, FacetVendor, FacetPrice, FacetInStock, FacetRating}

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

// ratingBuckets are the rating facet's terms: "n" counts products rated n stars or more.
var ratingBuckets = []int{4, 3, 2, 1}

// Search runs q. Text is matched word by word: every word must match in a text field (title,
// tags, brand, category names, vendor, attributes, description, translated title and
// description), tolerating typos (no edit for words of up to 3 characters, 1 for 4-7, 2 for
// longer ones) and, for the last word, a prefix (search as you type); a word with synonyms
// (SetSynonyms) matches them too; the whole text also matches a variant SKU exactly. Words
// are stemmed per language, so plurals find singulars. When no product matches every word,
// Search falls back to products matching any word. Filters narrow the result without
// changing scores. Invalid queries return an EInvalid *commerce.Error.
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

	// The columns, once filled, count facets and answer searches without text.
	tbl := ix.docs.Load()
	tbl.mu.RLock()
	defer tbl.mu.RUnlock()
	if !tbl.ready {
		tbl = nil
	}
	words := ix.queryWords(q.Text)
	syn := ix.synonyms.Load()
	var res Result
	if tbl != nil && q.Text == "" {
		res = searchColumns(tbl, q)
	} else {
		filter := q.filter()
		var err error
		res, err = ix.search(ctx, q, tbl, textQuery(q.Text, words, syn, true), filter)
		if err != nil {
			return Result{}, err
		}
		if res.Total == 0 && len(words) > 1 {
			res, err = ix.search(ctx, q, tbl, textQuery(q.Text, words, syn, false), filter)
			if err != nil {
				return Result{}, err
			}
		}
	}
	if q.Facets {
		names := ix.categoryNames()
		for i, f := range res.Facets[FacetCategory] {
			if n := names[f.Term]; n != "" {
				res.Facets[FacetCategory][i].Name = n
			}
		}
	}
	if q.Highlight && len(words) > 0 && len(res.Hits) > 0 {
		ix.highlight(ctx, res.Hits, words, syn)
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
	if q.RatingMin != nil {
		v.Check(*q.RatingMin >= 0 && *q.RatingMin <= 5, "rating_min", "must be between 0 and 5")
	}
	v.Check(len(q.Brands) <= MaxFilterTerm, "brand", fmt.Sprintf("must name at most %d brands", MaxFilterTerm))
	v.Check(len(q.Tags) <= MaxFilterTerm, "tags", fmt.Sprintf("must name at most %d tags", MaxFilterTerm))
	q.Brands = sortedSet(q.Brands)
	q.Tags = sortedSet(q.Tags)
	q.Limit = commerce.Page{Limit: q.Limit}.Normalize().Limit
	v.Check(q.Offset <= MaxResultSpan-q.Limit, "offset", fmt.Sprintf("offset+limit must be at most %d", MaxResultSpan))
	if q.Status == "" {
		q.Status = catalog.StatusActive
	}
	if q.Text == "" {
		q.Highlight = false
	}
	return v.Err()
}

// sortedSet returns the distinct non-empty values of ss in order (so equal filters share a
// cache entry).
func sortedSet(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sortOrders are Bleve sort orders. Ties are left in index order rather than broken by ID or
// date: a tie-breaker is read from doc values for every hit, which doubled the cost of broad
// queries at 100k products.
var sortOrders = map[string][]string{
	SortRelevance: {"-_score"},
	SortPrice:     {fieldPrice, "-_score"},
	SortPriceDesc: {"-" + fieldPrice, "-_score"},
	SortNewest:    {"-" + fieldCreatedAt},
	SortRating:    {"-" + fieldRating, "-_score"},
}

// queryWord is one word of the query text: raw is what the shopper typed (lower-cased), used
// for the fuzziness and the prefix; stem is its English analysis (synonym lookup,
// highlighting). Stop words (English or Russian) are dropped.
type queryWord struct{ raw, stem string }

func (ix *Index) queryWords(text string) []queryWord {
	if text == "" {
		return nil
	}
	m := ix.bi.Mapping()
	enA, ruA := m.AnalyzerNamed(enAnalyzer), m.AnalyzerNamed(ruAnalyzer)
	var words []queryWord
	for _, tok := range unicode.NewUnicodeTokenizer().Tokenize([]byte(text)) {
		raw := strings.ToLower(string(tok.Term))
		w := queryWord{raw: raw, stem: raw}
		if enA != nil {
			ts := enA.Analyze([]byte(raw))
			if len(ts) == 0 {
				continue // an English stop word: it would match nothing or everything
			}
			w.stem = string(ts[0].Term)
		}
		if ruA != nil && len(ruA.Analyze([]byte(raw))) == 0 {
			continue // a Russian stop word
		}
		words = append(words, w)
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
func textQuery(text string, words []queryWord, syn *synonymSet, all bool) query.Query {
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
		alts := wordQueries(w.raw, fuzziness(w.raw), 1, i == len(words)-1)
		for _, phrase := range syn.of(w.stem) {
			// A synonym may be several words: all of them must match, exactly (a typo in
			// the typed word does not carry over to its synonyms).
			var parts []query.Query
			for _, sw := range phrase {
				parts = append(parts, query.NewDisjunctionQuery(wordQueries(sw, 0, boostSynonym, false)))
			}
			if len(parts) == 1 {
				alts = append(alts, parts[0])
			} else if len(parts) > 1 {
				alts = append(alts, query.NewConjunctionQuery(parts))
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

// wordQueries returns the per-field alternatives of one word: a match in each text field
// (analyzed by the field's analyzer, with the given fuzziness), and, when prefix is set and
// the word has at least two characters, a prefix match in the short fields.
func wordQueries(word string, fuzz int, boost float64, prefix bool) []query.Query {
	alts := make([]query.Query, 0, len(textFields)+4)
	for _, f := range textFields {
		m := query.NewMatchQuery(word)
		m.SetField(f.field)
		m.SetFuzziness(fuzz)
		m.SetBoost(f.boost * boost)
		alts = append(alts, m)
	}
	if prefix && utf8.RuneCountInString(word) >= 2 {
		// Search as you type: the last word may be unfinished. The prefix is matched
		// against indexed (stemmed, lower-case) terms, in the short fields only.
		for _, f := range textFields {
			if !f.prefix {
				continue
			}
			p := query.NewPrefixQuery(word)
			p.SetField(f.field)
			p.SetBoost(f.boost * boost / 2)
			alts = append(alts, p)
		}
	}
	return alts
}

// filter returns the non-scoring restrictions of q, or nil.
func (q Query) filter() query.Query {
	var fs []query.Query
	term := func(field, value string) *query.TermQuery {
		t := query.NewTermQuery(value)
		t.SetField(field)
		return t
	}
	if q.Status != StatusAny {
		fs = append(fs, term(fieldStatus, q.Status))
	}
	if q.Category != "" {
		fs = append(fs, term(fieldCategory, q.Category))
	}
	switch len(q.Brands) {
	case 0:
	case 1:
		fs = append(fs, term(fieldBrandKW, q.Brands[0]))
	default:
		var anyOf []query.Query
		for _, b := range q.Brands {
			anyOf = append(anyOf, term(fieldBrandKW, b))
		}
		fs = append(fs, query.NewDisjunctionQuery(anyOf))
	}
	for _, t := range q.Tags {
		fs = append(fs, term(fieldTagsKW, t))
	}
	if q.Vendor != "" {
		fs = append(fs, term(fieldVendorKW, q.Vendor))
	}
	if q.VendorID != "" {
		fs = append(fs, term(fieldVendorID, q.VendorID))
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
	if q.RatingMin != nil && *q.RatingMin > 0 {
		incl := true
		r := query.NewNumericRangeInclusiveQuery(q.RatingMin, nil, &incl, nil)
		r.SetField(fieldRating)
		fs = append(fs, r)
	}
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return query.NewConjunctionQuery(fs)
}

// search runs text and filter through Bleve. With tbl (the filled columns) Bleve only
// matches and scores the text, and the columns filter, order the hits and count the facets
// (a filter left to Bleve cost more than the text match at 100k products: status=active
// holds nearly every document).
func (ix *Index) search(ctx context.Context, q Query, tbl *docTable, text, filter query.Query) (Result, error) {
	if tbl != nil && text != nil {
		// Bleve matches and scores the text; the columns filter, sort, page and count facets.
		cq := newCollectQuery(tbl, text, q)
		if _, err := ix.bi.SearchInContext(ctx, bleve.NewSearchRequestOptions(cq, 0, 0, false)); err != nil {
			if ctx.Err() != nil {
				return Result{}, ctx.Err()
			}
			return Result{}, fmt.Errorf("index: search: %w", err)
		}
		res := Result{Total: uint64(cq.total), Hits: cq.hits(q.Offset)}
		if cq.f != nil {
			res.Facets = cq.f.result()
		}
		return res, nil
	}
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
		req.AddFacet(FacetVendor, bleve.NewFacetRequest(fieldVendorKW, facetSize))
		req.AddFacet(FacetInStock, bleve.NewFacetRequest(fieldInStock, 2))
		pr := bleve.NewFacetRequest(fieldPrice, len(PriceRanges()))
		for _, r := range PriceRanges() {
			pr.AddNumericRange(r.Name, toFloat(r.Min), toFloat(r.Max))
		}
		req.AddFacet(FacetPrice, pr)
		rr := bleve.NewFacetRequest(fieldRating, len(ratingBuckets))
		for _, n := range ratingBuckets {
			min := float64(n)
			rr.AddNumericRange(fmt.Sprint(n), &min, nil)
		}
		req.AddFacet(FacetRating, rr)
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
	out := make(map[string][]FacetCount, len(FacetNames))
	for _, name := range []string{FacetCategory, FacetBrand, FacetVendor, FacetInStock} {
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
	ranges := func(name string, order []string) {
		byName := map[string]int{}
		if f := fr[name]; f != nil {
			for _, r := range f.NumericRanges {
				byName[r.Name] = r.Count
			}
		}
		counts := []FacetCount{}
		for _, n := range order {
			if c := byName[n]; c > 0 {
				counts = append(counts, FacetCount{Term: n, Count: c})
			}
		}
		out[name] = counts
	}
	var prices, ratings []string
	for _, r := range PriceRanges() {
		prices = append(prices, r.Name)
	}
	for _, n := range ratingBuckets {
		ratings = append(ratings, fmt.Sprint(n))
	}
	ranges(FacetPrice, prices)
	ranges(FacetRating, ratings)
	return out
}

func toFloat(v *int64) *float64 {
	if v == nil {
		return nil
	}
	f := float64(*v)
	return &f
}
