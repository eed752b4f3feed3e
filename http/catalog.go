package http

import (
	"encoding/json"
	stdhttp "net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// catalogRoutes registers the product, product image, category and search routes
// (products.go, product_images.go, categories.go, search.go). Reads are public; writes need ADMIN or SUPER_ADMIN.
func (s *Server) catalogRoutes() {
	s.productRoutes()
	s.productImageRoutes()
	s.searchRoutes()
	s.categoryRoutes()
}

var errNoCatalog = unavailable("catalog")

// writeDocuments answers 200 with a JSON object whose "items" are the products' documents
// as the store made them (no decoding or encoding of products per request), followed by the
// other members, each already encoded: `"next_cursor":"..."`, for instance.
func writeDocuments(c echo.Context, items []catalog.Document, members ...[]byte) error {
	return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, documentsBody(items, members...))
}

// documentsBody is the body writeDocuments writes.
func documentsBody(items []catalog.Document, members ...[]byte) []byte {
	n := 16
	for _, d := range items {
		n += len(d.JSON) + 1
	}
	for _, m := range members {
		n += len(m) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"items":[`...)
	for i, d := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.JSON...)
	}
	b = append(b, ']')
	for _, m := range members {
		b = append(b, ',')
		b = append(b, m...)
	}
	return append(b, '}')
}

// member encodes one JSON object member.
func member(name string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(strconv.AppendQuote(nil, name), append([]byte{':'}, body...)...), nil
}

// ifMatchVersion is ifMatch as the catalog service takes it: nil when there is no precondition.
func ifMatchVersion(c echo.Context) (*int64, error) {
	v, err := ifMatch(c)
	if err != nil || v == 0 {
		return nil, err
	}
	return &v, nil
}

// staffOf reports whether the request's principal manages the catalog (sees what shoppers
// do not, such as exact stock counts).
func staffOf(c echo.Context) bool {
	p, ok := principalOf(c)
	return ok && p.Can(auth.PermCatalogWrite)
}

// queryInt64 reads an optional integer query parameter, reporting a bad one to v.
func queryInt64(c echo.Context, v *commerce.Validator, name string) *int64 {
	s := c.QueryParam(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		v.Add(name, "must be an integer")
		return nil
	}
	return &n
}

// queryInt reads an optional non-negative integer query parameter (0 when absent).
func queryInt(c echo.Context, v *commerce.Validator, name string) int {
	s := c.QueryParam(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.Add(name, "must be an integer")
	}
	return n
}

// queryBool reads an optional boolean query parameter.
func queryBool(c echo.Context, v *commerce.Validator, name string) *bool {
	s := c.QueryParam(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		v.Add(name, "must be true or false")
		return nil
	}
	return &b
}
