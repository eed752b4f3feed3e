package index

import (
	"context"
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// This file answers searches from the docTable columns: facet counts over the documents a
// Bleve query matches (read from the columns rather than by Bleve's facet builders, which
// decode every matching document's doc values, several µs each), and whole searches without
// text (filters, a sort and facets need no scoring).

// priceBounds are PriceRanges as [min, max) pairs; max -1 is unbounded.
var priceBounds = func() [][2]int64 {
	var out [][2]int64
	for _, r := range PriceRanges() {
		b := [2]int64{0, -1}
		if r.Min != nil {
			b[0] = *r.Min
		}
		if r.Max != nil {
			b[1] = *r.Max
		}
		out = append(out, b)
	}
	return out
}()

// facetCounts counts the facets of matching rows of one table.
type facetCounts struct {
	t                     *docTable
	cats, brands, vendors []int32 // by term
	inStock               [2]int  // false, true
	price                 []int   // by PriceRanges index
	rating                []int   // by ratingBuckets index
}

func newFacetCounts(t *docTable) *facetCounts {
	n := len(t.names)
	return &facetCounts{t: t, cats: make([]int32, n), brands: make([]int32, n), vendors: make([]int32, n),
		price: make([]int, len(priceBounds)), rating: make([]int, len(ratingBuckets))}
}

func (f *facetCounts) add(r *docRow) {
	for _, c := range r.cats {
		f.cats[c]++
	}
	if r.brand != noTerm {
		f.brands[r.brand]++
	}
	if r.vendor != noTerm {
		f.vendors[r.vendor]++
	}
	if r.inStock {
		f.inStock[1]++
	} else {
		f.inStock[0]++
	}
	if r.hasPrice {
		for i, b := range priceBounds {
			if r.price >= b[0] && (b[1] < 0 || r.price < b[1]) {
				f.price[i]++
			}
		}
	}
	for i, n := range ratingBuckets {
		if r.rating >= float64(n) {
			f.rating[i]++
		}
	}
}

// result returns the counts as Search reports them: terms most frequent first (ties by
// term), at most facetSize; ranges in their own order, empty ones left out.
func (f *facetCounts) result() map[string][]FacetCount {
	terms := func(counts []int32) []FacetCount {
		out := []FacetCount{}
		for n, c := range counts {
			if c > 0 {
				out = append(out, FacetCount{Term: f.t.names[n], Count: int(c)})
			}
		}
		sortFacetTerms(out)
		if len(out) > facetSize {
			out = out[:facetSize]
		}
		return out
	}
	out := map[string][]FacetCount{
		FacetCategory: terms(f.cats),
		FacetBrand:    terms(f.brands),
		FacetVendor:   terms(f.vendors),
	}
	// Bleve's order of its "F" and "T" terms.
	stock := []FacetCount{}
	for _, s := range []struct {
		raw, term string
		n         int
	}{{"F", "false", f.inStock[0]}, {"T", "true", f.inStock[1]}} {
		if s.n > 0 {
			stock = append(stock, FacetCount{Term: s.raw, Count: s.n})
		}
	}
	sortFacetTerms(stock)
	for i := range stock {
		stock[i].Term = map[string]string{"T": "true", "F": "false"}[stock[i].Term]
	}
	out[FacetInStock] = stock
	prices := []FacetCount{}
	for i, r := range PriceRanges() {
		if f.price[i] > 0 {
			prices = append(prices, FacetCount{Term: r.Name, Count: f.price[i]})
		}
	}
	out[FacetPrice] = prices
	ratings := []FacetCount{}
	for i, n := range ratingBuckets {
		if f.rating[i] > 0 {
			ratings = append(ratings, FacetCount{Term: strconv.Itoa(n), Count: f.rating[i]})
		}
	}
	out[FacetRating] = ratings
	return out
}

func sortFacetTerms(fs []FacetCount) {
	slices.SortFunc(fs, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		switch {
		case a.Term < b.Term:
			return -1
		case a.Term > b.Term:
			return 1
		}
		return 0
	})
}

