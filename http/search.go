package http

import (
	"encoding/json"
	stdhttp "net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/index"
)

// searchResponse is one page of search results: current products from the store in the
// index's order, the number of matches on all pages, facet counts and highlighted snippets.
type searchResponse struct {
	Items  []catalog.Product       `json:"items"`
	Total  uint64                  `json:"total"`
	Facets map[string][]facetCount `json:"facets"`
	// Highlights maps a product ID to its "title" and "description" as HTML: matched words
	// in <mark>, the rest escaped; the description is a fragment around the first match.
	Highlights map[string]map[string]string `json:"highlights,omitempty"`
}

type facetCount struct {
	Term  string `json:"term"`
	Name  string `json:"name,omitempty"` // the category's name (category_id facet)
	Count int    `json:"count"`
}

// suggestResponse lists autocompletions.
type suggestResponse struct {
	Items []suggestion `json:"items"`
}

type suggestion struct {
	Text string `json:"text"`
	Kind string `json:"kind"`           // product, brand or category
	ID   string `json:"id"`             // product or category ID; the brand for brands
	Slug string `json:"slug,omitempty"` // products only
}

// synonymsRequest replaces the synonym groups set through the API.
type synonymsRequest struct {
	Synonyms []string `json:"synonyms"`
}

// synonymsResponse shows the synonyms in force: those of the configuration (read-only) and
// those set through the API, with their version (also the ETag).
type synonymsResponse struct {
	Synonyms []string `json:"synonyms"`
	Config   []string `json:"config"`
	Version  int64    `json:"version"`
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
	s.handle(Route{Method: "GET", Path: "/api/v1/products/search", Tag: "catalog", Summary: "Full-text product search with filters, facets and highlights",
		Description: "Words match titles, tags, brands, category names, vendors, attributes, descriptions and translated titles and descriptions (en, ru, uz), " +
			"stemmed per language (plurals find singulars) and with typo tolerance scaled by word length (none up to 3 letters, 1 edit for 4-7, 2 from 8); " +
			"the last word may be a prefix; configured and admin-set synonyms expand words; the whole query also matches a SKU. " +
			"Fields weigh title > tags > brand > description. Facets count matches by category_id (every ancestor too, with its name), brand, vendor, " +
			"price range, in_stock and rating (4, 3, 2, 1: at least that many stars). Highlights mark matched words in titles and description fragments.",
		OptionalAuth: true, Response: searchResponse{},
		Query: []Param{
			{Name: "q", Type: "string", Description: "search text; empty matches every product"},
			{Name: "category", Type: "string", Description: "category ID or slug; sub-categories are included"},
			{Name: "brand", Type: "string", Description: "exact brand; repeat for any of several"},
			{Name: "vendor", Type: "string", Description: "exact vendor name"},
			{Name: "vendor_id", Type: "string", Description: "marketplace vendor ID"},
			{Name: "tags", Type: "string", Description: "exact tag; repeat to require several"},
			{Name: "min_price", Type: "integer", Description: "lowest price in minor units"},
			{Name: "max_price", Type: "integer", Description: "highest price in minor units"},
			{Name: "in_stock", Type: "boolean", Description: "only products with (true) or without (false) stock"},
			{Name: "rating_min", Type: "number", Description: "only products rated at least this, 0-5"},
			{Name: "sort", Type: "string", Description: "relevance (default), newest, price_asc, price_desc or rating"},
			{Name: "status", Type: "string", Description: "staff only: draft, archived or any (default active)"},
			{Name: "highlight", Type: "boolean", Description: "highlighted snippets for a text query (default true)"},
			{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
			{Name: "offset", Type: "integer", Description: "matches to skip (offset+limit at most 10000)"},
		},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusForbidden, stdhttp.StatusServiceUnavailable},
		Handler: s.searchProducts})
	s.handle(Route{Method: "GET", Path: "/api/v1/products/search/suggest", Tag: "catalog", Summary: "Autocomplete product titles, brands and categories",
		Description: "Completes what a shopper is typing from an in-memory table (no full-text query): up to two brands and two categories, then active products " +
			"whose titles hold every word, the last one as a prefix; best rated first. One typo in the last word is forgiven when nothing starts with it.",
		Response: suggestResponse{},
		Query: []Param{
			{Name: "q", Type: "string", Description: "what the shopper has typed so far", Required: true},
			{Name: "limit", Type: "integer", Description: "suggestions, 1-20 (default 8)"},
		},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusServiceUnavailable},
		Handler: s.suggest})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/search/synonyms", Tag: "catalog", Summary: "Search synonyms in force",
		Description: "The configured groups (search.synonyms, read-only) and the groups set through the API; the ETag is their version.",
		Perm:        auth.PermCatalogWrite, Response: synonymsResponse{},
		Errors:  []int{stdhttp.StatusServiceUnavailable},
		Handler: s.getSynonyms})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/search/synonyms", Tag: "catalog", Summary: "Replace the synonyms set through the API",
		Description: `Each group is a comma-separated list of equivalent terms ("sofa, couch, settee"); a query word equal to a one-word term also finds ` +
			"the others. Applied to the next searches without a reindex. If-Match with the ETag of GET refuses a concurrent change (412).",
		Perm: auth.PermCatalogWrite, Request: synonymsRequest{}, Response: synonymsResponse{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusPreconditionFailed, stdhttp.StatusServiceUnavailable},
		Handler: s.putSynonyms})
}

