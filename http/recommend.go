package http

import (
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/recommend"
)

// trendingList is the trending page: one page, best first (next_cursor is always empty).
type trendingList struct {
	Items      []recommend.Summary `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

var errNoRecommend = unavailable("recommendations")

func (s *Server) recommendRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/products/trending", Tag: "catalog", Summary: "Trending products: most viewed and sold lately",
		Description: "Active products ranked by points over a sliding window of hours (recommend.trending_window, default 7 days): " +
			"recommend.view_weight per product page view plus recommend.sale_weight per unit in placed orders. Views are counted " +
			"in memory and written, with the ranking recomputed, every recommend.flush_interval (default 1 minute); a sale counts " +
			"once its orders.placed event is handled. Ties go to more sales, then to the smaller product ID.",
		Query: []Param{
			{Name: "limit", Type: "integer", Description: "products, 1-100 (default 20)"},
			{Name: "category", Type: "string", Description: "category ID or slug; products of its sub-categories are included"},
		},
		Response: trendingList{}, Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound},
		Handler: s.trending})
	s.handle(Route{Method: "GET", Path: "/api/v1/products/:id/recommendations", Tag: "catalog", Summary: "Products bought together with a product, and similar ones",
		Description: "bought_together: active products most often in the same order as this one (each order counts once per pair). " +
			"similar: active products sharing its category, brand, tags and words of its title and attributes, from the search index. " +
			"Neither lists the product itself. The product is addressed by ID or slug; drafts and archived products are visible to staff only.",
		OptionalAuth: true,
		Query:        []Param{{Name: "limit", Type: "integer", Description: "products per list, 1-100 (default 20)"}},
		Response:     recommend.Recommendations{}, Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound},
		Handler: s.recommendations})
}

// countView counts a shopper's view of a product page (drafts seen by staff do not count).
func (s *Server) countView(d catalog.Document) {
	if s.deps.Recommend != nil && d.Status == catalog.StatusActive {
		s.deps.Recommend.CountView(d.ID)
	}
}

// recommendLimit reads the limit parameter: absent means the default, else 1..100.
func recommendLimit(c echo.Context, v *commerce.Validator) int {
	n := queryInt(c, v, "limit")
	if c.QueryParam("limit") != "" && (n < 1 || n > commerce.MaxPageLimit) {
		v.Add("limit", "must be 1-100")
	}
	return n
}

func (s *Server) trending(c echo.Context) error {
	if s.deps.Recommend == nil {
		return errNoRecommend
	}
	var v commerce.Validator
	q := recommend.TrendingQuery{Limit: recommendLimit(c, &v)}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if ref := c.QueryParam("category"); ref != "" {
		if s.deps.Catalog == nil {
			return errNoCatalog
		}
		cat, err := s.deps.Catalog.Category(ctx, ref)
		if err != nil {
			return err
		}
		q.CategoryID = cat.ID
	}
	items, err := s.deps.Recommend.Trending(ctx, q)
	if err != nil {
		return err
	}
	return c.JSON(stdhttp.StatusOK, trendingList{Items: items})
}

func (s *Server) recommendations(c echo.Context) error {
	if s.deps.Recommend == nil {
		return errNoRecommend
	}
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var v commerce.Validator
	limit := recommendLimit(c, &v)
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.deps.Catalog.Product(ctx, c.Param("id"), staffOf(c))
	if err != nil {
		return err
	}
	rec, err := s.deps.Recommend.Recommendations(ctx, p.ID, limit)
	if err != nil {
		return err
	}
	return c.JSON(stdhttp.StatusOK, rec)
}