// textHit is a match of a Bleve query: its row, its score and its place in index order.
type textHit struct {
	row   int32
	score float64
	n     int
}

// collectQuery is a Bleve query that matches what inner matches and sees every match: it
// filters it, counts the facets and keeps the first hits under the query's sort, all from
// the columns. Bleve then only matches and scores (no doc values read per hit).
type collectQuery struct {
	inner  query.Query
	t      *docTable
	filter rowFilter
	f      *facetCounts // nil: no facets
	top    topK[textHit]
	seen   int // matches, in index order
	total  int // matches the filter keeps
}

func newCollectQuery(t *docTable, inner query.Query, q Query) *collectQuery {
	c := &collectQuery{inner: inner, t: t, filter: newRowFilter(t, q)}
	if q.Facets {
		c.f = newFacetCounts(t)
	}
	row := func(h textHit) *docRow { return &t.rows[h.row] }
	sort := q.Sort
	// Bleve's orders (sortOrders): the column, then the score (but for newest), then index
	// order.
	c.top = topK[textHit]{k: q.Offset + q.Limit, before: func(a, b textHit) bool {
		if sort != SortRelevance {
			if c := compareRows(sort, row(a), row(b)); c != 0 {
				return c < 0
			}
		}
		if sort != SortNewest && a.score != b.score {
			return a.score > b.score
		}
		return a.n < b.n
	}}
	return c
}

// hits returns the page of hits from offset.
func (c *collectQuery) hits(offset int) []Hit {
	top := c.top.sorted()
	out := make([]Hit, 0, max(0, len(top)-offset))
	for _, h := range top[min(offset, len(top)):] {
		out = append(out, Hit{ID: c.t.rows[h.row].id, Score: h.score})
	}
	return out
}

func (c *collectQuery) Searcher(ctx context.Context, r bleveindex.IndexReader, m mapping.IndexMapping, o search.SearcherOptions) (search.Searcher, error) {
	s, err := c.inner.Searcher(ctx, r, m, o)
	if err != nil {
		return nil, err
	}
	return &collectSearcher{Searcher: s, r: r, c: c}, nil
}

type collectSearcher struct {
	search.Searcher
	r bleveindex.IndexReader
	c *collectQuery
}

func (s *collectSearcher) see(dm *search.DocumentMatch) {
	if dm == nil {
		return
	}
	id, err := s.r.ExternalID(dm.IndexInternalID)
	if err != nil {
		return
	}
	c := s.c
	c.seen++
	n, ok := c.t.slots[id]
	if !ok || c.filter.none || !c.filter.match(&c.t.rows[n]) {
		return // a document without columns cannot be filtered (not while they are in step)
	}
	c.total++
	if c.f != nil {
		c.f.add(&c.t.rows[n])
	}
	c.top.offer(textHit{row: n, score: dm.Score, n: c.seen})
}

func (s *collectSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	s.see(dm)
	return dm, err
}

func (s *collectSearcher) Advance(ctx *search.SearchContext, id bleveindex.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	s.see(dm)
	return dm, err
}

// rowFilter is Query.filter over the columns.
type rowFilter struct {
	none      bool // a filter names a value no document has
	status    int32
	anyStatus bool
	cat       int32
	brands    []int32
	tags      []int32
	vendor    int32
	vendorID  int32
	q         Query
}

func newRowFilter(t *docTable, q Query) rowFilter {
	f := rowFilter{status: noTerm, cat: noTerm, vendor: noTerm, vendorID: noTerm, q: q, anyStatus: q.Status == StatusAny}
	need := func(s string) int32 {
		n := t.lookup(s)
		if n == noTerm {
			f.none = true
		}
		return n
	}
	if !f.anyStatus {
		f.status = need(q.Status)
	}
	if q.Category != "" {
		f.cat = need(q.Category)
	}
	if q.Vendor != "" {
		f.vendor = need(q.Vendor)
	}
	if q.VendorID != "" {
		f.vendorID = need(q.VendorID)
	}
	for _, tag := range q.Tags {
		f.tags = append(f.tags, need(tag))
	}
	if len(q.Brands) > 0 {
		for _, b := range q.Brands {
			if n := t.lookup(b); n != noTerm {
				f.brands = append(f.brands, n)
			}
		}
		if len(f.brands) == 0 {
			f.none = true
		}
	}
	return f
}