// responseCache keeps response bodies of one version of what they are made from (the
// index's products, the suggestion table): a popular answer then costs a map lookup until
// the version moves.
type responseCache struct {
	mu  sync.Mutex
	ver uint64
	m   map[string][]byte
}

const maxCachedResponses = 4096

func (rc *responseCache) get(ver uint64, key string) ([]byte, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.ver != ver {
		return nil, false
	}
	b, ok := rc.m[key]
	return b, ok
}

// put keeps body for key, made from version ver, unless the version has moved on to now.
func (rc *responseCache) put(ver, now uint64, key string, body []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if ver != now || ver < rc.ver {
		return
	}
	if ver > rc.ver || rc.m == nil || len(rc.m) >= maxCachedResponses {
		rc.ver, rc.m = ver, map[string][]byte{}
	}
	rc.m[key] = body
}

func (s *Server) searchProducts(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	if s.deps.Search == nil {
		return unavailable("search")
	}
	// Whole responses are kept until the index applies a change of any product (stock
	// included: the products in the body carry it), so an answer is exactly as current as
	// the index. The index keeps the hits and facets longer: until searches can see a change.
	staff := staffOf(c)
	ver := s.deps.Search.ProductsVersion()
	key := c.QueryParams().Encode()
	if staff {
		key += "&staff"
	}
	if body, ok := s.searches.get(ver, key); ok {
		return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
	}
	body, err := s.searchBody(c, staff)
	if err != nil {
		return err
	}
	s.searches.put(ver, s.deps.Search.ProductsVersion(), key, body)
	return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
}

