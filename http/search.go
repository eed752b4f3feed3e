package http

import (
	stdhttp "net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/index"
)

// searchResponse is one page of search results: current products from the store in the
// index's order, the number of matches on all pages and facet counts.
type searchResponse struct {
	Items  []catalog.Product       `json:"items"`
	Total  uint64                  `json:"total"`
	Facets map[string][]facetCount `json:"facets"`
}

type facetCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// searchSorts maps the sort parameter to the index's orders.
var searchSorts = map[string]string{
	"":                    index.SortRelevance,
	index.SortRelevance:   index.SortRelevance,
	catalog.SortNewest:    index.SortNewest,
	catalog.SortPriceAsc:  index.SortPrice,
	catalog.SortPriceDesc: index.SortPriceDesc,
	index.SortPrice:       index.SortPrice,
	index.SortPriceDesc:   index.SortPriceDesc,
	index.SortRating:      index.SortRating,
}

func (s *Server) searchRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/products/search", Tag: "catalog", Summary: "Full-text product search with filters and facets",
		Description: "Words match titles, tags, brands and descriptions with typo tolerance; the last word may be a prefix; the whole query also matches a SKU. " +
			"Facets count matches by category_id (every ancestor too), brand, in_stock and price range.",
		OptionalAuth: true, Response: searchResponse{},
		Query: []Param{
			{Name: "q", Type: "string", Description: "search text; empty matches every product"},
			{Name: "category", Type: "string", Description: "category ID or slug; sub-categories are included"},
			{Name: "brand", Type: "string", Description: "exact brand"},
			{Name: "min_price", Type: "integer", Description: "lowest price in minor units"},
			{Name: "max_price", Type: "integer", Description: "highest price in minor units"},
			{Name: "in_stock", Type: "boolean", Description: "only products with (true) or without (false) stock"},
			{Name: "sort", Type: "string", Description: "relevance (default), newest, price_asc, price_desc or rating"},
			{Name: "status", Type: "string", Description: "staff only: draft, archived or any (default active)"},
			{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
			{Name: "offset", Type: "integer", Description: "matches to skip (offset+limit at most 10000)"},
		},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusForbidden, stdhttp.StatusServiceUnavailable},
		Handler: s.searchProducts})
}

// searchCache keeps whole search responses of the current index generation. An answer is
// then exactly as current as the index it comes from (stock included: order events re-index
// their products, which starts a new generation), the freshness the search route promises,
// and a popular query costs a map lookup.
type searchCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string][]byte
}

const maxCachedSearches = 1024

func (sc *searchCache) get(gen uint64, key string) ([]byte, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.gen != gen {
		return nil, false
	}
	b, ok := sc.m[key]
	return b, ok
}

// put keeps body for key, made from generation gen, unless the index has moved on.
func (sc *searchCache) put(gen, now uint64, key string, body []byte) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if gen != now || gen < sc.gen {
		return
	}
	if gen > sc.gen || sc.m == nil || len(sc.m) >= maxCachedSearches {
		sc.gen, sc.m = gen, map[string][]byte{}
	}
	sc.m[key] = body
}

func (s *Server) searchProducts(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	if s.deps.Search == nil {
		return unavailable("search")
	}
	staff := staffOf(c)
	gen := s.deps.Search.Generation()
	key := c.QueryParams().Encode()
	if staff {
		key += "&staff"
	}
	if body, ok := s.search.get(gen, key); ok {
		return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
	}
	body, err := s.searchBody(c, staff)
	if err != nil {
		return err
	}
	s.search.put(gen, s.deps.Search.Generation(), key, body)
	return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
}

// searchBody runs the search of the request and returns the response body.
func (s *Server) searchBody(c echo.Context, staff bool) ([]byte, error) {
	ctx := c.Request().Context()
	var v commerce.Validator
	q := index.Query{
		Text:     c.QueryParam("q"),
		Brand:    c.QueryParam("brand"),
		MinPrice: queryInt64(c, &v, "min_price"),
		MaxPrice: queryInt64(c, &v, "max_price"),
		InStock:  queryBool(c, &v, "in_stock"),
		Limit:    queryInt(c, &v, "limit"),
		Offset:   queryInt(c, &v, "offset"),
		Facets:   true,
	}
	sort, ok := searchSorts[c.QueryParam("sort")]
	v.Check(ok, "sort", "must be one of relevance, newest, price_asc, price_desc, rating")
	q.Sort = sort
	switch st := c.QueryParam("status"); st {
	case "":
	case catalog.StatusActive, catalog.StatusDraft, catalog.StatusArchived, catalog.StatusAny:
		q.Status = st
		if st == catalog.StatusAny {
			q.Status = index.StatusAny
		}
	default:
		v.Add("status", "must be one of active, draft, archived, any")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !staff && q.Status != "" && q.Status != catalog.StatusActive {
		return nil, catalog.ErrStatusForbidden
	}
	if ref := c.QueryParam("category"); ref != "" {
		cat, err := s.deps.Catalog.Category(ctx, ref)
		if err != nil {
			return nil, err
		}
		q.Category = cat.ID
	}
	res, err := s.deps.Search.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	items, err := s.deps.Catalog.ProductDocumentsByID(ctx, ids, staff)
	if err != nil {
		return nil, err
	}
	facets := make(map[string][]facetCount, len(res.Facets))
	for name, counts := range res.Facets {
		fc := make([]facetCount, len(counts))
		for i, f := range counts {
			fc[i] = facetCount{Term: f.Term, Count: f.Count}
		}
		facets[name] = fc
	}
	total, err := member("total", res.Total)
	if err != nil {
		return nil, err
	}
	fm, err := member("facets", facets)
	if err != nil {
		return nil, err
	}
	return documentsBody(items, total, fm), nil // the searchResponse shape
}
