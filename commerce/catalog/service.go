package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Limits of product and category input.
const (
	MaxTitleLen         = 200    // characters
	MaxDescriptionLen   = 20_000 // characters
	MaxBrandLen         = 100    // characters, also Vendor
	MaxTags             = 50
	MaxTagLen           = 50 // characters
	MaxVariants         = 100
	MaxOptions          = 3  // option names per product
	MaxOptionNameLen    = 50 // characters
	MaxOptionValueLen   = 100
	MaxSKULen           = 64                 // bytes
	MaxAmount           = 10_000_000_000_000 // minor units: far above any real price, far below overflow in carts
	MaxStock            = 1_000_000_000
	MaxCategoryDepth    = 8 // levels, a top-level category being level 1
	MaxCategoryNameLen  = 100
	MaxCategoryDescLen  = 2_000
	MaxCategoryPosition = 1_000_000
	maxSlugTries        = 10_000
)

// Sort orders of ListProducts.
const (
	SortNewest    = "newest" // the default
	SortOldest    = "oldest"
	SortPriceAsc  = "price_asc" // by the lowest variant price
	SortPriceDesc = "price_desc"
	SortTitleAsc  = "title_asc"
	SortTitleDesc = "title_desc"
)

// Sorts lists every sort order ListProducts accepts.
var Sorts = []string{SortNewest, SortOldest, SortPriceAsc, SortPriceDesc, SortTitleAsc, SortTitleDesc}

// StatusAny in a list filter means products of every status (staff only).
const StatusAny = "any"

// ProductInput is what a merchant sends to create or replace a product. On update every
// editable field is replaced; an empty Slug keeps the current one (URLs stay stable when a
// title is edited).
type ProductInput struct {
	Title        string                 `json:"title"`
	Slug         string                 `json:"slug,omitempty"`
	Description  string                 `json:"description,omitempty"`
	Brand        string                 `json:"brand,omitempty"`
	Vendor       string                 `json:"vendor,omitempty"`
	VendorID     string                 `json:"vendor_id,omitempty"` // the owning marketplace vendor (staff); a vendor's own writes ignore it (see Scope)
	CategoryID   string                 `json:"category_id,omitempty"`
	Tags         []string               `json:"tags,omitempty"`
	Status       string                 `json:"status,omitempty"`  // draft, active or archived; "" means active
	Options      []Option               `json:"options,omitempty"` // option names and value order; derived from the variants when empty
	Variants     []VariantInput         `json:"variants"`
	Images       []ImageInput           `json:"images,omitempty"` // imported or re-ordered images (uploads use POST /products/:id/images)
	Attributes   map[string]string      `json:"attributes,omitempty"`
	SEO          SEO                    `json:"seo,omitzero"`
	Translations map[string]Translation `json:"translations,omitempty"`
	Featured     bool                   `json:"featured,omitempty"`
}

// ImageInput is an image of a ProductInput: an uploaded one by its media ID, or an imported
// one by its source URL (kept as the image's source until the file is fetched).
type ImageInput struct {
	ID          string   `json:"id,omitempty"`     // media ID of an uploaded image
	Source      string   `json:"source,omitempty"` // URL of an image not fetched yet
	Position    int      `json:"position,omitempty"`
	Alt         string   `json:"alt,omitempty"`
	VariantSKUs []string `json:"variant_skus,omitempty"` // variants this image shows, by SKU
}

// VariantInput is one variant of a ProductInput. On update a variant with an ID replaces
// that variant (and keeps its current stock when Stock is nil); one without an ID is new;
// variants left out are removed.
type VariantInput struct {
	ID             string            `json:"id,omitempty"`
	SKU            string            `json:"sku"`
	Price          commerce.Money    `json:"price"`
	Stock          *int64            `json:"stock,omitempty"` // units available; nil means 0 for a new variant, unchanged for an existing one
	Options        map[string]string `json:"options,omitempty"`
	CompareAtPrice *commerce.Money   `json:"compare_at_price,omitempty"`
	WeightGrams    int64             `json:"weight_grams,omitempty"`
	Barcode        string            `json:"barcode,omitempty"`
}

