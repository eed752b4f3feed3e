package http

import (
	"errors"
	stdhttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// productList is a page of products.
type productList struct {
	Items      []catalog.Product `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

var productListQuery = []Param{
	{Name: "category", Type: "string", Description: "category ID or slug; products of its sub-categories are included"},
	{Name: "min_price", Type: "integer", Description: "lowest price, in minor units, of the product's cheapest variant"},
	{Name: "max_price", Type: "integer", Description: "highest price, in minor units, of the product's cheapest variant"},
	{Name: "in_stock", Type: "boolean", Description: "true: products with a variant in stock; false: products with none"},
	{Name: "sort", Type: "string", Description: "newest (default), oldest, price_asc, price_desc, title_asc or title_desc"},
	{Name: "status", Type: "string", Description: "staff only: draft, archived or any (default active, for everyone)"},
	{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
	localeParam,
}

// localeParam selects the language of product text; Accept-Language is read when it is absent.
var localeParam = Param{Name: "locale", Type: "string", Description: "en, ru or uz: title, description and seo in that " +
	"translation, field by field, falling back to the product's own text (default: the best of Accept-Language, else the product's own text)"}

var featuredQuery = []Param{
	{Name: "sort", Type: "string", Description: "newest (default), oldest, price_asc, price_desc, title_asc or title_desc"},
	{Name: "status", Type: "string", Description: "staff only: draft, archived or any (default active)"},
	{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
	localeParam,
}

// productReadNotes documents what product reads share.
const productReadNotes = " With ?locale= (or Accept-Language) title, description and seo come from that translation, field " +
	"by field, and Content-Language names it; a shopper's localized read leaves out the translations map, staff always get it."

// productFields documents the rules of the product fields beyond title and variants.
const productFields = "options: at most 3 {name, values} in display order (derived from the variants' options, first seen first, when " +
	"omitted); every variant has exactly one value of each option and no two variants the same combination. attributes: at most 50 " +
	"name/value pairs. seo: title up to 255 characters (about 70 show), description up to 1000. translations: by locale (en, ru, uz), " +
	"title/description/seo_title/seo_description, each limited like its base field. compare_at_price: the price's currency, positive; " +
	"on_sale is true when it is above the price. weight_grams >= 0; barcode up to 64 printable characters. images: each an uploaded " +
	"image's media id or a source http(s) URL (kept as url until the file is fetched), alt up to 512 characters, positions renumbered " +
	"1..n in the given order, variant_skus naming variants of this product. featured: staff only. Field errors name the path, " +
	"e.g. variants[2].compare_at_price.currency, images[0].source, translations.ru.title."

// productWriters says who may write products (productScope decides).
const productWriters = " Needs catalog:write (staff: any product; vendor_id may name any existing vendor, and PUT replaces it " +
	"like every editable field) or catalog:own (a VENDOR whose vendor is APPROVED, else 403 vendor_not_approved: only " +
	"its own products, whose vendor_id is always its vendor's whatever the body says; another's product is 404)."

func (s *Server) productRoutes() {
	s.handle(Route{Method: "POST", Path: "/api/v1/products", Tag: "catalog", Summary: "Create a product with its variants",
		Description: "Slug is generated from the title unless given; status defaults to active. Every variant gets an id; stock defaults to 0. " +
			productFields + productWriters,
		Auth: true, Request: catalog.ProductInput{}, Response: catalog.Product{}, Status: stdhttp.StatusCreated,
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: s.createProduct})
	s.handle(Route{Method: "GET", Path: "/api/v1/products", Tag: "catalog", Summary: "List products, filtered and sorted, a page at a time",
		Description:  productReadNotes,
		OptionalAuth: true, Query: productListQuery, Response: productList{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusForbidden},
		Handler: s.listProducts})
	s.handle(Route{Method: "GET", Path: "/api/v1/products/featured", Tag: "catalog", Summary: "Featured products (an admin's picks), newest first, a page at a time",
		Description:  "Active products whose featured flag staff set. Only staff set the flag (catalog:write); a vendor's writes leave it as it is." + productReadNotes,
		OptionalAuth: true, Query: featuredQuery, Response: productList{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusForbidden},
		Handler: s.featuredProducts})
	s.handle(Route{Method: "GET", Path: "/api/v1/products/:id", Tag: "catalog", Summary: "A product by ID or slug",
		Description: "Drafts and archived products are visible to staff only. The ETag is the product's version. " +
			"A slug the product had before a slug change answers 301 Moved Permanently with Location /api/v1/products/<current slug> " +
			"(query kept) and X-Product-ID; a new product that takes the old slug wins over the redirect." + productReadNotes,
		OptionalAuth: true, Query: []Param{localeParam}, Response: catalog.Product{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: s.getProduct})
	s.handle(Route{Method: "PUT", Path: "/api/v1/products/:id", Tag: "catalog", Summary: "Replace a product's editable fields and variants",
		Description: "Variants with an id are kept (stock unchanged unless given), variants without one are added, variants left out are removed. " +
			"An empty slug keeps the current one (a changed slug leaves a redirect from the old one). Without \"images\" the images are kept; " +
			"[] removes them all. If-Match with the ETag guards against lost updates. " + productFields + productWriters,
		Auth: true, Request: catalog.ProductInput{}, Response: catalog.Product{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: s.updateProduct})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/products/:id", Tag: "catalog", Summary: "Delete a product with its variants and their stock",
		Description: productWriters,
		Auth:        true, Status: stdhttp.StatusNoContent, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: s.deleteProduct})
}

func (s *Server) createProduct(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	scope, err := s.productScope(c)
	if err != nil {
		return err
	}
	var in catalog.ProductInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.checkVendorID(c, in, scope); err != nil {
		return err
	}
	p, err := s.deps.Catalog.CreateProduct(c.Request().Context(), in, scope...)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etag(p.Version))
	h.Set(echo.HeaderLocation, "/api/v1/products/"+p.ID)
	return c.JSON(stdhttp.StatusCreated, p)
}

func (s *Server) listProducts(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var v commerce.Validator
	q := catalog.ListQuery{
		Category: c.QueryParam("category"),
		MinPrice: queryInt64(c, &v, "min_price"),
		MaxPrice: queryInt64(c, &v, "max_price"),
		InStock:  queryBool(c, &v, "in_stock"),
		Status:   c.QueryParam("status"),
		Sort:     c.QueryParam("sort"),
		Limit:    queryInt(c, &v, "limit"),
		Cursor:   c.QueryParam("cursor"),
	}
	return s.writeProductList(c, &v, q)
}

func (s *Server) featuredProducts(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var v commerce.Validator
	q := catalog.ListQuery{
		Featured: true,
		Status:   c.QueryParam("status"),
		Sort:     c.QueryParam("sort"),
		Limit:    queryInt(c, &v, "limit"),
		Cursor:   c.QueryParam("cursor"),
	}
	return s.writeProductList(c, &v, q)
}

// writeProductList answers one page of q's products, in the request's locale.
func (s *Server) writeProductList(c echo.Context, v *commerce.Validator, q catalog.ListQuery) error {
	locale := requestLocale(c, v)
	if err := v.Err(); err != nil {
		return err
	}
	staff := staffOf(c)
	page, err := s.deps.Catalog.ListProductDocuments(c.Request().Context(), q, staff)
	if err != nil {
		return err
	}
	next, err := member("next_cursor", page.NextCursor)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept-Language")
	if locale != "" {
		c.Response().Header().Set("Content-Language", locale)
		for i := range page.Items {
			if page.Items[i].JSON, err = localizeDocument(page.Items[i].JSON, locale, staff); err != nil {
				return err
			}
		}
	}
	return writeDocuments(c, page.Items, next) // the productList shape
}

func (s *Server) getProduct(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var v commerce.Validator
	locale := requestLocale(c, &v)
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ref, staff := c.Param("id"), staffOf(c)
	// The busiest route: the store hands over the product's JSON as is (see ProductDocument).
	d, err := s.deps.Catalog.ProductDocument(ctx, ref, staff)
	if errors.Is(err, catalog.ErrProductNotFound) && !commerce.ValidID(ref) {
		// A former slug: a permanent redirect to the current one.
		if p, rerr := s.deps.Catalog.ProductRedirect(ctx, ref, staff); rerr == nil {
			return redirectTo(c, "/api/v1/products/"+p.Slug, "X-Product-ID", p.ID)
		}
	}
	if err != nil {
		return err
	}
	setETag(c, d.Version)
	s.countView(d) // trending: an in-memory count, flushed by the recommend loop (http/recommend.go)
	c.Response().Header().Add("Vary", "Accept-Language")
	body := d.JSON
	if locale != "" {
		c.Response().Header().Set("Content-Language", locale)
		if body, err = localizeDocument(body, locale, staff); err != nil {
			return err
		}
	}
	return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, body)
}

func (s *Server) updateProduct(c echo.Context) error {
	scope, version, err := s.productWrite(c)
	if err != nil {
		return err
	}
	var in catalog.ProductInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.checkVendorID(c, in, scope); err != nil {
		return err
	}
	p, err := s.deps.Catalog.UpdateProduct(c.Request().Context(), c.Param("id"), in, version, scope...)
	if err != nil {
		return err
	}
	setETag(c, p.Version)
	return c.JSON(stdhttp.StatusOK, p)
}

func (s *Server) deleteProduct(c echo.Context) error {
	scope, version, err := s.productWrite(c)
	if err != nil {
		return err
	}
	if err := s.deps.Catalog.DeleteProduct(c.Request().Context(), c.Param("id"), version, scope...); err != nil {
		return err
	}
	return c.NoContent(stdhttp.StatusNoContent)
}

// productScope decides how the principal may write products: staff (catalog:write) any
// product, unscoped; a vendor (catalog:own) only the products of its own vendor, which must
// be APPROVED (403 vendor_not_approved otherwise), scoped to it. The catalog enforces the
// scope inside its write, so ownership and the change are one atomic step.
// productWrite is the common start of a write to one product: the catalog is there, the
// principal's scope (see productScope) and the If-Match version.
func (s *Server) productWrite(c echo.Context) (scope []catalog.Scope, version *int64, err error) {
	if s.deps.Catalog == nil {
		return nil, nil, errNoCatalog
	}
	if scope, err = s.productScope(c); err != nil {
		return nil, nil, err
	}
	version, err = ifMatchVersion(c)
	return scope, version, err
}

func (s *Server) productScope(c echo.Context) ([]catalog.Scope, error) {
	p, _ := principalOf(c)
	switch {
	case p.Can(auth.PermCatalogWrite):
		return nil, nil
	case p.Can(auth.PermCatalogOwn):
		if s.deps.Vendors == nil {
			return nil, unavailable("vendors")
		}
		v, err := s.deps.Vendors.ApprovedVendorOf(c.Request().Context(), p.UserID)
		if err != nil {
			return nil, err
		}
		return []catalog.Scope{{VendorID: v.ID}}, nil
	default:
		return nil, errForbidden
	}
}

// checkVendorID checks, for staff (no scope), that a vendor_id names an existing vendor. A
// vendor's own vendor_id is ignored: the scope sets it.
func (s *Server) checkVendorID(c echo.Context, in catalog.ProductInput, scope []catalog.Scope) error {
	id := strings.TrimSpace(in.VendorID)
	if len(scope) > 0 || id == "" || !commerce.ValidID(id) { // a malformed ID is the catalog's validation error
		return nil
	}
	if s.deps.Vendors == nil {
		return unavailable("vendors")
	}
	ok, err := s.deps.Vendors.Exists(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		return commerce.Invalid(commerce.FieldError{Field: "vendor_id", Message: "no such vendor"})
	}
	return nil
}