// searchBody runs the search of the request and returns the response body.
func (s *Server) searchBody(c echo.Context, staff bool) ([]byte, error) {
	ctx := c.Request().Context()
	var v commerce.Validator
	params := c.QueryParams()
	q := index.Query{
		Text:      c.QueryParam("q"),
		Brands:    params["brand"],
		Vendor:    c.QueryParam("vendor"),
		VendorID:  c.QueryParam("vendor_id"),
		Tags:      params["tags"],
		MinPrice:  queryInt64(c, &v, "min_price"),
		MaxPrice:  queryInt64(c, &v, "max_price"),
		InStock:   queryBool(c, &v, "in_stock"),
		RatingMin: queryFloat(c, &v, "rating_min"),
		Limit:     queryInt(c, &v, "limit"),
		Offset:    queryInt(c, &v, "offset"),
		Facets:    true,
		Highlight: true,
	}
	if h := queryBool(c, &v, "highlight"); h != nil {
		q.Highlight = *h
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
	var highlights map[string]map[string]string
	for i, h := range res.Hits {
		ids[i] = h.ID
		if h.Highlights != nil {
			if highlights == nil {
				highlights = map[string]map[string]string{}
			}
			highlights[h.ID] = h.Highlights
		}
	}
	items, err := s.deps.Catalog.ProductDocumentsByID(ctx, ids, staff)
	if err != nil {
		return nil, err
	}
	facets := make(map[string][]facetCount, len(res.Facets))
	for name, counts := range res.Facets {
		fc := make([]facetCount, len(counts))
		for i, f := range counts {
			fc[i] = facetCount{Term: f.Term, Name: f.Name, Count: f.Count}
		}
		facets[name] = fc
	}
	members := make([][]byte, 0, 3)
	for _, m := range []struct {
		name string
		v    any
	}{{"total", res.Total}, {"facets", facets}, {"highlights", highlights}} {
		if m.name == "highlights" && highlights == nil {
			continue
		}
		b, err := member(m.name, m.v)
		if err != nil {
			return nil, err
		}
		members = append(members, b)
	}
	return documentsBody(items, members...), nil // the searchResponse shape
}

// queryFloat reads an optional number query parameter, reporting a bad one to v.
func queryFloat(c echo.Context, v *commerce.Validator, name string) *float64 {
	s := c.QueryParam(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		v.Add(name, "must be a number")
		return nil
	}
	return &f
}

func (s *Server) suggest(c echo.Context) error {
	if s.deps.Search == nil {
		return unavailable("search")
	}
	var v commerce.Validator
	limit := queryInt(c, &v, "limit")
	v.Check(limit >= 0 && limit <= index.MaxSuggestLimit, "limit", "must be between 1 and 20")
	text := c.QueryParam("q")
	v.Check(len(text) <= index.MaxTextLen, "q", "must be at most 256 bytes")
	if err := v.Err(); err != nil {
		return err
	}
	// Shoppers type the same prefixes: answers are kept until the suggestions change.
	ver := s.deps.Search.SuggestVersion()
	key := strconv.Itoa(limit) + "\x00" + text
	if body, ok := s.suggests.get(ver, key); ok {
		return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
	}
	found := s.deps.Search.Suggest(text, limit)
	out := suggestResponse{Items: make([]suggestion, len(found))}
	for i, f := range found {
		out.Items[i] = suggestion{Text: f.Text, Kind: f.Kind, ID: f.ID, Slug: f.Slug}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	s.suggests.put(ver, s.deps.Search.SuggestVersion(), key, body)
	return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
}

func synonymsOut(c echo.Context, syn index.Synonyms) error {
	setETag(c, syn.Version)
	return c.JSON(stdhttp.StatusOK, synonymsResponse{Synonyms: syn.Stored, Config: syn.Config, Version: syn.Version})
}

func (s *Server) getSynonyms(c echo.Context) error {
	if s.deps.Search == nil {
		return unavailable("search")
	}
	return synonymsOut(c, s.deps.Search.Synonyms())
}

func (s *Server) putSynonyms(c echo.Context) error {
	if s.deps.Search == nil {
		return unavailable("search")
	}
	var req synonymsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Synonyms == nil {
		return commerce.Invalid(commerce.FieldError{Field: "synonyms", Message: "is required (an empty list removes every group set through the API)"})
	}
	// The synonyms start at version 0 (never set), an ETag ifMatch does not take.
	var ifVersion *int64
	if h := strings.TrimSpace(c.Request().Header.Get("If-Match")); h == `"0"` || h == `W/"0"` {
		ifVersion = new(int64)
	} else if v, err := ifMatch(c); err != nil {
		return err
	} else if v > 0 {
		ifVersion = &v
	}
	syn, err := s.deps.Search.PutSynonyms(c.Request().Context(), req.Synonyms, ifVersion)
	if err != nil {
		return err
	}
	return synonymsOut(c, syn)
}
