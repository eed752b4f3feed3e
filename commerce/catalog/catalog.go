// Package catalog owns products, their variants and the category tree: the model, the events
// a catalog change emits, and the use cases with their rules (Service: validation, unique
// slugs and SKUs, versions, the tree's shape). Storage and search are adapters that implement
// the interfaces declared here (Repository, Tx, Source).
package catalog

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Product statuses.
const (
	StatusDraft    = "draft"
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Event types emitted by catalog changes. Data of product events is the Product as JSON;
// for ProductDeleted it is {"id": ...}.
const (
	EventProductCreated = "catalog.product_created"
	EventProductUpdated = "catalog.product_updated"
	EventProductDeleted = "catalog.product_deleted"

	// Category events carry the Category as JSON; CategoryDeleted carries {"id": ...}.
	EventCategoryCreated = "catalog.category_created"
	EventCategoryUpdated = "catalog.category_updated"
	EventCategoryDeleted = "catalog.category_deleted"
)

// Category is a node of the category tree. ParentID is empty for a top-level category.
type Category struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ParentID    string    `json:"parent_id,omitempty"`
	Position    int       `json:"position"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Image is a picture of a product, served by the media store. An imported image whose file
// has not been fetched or uploaded yet has no media ID: its URL is its Source.
type Image struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Position   int      `json:"position"`
	Alt        string   `json:"alt,omitempty"`
	Source     string   `json:"source,omitempty"`      // where the image came from (an imported URL)
	VariantIDs []string `json:"variant_ids,omitempty"` // variants this image shows (Shopify "Variant Image")
	// Thumbnails are the URLs of the uploaded image's resized variants, by the media store's
	// variant name (thumb, small, ...), as configured when the image was added.
	Thumbnails map[string]string `json:"thumbnails,omitempty"`
}

// Option is one of a product's (at most three) option names with its values in display
// order, like Shopify's Option1..3; every variant has one value for each option.
type Option struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// SEO overrides what search engines show for a product page.
type SEO struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// Translation holds a product's text fields in one locale; an empty field falls back to
// the product's own (default-locale) text.
type Translation struct {
	Title          string `json:"title,omitempty"`
	Description    string `json:"description,omitempty"`
	SEOTitle       string `json:"seo_title,omitempty"`
	SEODescription string `json:"seo_description,omitempty"`
}

// Locales a product's text may be translated into.
var Locales = []string{"en", "ru", "uz"}

// RatingSummary aggregates a product's approved reviews; it changes in the same atomic
// write as the review that changes it.
type RatingSummary struct {
	Average   float64 `json:"average"`   // mean of the approved ratings, 0 when there are none
	Count     int     `json:"count"`     // approved reviews
	Histogram [5]int  `json:"histogram"` // approved reviews with 1..5 stars
}

// Product is a sellable item with one or more variants.
type Product struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Brand       string `json:"brand,omitempty"`
	Vendor      string `json:"vendor,omitempty"`    // the maker or supplier's name, free text
	VendorID    string `json:"vendor_id,omitempty"` // the marketplace vendor that owns the product; empty for the shop's own
	CategoryID  string `json:"category_id,omitempty"`
	// CategoryPath is the ancestry of CategoryID, root first and CategoryID last. The store
	// sets it on every write (and again when a category moves), so listings and search can
	// find a product under every ancestor of its category.
	CategoryPath []string  `json:"category_path,omitempty"`
	Tags         []string  `json:"tags,omitempty"`
	Status       string    `json:"status"`
	Options      []Option  `json:"options,omitempty"`
	Variants     []Variant `json:"variants"`
	Images       []Image   `json:"images"`
	// Attributes are free name/value facts (material, color family, ...) shown on the page
	// and used for filtering and "similar products".
	Attributes   map[string]string      `json:"attributes,omitempty"`
	SEO          SEO                    `json:"seo,omitzero"`
	Translations map[string]Translation `json:"translations,omitempty"` // by locale (Locales)
	Featured     bool                   `json:"featured,omitempty"`     // an admin's pick for the featured list
	Rating       float64                `json:"rating,omitempty"`       // Ratings.Average, for sorting
	Ratings      RatingSummary          `json:"ratings,omitzero"`
	Version      int64                  `json:"version"`
	CreatedAt    time.Time              `json:"created_at"`
	UpdatedAt    time.Time              `json:"updated_at"`
}

// Variant is one purchasable combination of a product's options. Stock is the number of
// units available now; the store keeps it apart from the product record (checkout changes
// it without rewriting the product) and fills it in on every read.
type Variant struct {
	ID             string            `json:"id"`
	SKU            string            `json:"sku"`
	Price          commerce.Money    `json:"price"`
	CompareAtPrice *commerce.Money   `json:"compare_at_price,omitempty"` // the "was" price shown struck through
	OnSale         bool              `json:"on_sale,omitempty"`          // CompareAtPrice above Price (OnSaleOf); set on every write
	Stock          int64             `json:"stock"`
	Options        map[string]string `json:"options,omitempty"`
	WeightGrams    int64             `json:"weight_grams,omitempty"`
	Barcode        string            `json:"barcode,omitempty"` // GTIN, EAN, UPC or ISBN as printed
}

// MinPrice returns the lowest variant price, or a zero Money when there are no variants.
func (p Product) MinPrice() commerce.Money {
	var m commerce.Money
	for i, v := range p.Variants {
		if i == 0 || v.Price.Amount < m.Amount {
			m = v.Price
		}
	}
	return m
}

// InStock reports whether any variant has units available.
func (p Product) InStock() bool {
	for _, v := range p.Variants {
		if v.Stock > 0 {
			return true
		}
	}
	return false
}

// VariantRef is what a cart or checkout needs to know about one variant: the variant (with
// its current stock and price) and the product it belongs to.
type VariantRef struct {
	ProductID     string  `json:"product_id"`
	ProductSlug   string  `json:"product_slug"`
	ProductTitle  string  `json:"product_title"`
	ProductStatus string  `json:"product_status"`
	VendorID      string  `json:"vendor_id,omitempty"` // the product's marketplace vendor
	Variant       Variant `json:"variant"`
}

// Errors of the catalog.
var (
	ErrProductNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "product_not_found", Message: "catalog: product not found"}
	ErrVariantNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "variant_not_found", Message: "catalog: variant not found"}
	ErrCategoryNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "category_not_found", Message: "catalog: category not found"}
	ErrSKUTaken         = &commerce.Error{Kind: commerce.EConflict, Code: "sku_taken", Message: "catalog: SKU already used by another variant"}
	ErrSlugTaken        = &commerce.Error{Kind: commerce.EConflict, Code: "slug_taken", Message: "catalog: slug already used"}
	ErrCategoryNotEmpty = &commerce.Error{Kind: commerce.EConflict, Code: "category_not_empty", Message: "catalog: category has sub-categories or products"}
	ErrVersionMismatch  = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "catalog: the stored version differs from If-Match"}
	ErrInvalidCursor    = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "catalog: the cursor is not one this list returned"}
	ErrStatusForbidden  = &commerce.Error{Kind: commerce.EForbidden, Code: "forbidden", Message: "catalog: only staff may list products that are not active"}
)

// Document is a product in its JSON form (the Product JSON, with current stock and Images
// never null), for read paths that pass the product on without looking inside: the product
// page. The store serves it from a cache of encoded products, which saves decoding and
// encoding on the busiest route.
type Document struct {
	ID      string
	Status  string
	Version int64
	JSON    []byte
}

// DocumentList is one page of products as JSON documents.
type DocumentList struct {
	Items      []Document
	NextCursor string
}

// Source is what derived state (the search index) reads from the catalog.
type Source interface {
	// Product returns a product with its variants' current stock, or ErrProductNotFound.
	Product(ctx context.Context, id string) (Product, error)
	// ScanProducts calls fn for every product in ID order until fn returns an error.
	ScanProducts(ctx context.Context, fn func(Product) error) error
}

// Repository stores the catalog. The store adapter implements it. Reads see a consistent
// snapshot; Update runs a use case's reads and writes as one atomic, serialized write.
type Repository interface {
	Source
	// ProductBySlug returns the product with the given slug, or ErrProductNotFound.
	ProductBySlug(ctx context.Context, slug string) (Product, error)
	// ProductDocument returns the product with the given ID (when ref is one) or slug as
	// its JSON document, or ErrProductNotFound.
	ProductDocument(ctx context.Context, ref string) (Document, error)
	// ProductIDByFormerSlug and CategoryIDByFormerSlug return the product (category) whose
	// slug was slug before it changed, "" when none (a redirect).
	ProductIDByFormerSlug(ctx context.Context, slug string) (string, error)
	CategoryIDByFormerSlug(ctx context.Context, slug string) (string, error)
	// ProductsByID returns the products with the given IDs in that order; missing ones are
	// left out.
	ProductsByID(ctx context.Context, ids []string) ([]Product, error)
	// ListProducts returns one page of the products matching f, ordered by f.Sort. It returns
	// ErrInvalidCursor for a cursor it did not make for f.Sort.
	ListProducts(ctx context.Context, f ListFilter) (commerce.List[Product], error)
	// ListProductDocuments and ProductDocumentsByID are ListProducts and ProductsByID with
	// the products as JSON documents.
	ListProductDocuments(ctx context.Context, f ListFilter) (DocumentList, error)
	ProductDocumentsByID(ctx context.Context, ids []string) ([]Document, error)
	// Category returns a category by ID, CategoryBySlug by slug; ErrCategoryNotFound otherwise.
	Category(ctx context.Context, id string) (Category, error)
	CategoryBySlug(ctx context.Context, slug string) (Category, error)
	// Categories returns every category, in no particular order.
	Categories(ctx context.Context) ([]Category, error)
	// Update runs fn as one atomic write: everything fn writes through tx commits together
	// (with its index rows and events) or, when fn returns an error, nothing does.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one atomic catalog update. Reads see every write committed before it and its own.
type Tx interface {
	Product(id string) (Product, error) // with current stock, or ErrProductNotFound
	// ProductIDBySlug and ProductIDBySKU return the owner of a slug or SKU, "" when free.
	ProductIDBySlug(slug string) (string, error)
	ProductIDBySKU(sku string) (string, error)
	Category(id string) (Category, error) // or ErrCategoryNotFound
	// CategoryIDBySlug returns the category with the slug, "" when free.
	CategoryIDBySlug(slug string) (string, error)
	Categories() ([]Category, error)
	// CategoryHasProducts reports whether a product is filed under id or a descendant of it.
	CategoryHasProducts(id string) (bool, error)
	// SaveProduct writes p (created or replaced), its index rows and the stock rows of its
	// variants (set to Variant.Stock), removes what a replaced version had and p has not, and
	// emits EventProductCreated or EventProductUpdated. It sets p.CategoryPath.
	SaveProduct(p *Product) error
	// DeleteProduct removes a product with its slug, SKU, variant, stock and index rows and
	// emits EventProductDeleted.
	DeleteProduct(id string) error
	// SaveCategory writes c (created or replaced) and emits its event; when its parent
	// changed, the products under it are filed under the new ancestry.
	SaveCategory(c Category) error
	// DeleteCategory removes a category and emits EventCategoryDeleted.
	DeleteCategory(id string) error
}