// CategoryInput is what a merchant sends to create or replace a category. An empty Slug
// keeps the current one on update and is generated from Name on create.
type CategoryInput struct {
	Name        string `json:"name"`
	Slug        string `json:"slug,omitempty"`
	Description string `json:"description,omitempty"`
	ParentID    string `json:"parent_id,omitempty"`
	Position    int    `json:"position,omitempty"`
}

// ListQuery asks for one page of products.
type ListQuery struct {
	Category string // category ID or slug; products of its descendants are included
	MinPrice *int64 // inclusive, minor units, on the lowest variant price
	MaxPrice *int64
	InStock  *bool
	Featured bool   // only featured products (not with Category)
	Status   string // a product status or StatusAny (staff only); "" means active
	Sort     string // one of Sorts; "" means SortNewest
	Limit    int
	Cursor   string
}

// ListFilter is a validated ListQuery as the repository takes it.
type ListFilter struct {
	CategoryID string // "" means the whole catalog
	MinPrice   *int64
	MaxPrice   *int64
	InStock    *bool
	Featured   bool   // only featured products; CategoryID must be ""
	Status     string // a product status or StatusAny
	Sort       string
	Limit      int
	Cursor     string
}

// Scope narrows a product write to one marketplace vendor's products: a vendor writing its
// own catalog. With a Scope, a created product belongs to VendorID whatever the input says,
// an updated one keeps it, and a product of anyone else is ErrProductNotFound (a vendor
// cannot learn of, change or delete another's products). Without one (staff) the input's
// VendorID is taken as is; the caller checks that such a vendor exists. The catalog knows
// vendors only by ID: whether one may write at all is decided by the caller.
type Scope struct{ VendorID string }

// scopeOf returns the one scope given, or the zero (staff) scope.
func scopeOf(scope []Scope) (Scope, bool) {
	if len(scope) == 0 || scope[0].VendorID == "" {
		return Scope{}, false
	}
	return scope[0], true
}

// Service runs the catalog use cases: products, variants and categories. Every write is one
// Repository.Update, so its checks (unique SKUs and slugs, an existing category, the version
// in If-Match) and its writes are atomic.
type Service struct {
	repo  Repository
	clock commerce.Clock
	media MediaChecker // nil: image IDs are checked for their form only
}

// NewService returns the catalog service on repo. A nil clock means the system clock.
func NewService(repo Repository, clock commerce.Clock) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{repo: repo, clock: clock}
}

// visible reports whether a product may be shown to someone who is not staff.
func visible(p Product, staff bool) bool { return staff || p.Status == StatusActive }

// Product returns a product by ID or slug. Drafts and archived products are found only by
// staff; shoppers get ErrProductNotFound.
func (s *Service) Product(ctx context.Context, ref string, staff bool) (Product, error) {
	var p Product
	var err error
	if commerce.ValidID(ref) {
		p, err = s.repo.Product(ctx, ref)
	} else {
		p, err = s.repo.ProductBySlug(ctx, ref)
	}
	if err != nil {
		return Product{}, err
	}
	if !visible(p, staff) {
		return Product{}, ErrProductNotFound
	}
	return p, nil
}

// ProductDocument is Product as a JSON document: the product page's fast path.
func (s *Service) ProductDocument(ctx context.Context, ref string, staff bool) (Document, error) {
	d, err := s.repo.ProductDocument(ctx, ref)
	if err != nil {
		return Document{}, err
	}
	if !staff && d.Status != StatusActive {
		return Document{}, ErrProductNotFound
	}
	return d, nil
}