func (f *rowFilter) match(r *docRow) bool {
	q := &f.q
	switch {
	case !r.live:
		return false
	case !f.anyStatus && r.status != f.status:
		return false
	case f.cat != noTerm && !slices.Contains(r.cats, f.cat):
		return false
	case len(f.brands) > 0 && !slices.Contains(f.brands, r.brand):
		return false
	case f.vendor != noTerm && r.vendor != f.vendor:
		return false
	case f.vendorID != noTerm && r.vendorID != f.vendorID:
		return false
	case q.InStock != nil && r.inStock != *q.InStock:
		return false
	case q.RatingMin != nil && *q.RatingMin > 0 && !(r.rating >= *q.RatingMin):
		return false
	}
	if q.MinPrice != nil || q.MaxPrice != nil {
		if !r.hasPrice || (q.MinPrice != nil && r.price < *q.MinPrice) || (q.MaxPrice != nil && r.price > *q.MaxPrice) {
			return false
		}
	}
	for _, tag := range f.tags {
		if !slices.Contains(r.tags, tag) {
			return false
		}
	}
	return true
}

// compareRows compares rows a and b by the column of sort: negative when a comes first. 0
// for relevance, and for equal values; callers break ties.
func compareRows(sort string, a, b *docRow) int {
	switch sort {
	case SortPrice, SortPriceDesc:
		if a.hasPrice != b.hasPrice {
			return boolFirst(a.hasPrice) // a product without a price comes last
		}
		c := cmpInt(a.price, b.price)
		if sort == SortPriceDesc {
			c = -c
		}
		return c
	case SortNewest:
		if a.hasDate != b.hasDate {
			return boolFirst(a.hasDate)
		}
		return -cmpInt(a.created, b.created)
	case SortRating:
		switch {
		case a.rating > b.rating:
			return -1
		case a.rating < b.rating:
			return 1
		}
	}
	return 0
}

func boolFirst(a bool) int {
	if a {
		return -1
	}
	return 1
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// searchColumns answers a search without text from the columns: every row the filters
// keep, in the sort's order (relevance: indexing order, as every product scores alike).
func searchColumns(t *docTable, q Query) Result {
	f := newRowFilter(t, q)
	var fc *facetCounts
	if q.Facets {
		fc = newFacetCounts(t)
	}
	res := Result{Hits: []Hit{}}
	if !f.none {
		// Every product scores alike: ties in table order (the order products were indexed
		// in, like Bleve's ties).
		top := topK[int32]{k: q.Offset + q.Limit, before: func(a, b int32) bool {
			if c := compareRows(q.Sort, &t.rows[a], &t.rows[b]); c != 0 {
				return c < 0
			}
			return a < b
		}}
		for i := range t.rows {
			r := &t.rows[i]
			if !f.match(r) {
				continue
			}
			res.Total++
			if fc != nil {
				fc.add(r)
			}
			top.offer(int32(i))
		}
		for _, n := range top.sorted()[min(q.Offset, len(top.h)):] {
			res.Hits = append(res.Hits, Hit{ID: t.rows[n].id, Score: 1})
		}
	}
	if fc != nil {
		res.Facets = fc.result()
	}
	return res
}

// topK keeps the k first values offered under before.
type topK[T any] struct {
	k      int
	before func(a, b T) bool
	h      []T // a heap whose root is the last of the kept values
}

func (t *topK[T]) offer(n T) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, n)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.before(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !t.before(n, t.h[0]) {
		return
	}
	t.h[0] = n
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && t.before(t.h[m], t.h[l]) {
			m = l
		}
		if r < len(t.h) && t.before(t.h[m], t.h[r]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// sorted returns the kept values in order.
func (t *topK[T]) sorted() []T {
	slices.SortFunc(t.h, func(a, b T) int {
		switch {
		case t.before(a, b):
			return -1
		case t.before(b, a):
			return 1
		}
		return 0
	})
	return t.h
}