// ProductsByID returns the products with the given IDs in that order, leaving out missing
// ones and, for shoppers, those not active (the search index may lag the store briefly).
func (s *Service) ProductsByID(ctx context.Context, ids []string, staff bool) ([]Product, error) {
	ps, err := s.repo.ProductsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if visible(p, staff) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ListProducts returns one page of products. Lists show active products unless staff ask
// for another status (or StatusAny): the storefront looks the same to everyone.
func (s *Service) ListProducts(ctx context.Context, q ListQuery, staff bool) (commerce.List[Product], error) {
	f, err := s.listFilter(ctx, q, staff)
	if err != nil {
		return commerce.List[Product]{}, err
	}
	return s.repo.ListProducts(ctx, f)
}

// ListProductDocuments is ListProducts with the products as JSON documents.
func (s *Service) ListProductDocuments(ctx context.Context, q ListQuery, staff bool) (DocumentList, error) {
	f, err := s.listFilter(ctx, q, staff)
	if err != nil {
		return DocumentList{}, err
	}
	return s.repo.ListProductDocuments(ctx, f)
}

// ProductDocumentsByID is ProductsByID with the products as JSON documents.
func (s *Service) ProductDocumentsByID(ctx context.Context, ids []string, staff bool) ([]Document, error) {
	ds, err := s.repo.ProductDocumentsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := ds[:0]
	for _, d := range ds {
		if staff || d.Status == StatusActive {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *Service) listFilter(ctx context.Context, q ListQuery, staff bool) (ListFilter, error) {
	var v commerce.Validator
	f := ListFilter{MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, InStock: q.InStock, Featured: q.Featured, Sort: q.Sort, Cursor: q.Cursor}
	if f.Sort == "" {
		f.Sort = SortNewest
	}
	v.Check(contains(Sorts, f.Sort), "sort", "must be one of "+strings.Join(Sorts, ", "))
	switch q.Status {
	case "":
		f.Status = StatusActive
	case StatusActive, StatusDraft, StatusArchived, StatusAny:
		f.Status = q.Status
	default:
		v.Add("status", "must be one of active, draft, archived, any")
	}
	v.Check(q.MinPrice == nil || *q.MinPrice >= 0, "min_price", "must not be negative")
	v.Check(q.MaxPrice == nil || *q.MaxPrice >= 0, "max_price", "must not be negative")
	if q.MinPrice != nil && q.MaxPrice != nil {
		v.Check(*q.MinPrice <= *q.MaxPrice, "min_price", "must not exceed max_price")
	}
	v.Check(!q.Featured || q.Category == "", "category", "cannot be combined with featured")
	v.Check(q.Limit >= 0, "limit", "must not be negative")
	f.Limit = commerce.Page{Limit: q.Limit}.Normalize().Limit
	if err := v.Err(); err != nil {
		return f, err
	}
	if !staff && f.Status != StatusActive {
		return f, ErrStatusForbidden
	}
	if q.Category != "" {
		c, err := s.Category(ctx, q.Category)
		if err != nil {
			return f, err
		}
		f.CategoryID = c.ID
	}
	return f, nil
}

// CreateProduct validates in and stores a new product with its variants and their stock.
// A vendor's product (a Scope) is never featured: only staff pick featured products.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput, scope ...Scope) (Product, error) {
	if sc, ok := scopeOf(scope); ok {
		in.VendorID, in.Featured = sc.VendorID, false
	}
	in = normalizeProduct(in)
	options, err := checkProduct(in, true)
	if err != nil {
		return Product{}, err
	}
	if err := s.checkMedia(ctx, in.Images, nil); err != nil {
		return Product{}, err
	}
	now := s.clock.Now()
	p := Product{ID: commerce.NewID(), Version: 1, CreatedAt: now, UpdatedAt: now}
	applyProductInput(&p, in, options)
	p.Variants = make([]Variant, len(in.Variants))
	for i, vi := range in.Variants {
		p.Variants[i] = newVariant(commerce.NewID(), vi)
		if vi.Stock != nil {
			p.Variants[i].Stock = *vi.Stock
		}
	}
	p.Images = buildImages(in.Images, p.Variants)
	err = s.repo.Update(ctx, func(tx Tx) error {
		if err := checkProductRefs(tx, &p, in.Slug, ""); err != nil {
			return err
		}
		return tx.SaveProduct(&p)
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// applyProductInput copies the editable product-level fields of a checked input onto p.
func applyProductInput(p *Product, in ProductInput, options []Option) {
	p.Title, p.Description, p.Brand, p.Vendor, p.VendorID = in.Title, in.Description, in.Brand, in.Vendor, in.VendorID
	p.CategoryID, p.Tags, p.Status = in.CategoryID, in.Tags, in.Status
	p.Options, p.Attributes, p.SEO, p.Translations, p.Featured = options, in.Attributes, in.SEO, in.Translations, in.Featured
}

// newVariant is the variant id made of a checked input (without its stock).
func newVariant(id string, vi VariantInput) Variant {
	v := Variant{ID: id, SKU: vi.SKU, Price: vi.Price, Options: vi.Options, WeightGrams: vi.WeightGrams, Barcode: vi.Barcode}
	if vi.CompareAtPrice != nil {
		c := *vi.CompareAtPrice
		v.CompareAtPrice = &c
	}
	v.OnSale = OnSaleOf(v)
	return v
}

// UpdateProduct replaces the editable fields of the product ref (ID or slug). ifMatch, when
// not nil, must equal the stored version (else ErrVersionMismatch). The version goes up by one.
// Images are replaced only when in.Images is not nil (an empty list removes them all): a
// PUT without "images" keeps the uploaded ones. A vendor's write (a Scope) keeps the
// product's featured flag whatever in.Featured says.
func (s *Service) UpdateProduct(ctx context.Context, ref string, in ProductInput, ifMatch *int64, scope ...Scope) (Product, error) {
	sc, scoped := scopeOf(scope)
	if scoped {
		in.VendorID = sc.VendorID
	}
	in = normalizeProduct(in)
	options, err := checkProduct(in, false)
	if err != nil {
		return Product{}, err
	}
	if in.Images != nil && s.media != nil {
		// Outside the write (another store): media already on the product need no check.
		cur, err := s.Product(ctx, ref, true)
		if err != nil {
			return Product{}, err
		}
		if err := s.checkMedia(ctx, in.Images, cur.Images); err != nil {
			return Product{}, err
		}
	}
	var p Product
	err = s.repo.Update(ctx, func(tx Tx) error {
		old, err := productByRef(tx, ref)
		if err != nil {
			return err
		}
		if scoped && old.VendorID != sc.VendorID {
			return ErrProductNotFound
		}
		if ifMatch != nil && *ifMatch != old.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": old.Version})
		}
		stockOf := make(map[string]int64, len(old.Variants))
		for _, v := range old.Variants {
			stockOf[v.ID] = v.Stock
		}
		var val commerce.Validator
		p = old
		if scoped {
			in.Featured = old.Featured
		}
		applyProductInput(&p, in, options)
		p.Variants = make([]Variant, len(in.Variants))
		for i, vi := range in.Variants {
			v := newVariant(vi.ID, vi)
			if v.ID == "" {
				v.ID = commerce.NewID()
			} else if cur, ok := stockOf[v.ID]; ok {
				// The current stock, read in this same serialized update: a checkout that
				// committed before it is kept, one after it sees this write.
				v.Stock = cur
			} else {
				val.Add(fmt.Sprintf("variants[%d].id", i), "is not a variant of this product")
			}
			if vi.Stock != nil {
				v.Stock = *vi.Stock
			}
			p.Variants[i] = v
		}
		if err := val.Err(); err != nil {
			return err
		}
		if in.Images != nil {
			p.Images = buildImages(in.Images, p.Variants)
		} else {
			p.Images = keepImages(old.Images, p.Variants)
		}
		if err := checkProductRefs(tx, &p, in.Slug, old.Slug); err != nil {
			return err
		}
		p.Version = old.Version + 1
		p.UpdatedAt = s.clock.Now()
		return tx.SaveProduct(&p)
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// keepImages returns imgs (never nil) without the IDs of variants that are not in vs.
func keepImages(imgs []Image, vs []Variant) []Image {
	out := make([]Image, len(imgs))
	for i, im := range imgs {
		var ids []string
		for _, id := range im.VariantIDs {
			if slices.ContainsFunc(vs, func(v Variant) bool { return v.ID == id }) {
				ids = append(ids, id)
			}
		}
		im.VariantIDs = ids
		out[i] = im
	}
	return out
}

// DeleteProduct removes the product ref (ID or slug) with its variants and their stock.
func (s *Service) DeleteProduct(ctx context.Context, ref string, ifMatch *int64, scope ...Scope) error {
	sc, scoped := scopeOf(scope)
	return s.repo.Update(ctx, func(tx Tx) error {
		p, err := productByRef(tx, ref)
		if err != nil {
			return err
		}
		if scoped && p.VendorID != sc.VendorID {
			return ErrProductNotFound
		}
		if ifMatch != nil && *ifMatch != p.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": p.Version})
		}
		return tx.DeleteProduct(p.ID)
	})
}

func productByRef(tx Tx, ref string) (Product, error) {
	if commerce.ValidID(ref) {
		return tx.Product(ref)
	}
	id, err := tx.ProductIDBySlug(ref)
	if err != nil {
		return Product{}, err
	}
	if id == "" {
		return Product{}, ErrProductNotFound
	}
	return tx.Product(id)
}

// checkProductRefs checks, inside the update, what depends on the rest of the catalog: the
// category exists, no SKU belongs to another product, and the slug is free. It sets p.Slug:
// slug when given, else keep when set (an update), else a free slug made from the title.
func checkProductRefs(tx Tx, p *Product, slug, keep string) error {
	if p.CategoryID != "" {
		if _, err := tx.Category(p.CategoryID); errors.Is(err, ErrCategoryNotFound) {
			return commerce.Invalid(commerce.FieldError{Field: "category_id", Message: "no such category"})
		} else if err != nil {
			return err
		}
	}
	for i, v := range p.Variants {
		owner, err := tx.ProductIDBySKU(v.SKU)
		if err != nil {
			return err
		}
		if owner != "" && owner != p.ID {
			return ErrSKUTaken.WithDetails(map[string]any{"sku": v.SKU, "field": fmt.Sprintf("variants[%d].sku", i)})
		}
	}
	switch {
	case slug != "" && slug != keep:
		owner, err := tx.ProductIDBySlug(slug)
		if err != nil {
			return err
		}
		if (owner != "" && owner != p.ID) || reservedSlugs[slug] {
			return ErrSlugTaken.WithDetails(map[string]any{"slug": slug})
		}
		p.Slug = slug
	case keep != "":
		p.Slug = keep
	default:
		free, err := freeSlug(Slugify(p.Title), "product", tx.ProductIDBySlug)
		if err != nil {
			return err
		}
		p.Slug = free
	}
	return nil
}

// freeSlug returns base, or base-2, base-3, ... whichever is free first. A base that is empty
// (a title with no Latin or Cyrillic letter or digit) becomes fallback.
func freeSlug(base, fallback string, owner func(string) (string, error)) (string, error) {
	if base == "" {
		base = fallback
	}
	for n := 1; n <= maxSlugTries; n++ {
		c := slugCandidate(base, n)
		if reservedSlugs[c] {
			continue
		}
		id, err := owner(c)
		if err != nil {
			return "", err
		}
		if id == "" {
			return c, nil
		}
	}
	return "", ErrSlugTaken.WithDetails(map[string]any{"slug": base})
}

// normalizeProduct trims what people type by accident and applies defaults.
func normalizeProduct(in ProductInput) ProductInput {
	in.Title = strings.TrimSpace(in.Title)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Brand = strings.TrimSpace(in.Brand)
	in.Vendor = strings.TrimSpace(in.Vendor)
	in.VendorID = strings.TrimSpace(in.VendorID)
	in.CategoryID = strings.TrimSpace(in.CategoryID)
	if in.Status == "" {
		in.Status = StatusActive
	}
	if in.Tags != nil {
		tags := make([]string, len(in.Tags))
		for i, t := range in.Tags {
			tags[i] = strings.TrimSpace(t)
		}
		in.Tags = tags
	}
	vs := make([]VariantInput, len(in.Variants))
	for i, v := range in.Variants {
		v.ID = strings.TrimSpace(v.ID)
		v.SKU = strings.TrimSpace(v.SKU)
		v.Barcode = strings.TrimSpace(v.Barcode)
		if len(v.Options) == 0 {
			v.Options = nil
		} else {
			opts := make(map[string]string, len(v.Options))
			for name, val := range v.Options {
				opts[name] = strings.TrimSpace(val)
			}
			v.Options = opts
		}
		vs[i] = v
	}
	in.Variants = vs
	return normalizeExtras(in)
}

// validateProduct checks in on its own (what needs no lookup), reporting every problem.
func validateProduct(in ProductInput, create bool) error {
	_, err := checkProduct(in, create)
	return err
}

func validateVariants(v *commerce.Validator, vs []VariantInput, create bool) {
	skus := map[string]int{}
	ids := map[string]int{}
	combos := map[string]int{}
	names := map[string]bool{}
	currency := ""
	for i, vi := range vs {
		f := func(name string) string { return fmt.Sprintf("variants[%d].%s", i, name) }
		if vi.ID != "" {
			if create {
				v.Add(f("id"), "must not be set when creating a product")
			} else if j, dup := ids[vi.ID]; dup {
				v.Add(f("id"), fmt.Sprintf("repeats variants[%d].id", j))
			} else {
				ids[vi.ID] = i
			}
		}
		switch {
		case vi.SKU == "":
			v.Add(f("sku"), "is required")
		case len(vi.SKU) > MaxSKULen:
			v.Add(f("sku"), fmt.Sprintf("must be at most %d bytes", MaxSKULen))
		case !printable(vi.SKU) || strings.ContainsAny(vi.SKU, " \t"):
			v.Add(f("sku"), "must be printable characters without spaces")
		default:
			key := strings.ToUpper(vi.SKU)
			if j, dup := skus[key]; dup {
				v.Add(f("sku"), fmt.Sprintf("repeats variants[%d].sku", j))
			} else {
				skus[key] = i
			}
		}
		v.Check(vi.Price.Amount >= 0, f("price.amount"), "must not be negative")
		v.Check(vi.Price.Amount <= MaxAmount, f("price.amount"), fmt.Sprintf("must be at most %d", int64(MaxAmount)))
		switch {
		case !commerce.ValidCurrency(vi.Price.Currency):
			v.Add(f("price.currency"), "must be three upper-case letters (ISO 4217)")
		case currency == "":
			currency = vi.Price.Currency
		case vi.Price.Currency != currency:
			v.Add(f("price.currency"), "must be the same for every variant ("+currency+")")
		}
		checkVariantExtras(v, f, vi)
		if vi.Stock != nil {
			v.Check(*vi.Stock >= 0, f("stock"), "must not be negative")
			v.Check(*vi.Stock <= MaxStock, f("stock"), fmt.Sprintf("must be at most %d", MaxStock))
		}
		keys := make([]string, 0, len(vi.Options))
		for name, val := range vi.Options {
			keys = append(keys, name)
			names[name] = true
			if strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > MaxOptionNameLen || !printable(name) {
				v.Add(f("options"), fmt.Sprintf("option names must be 1-%d printable characters", MaxOptionNameLen))
			}
			if strings.TrimSpace(val) == "" || utf8.RuneCountInString(val) > MaxOptionValueLen || !printable(val) {
				v.Add(f("options."+name), fmt.Sprintf("must be 1-%d printable characters", MaxOptionValueLen))
			}
		}
		sort.Strings(keys)
		var combo strings.Builder
		for _, k := range keys {
			combo.WriteString(k)
			combo.WriteByte(0)
			combo.WriteString(vi.Options[k])
			combo.WriteByte(0)
		}
		if j, dup := combos[combo.String()]; dup {
			v.Add(f("options"), fmt.Sprintf("repeats the options of variants[%d]; variants must differ in their options", j))
		} else {
			combos[combo.String()] = i
		}
	}
	v.Check(len(names) <= MaxOptions, "variants", fmt.Sprintf("must use at most %d option names in all", MaxOptions))
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) < 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
