package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Catalog is the Pebble implementation of catalog.Repository.
//
// Besides the product records it keeps, in the same batch as every product write:
//   - catalog/slug/<slug> and catalog/sku/<SKU> rows, for lookups and uniqueness;
//   - listing rows catalog/plist/<status>/<scope>/<order>/<sort key><product ID>, one per
//     status ("*" too), scope ("-" for the whole catalog and every category of the product's
//     ancestry) and order (t: created_at, p: lowest price, n: title), whose value carries the
//     lowest price and the product ID. A filtered, sorted page is then one bounded range
//     scan of a few rows (plus, for in_stock, the product's catalog/pvariants/<product ID>
//     row, its variant IDs, and their stock rows). A featured product also has the rows
//     of scope "+" (listFeaturedScope): the featured list is the same kind of scan;
//   - catalog/slug_redirect/<former slug> → product ID when its slug changes (and
//     catalog/catslug_redirect/ for categories), dropped when a product (category) takes
//     that slug. A deleted product's redirects stay and lead nowhere (404).
type Catalog struct{ db *DB }

// NewCatalog returns the catalog repository on db.
func NewCatalog(db *DB) *Catalog { return &Catalog{db: db} }

var _ catalog.Repository = (*Catalog)(nil)

func productKey(id string) []byte            { return Key(prefixProduct, id) }
func variantKey(id string) []byte            { return Key(prefixVariant, id) }
func productSlugKey(slug string) []byte      { return Key(prefixProductSlug, slug) }
func skuKey(sku string) []byte               { return Key(prefixSKU, strings.ToUpper(sku)) }
func categoryKey(id string) []byte           { return Key(prefixCategory, id) }
func categorySlugKey(slug string) []byte     { return Key(prefixCategorySlug, slug) }
func productVariantsKey(id string) []byte    { return Key(prefixProductVariants, id) }
func productRedirectKey(slug string) []byte  { return Key(prefixProductRedirect, slug) }
func categoryRedirectKey(slug string) []byte { return Key(prefixCategoryRedirect, slug) }

// Product returns the product with the given ID.
func (c *Catalog) Product(ctx context.Context, id string) (catalog.Product, error) {
	var p catalog.Product
	err := c.db.View(ctx, func(r *Reader) (err error) { p, err = productTx(r, id); return err })
	return p, err
}

// ProductBySlug returns the product with the given slug.
func (c *Catalog) ProductBySlug(ctx context.Context, slug string) (catalog.Product, error) {
	return viewBySlug(ctx, c.db, productSlugKey(slug), catalog.ErrProductNotFound, productTx)
}

// moveSlug points the slug row of slug (made by key) at id, dropping id's row of oldSlug
// when the slug changed and leaving a redirect row (made by redirect) from oldSlug to id;
// a redirect row of slug is dropped (whoever holds a slug wins over a redirect). A slug
// another entity holds is catalog.ErrSlugTaken.
func moveSlug(tx *Tx, r getter, key, redirect func(string) []byte, id, oldSlug, slug string) error {
	if oldSlug != "" && oldSlug != slug {
		if owner, err := r.Get(key(oldSlug)); err == nil && string(owner) == id {
			tx.Delete(key(oldSlug))
		}
		tx.Set(redirect(oldSlug), []byte(id))
	}
	if slug != "" && slug != oldSlug {
		if _, err := r.Get(redirect(slug)); err == nil {
			tx.Delete(redirect(slug))
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if slug == "" {
		return nil
	}
	owner, err := r.Get(key(slug))
	switch {
	case err == nil && string(owner) != id:
		return catalog.ErrSlugTaken.WithDetails(map[string]any{"slug": slug})
	case err != nil && !errors.Is(err, ErrNotFound):
		return err
	}
	tx.Set(key(slug), []byte(id))
	return nil
}

// viewBySlug reads, in one snapshot, the slug row at key and then the entity it names with
// read; a missing slug is notFound.
func viewBySlug[T any](ctx context.Context, db *DB, key []byte, notFound error, read func(getter, string) (T, error)) (T, error) {
	var v T
	err := db.View(ctx, func(r *Reader) error {
		id, err := r.Get(key)
		if errors.Is(err, ErrNotFound) {
			return notFound
		} else if err != nil {
			return err
		}
		v, err = read(r, string(id))
		return err
	})
	return v, err
}

// ProductIDByFormerSlug returns the product that had slug before a slug change, "" when none.
func (c *Catalog) ProductIDByFormerSlug(ctx context.Context, slug string) (string, error) {
	return c.formerSlug(ctx, productRedirectKey(slug))
}

// CategoryIDByFormerSlug returns the category that had slug before a slug change, "" when none.
func (c *Catalog) CategoryIDByFormerSlug(ctx context.Context, slug string) (string, error) {
	return c.formerSlug(ctx, categoryRedirectKey(slug))
}

func (c *Catalog) formerSlug(ctx context.Context, key []byte) (string, error) {
	var id string
	err := c.db.View(ctx, func(r *Reader) (err error) { id, err = rawOrEmpty(r, key); return err })
	return id, err
}

// ProductsByID returns the products with the given IDs in that order, leaving out missing ones.
func (c *Catalog) ProductsByID(ctx context.Context, ids []string) ([]catalog.Product, error) {
	out := make([]catalog.Product, 0, len(ids))
	err := c.db.View(ctx, func(r *Reader) error {
		for _, id := range ids {
			p, err := productTx(r, id)
			if errors.Is(err, catalog.ErrProductNotFound) {
				continue
			} else if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// productTx reads a product with its variants' current stock, or catalog.ErrProductNotFound.
func productTx(r getter, id string) (catalog.Product, error) {
	raw, err := r.Get(productKey(id))
	if errors.Is(err, ErrNotFound) {
		return catalog.Product{}, catalog.ErrProductNotFound
	} else if err != nil {
		return catalog.Product{}, err
	}
	e, err := cachedProductOf(id, raw)
	if err != nil {
		return catalog.Product{}, err
	}
	p := e.product()
	return p, fillStock(r, &p)
}

// fillStock sets each variant's Stock from its stock row, Images to [] when empty, and the
// ratings from the product's rating row (fillRatings, store/reviews.go).
func fillStock(r getter, p *catalog.Product) error {
	if p.Images == nil {
		p.Images = []catalog.Image{}
	}
	for i := range p.Variants {
		n, err := stockOf(r, p.Variants[i].ID)
		if err != nil {
			return err
		}
		p.Variants[i].Stock = n
	}
	return fillRatings(r, p)
}

// variantTx finds a variant and its product by the variant's ID, or catalog.ErrVariantNotFound.
func variantTx(r getter, variantID string) (catalog.VariantRef, error) {
	pid, err := r.Get(variantKey(variantID))
	if errors.Is(err, ErrNotFound) {
		return catalog.VariantRef{}, catalog.ErrVariantNotFound
	} else if err != nil {
		return catalog.VariantRef{}, err
	}
	p, err := productTx(r, string(pid))
	if errors.Is(err, catalog.ErrProductNotFound) {
		return catalog.VariantRef{}, catalog.ErrVariantNotFound
	} else if err != nil {
		return catalog.VariantRef{}, err
	}
	for _, v := range p.Variants {
		if v.ID == variantID {
			return catalog.VariantRef{ProductID: p.ID, ProductSlug: p.Slug, ProductTitle: p.Title, ProductStatus: p.Status, VendorID: p.VendorID, Variant: v}, nil
		}
	}
	return catalog.VariantRef{}, catalog.ErrVariantNotFound
}

// Variant returns a variant and its product by the variant's ID.
func (c *Catalog) Variant(ctx context.Context, variantID string) (catalog.VariantRef, error) {
	var ref catalog.VariantRef
	err := c.db.View(ctx, func(r *Reader) (err error) { ref, err = variantTx(r, variantID); return err })
	return ref, err
}

// ScanProducts calls fn for every product in ID order.
func (c *Catalog) ScanProducts(ctx context.Context, fn func(catalog.Product) error) error {
	return c.db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixProduct), PrefixEnd([]byte(prefixProduct)), func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var p catalog.Product
			if err := decode(v, &p); err != nil {
				return fmt.Errorf("store: product %s: %w", k[len(prefixProduct):], err)
			}
			if err := fillStock(r, &p); err != nil {
				return err
			}
			return fn(p)
		})
	})
}

// CountProducts returns how many products are stored.
func (c *Catalog) CountProducts(ctx context.Context) (int, error) {
	n := 0
	err := c.db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixProduct), PrefixEnd([]byte(prefixProduct)), func(_, _ []byte) error { n++; return nil })
	})
	return n, err
}

// SaveProduct writes p and its created/updated event in one atomic update.
func (c *Catalog) SaveProduct(ctx context.Context, p catalog.Product) error {
	return c.db.Update(ctx, func(tx *Tx) error { return SaveProductTx(tx, p) })
}

// SaveProductTx writes p and its created/updated event inside an update: the product
// record (with CategoryPath set from the stored categories), its slug, SKU, variant and
// listing rows, and the stock row (set to Variant.Stock) of every variant. What the stored
// version had and p has not (variants, SKUs, slug, listing rows) is removed. A slug or SKU
// of another product is refused with catalog.ErrSlugTaken or catalog.ErrSKUTaken: the
// service checks first, so this guards bulk writers such as the demo seeder.
func SaveProductTx(tx *Tx, p catalog.Product) error {
	path, err := categoryPath(tx, p.CategoryID)
	if err != nil {
		return err
	}
	p.CategoryPath = path
	return saveProduct(tx, tx, p, true)
}

// saveProduct is SaveProductTx for a p whose CategoryPath is set, reading through r (tx or
// the update's memo); writeStock false leaves the stock rows alone (a product filed under a
// moved category is rewritten without touching its stock).
func saveProduct(tx *Tx, r getter, p catalog.Product, writeStock bool) error {
	typ := catalog.EventProductUpdated
	var old catalog.Product
	exists := true
	if err := getJSON(r, productKey(p.ID), &old); errors.Is(err, ErrNotFound) {
		typ, exists = catalog.EventProductCreated, false
	} else if err != nil {
		return err
	}
	if p.Images == nil {
		p.Images = []catalog.Image{}
	}
	if len(p.Options) == 0 {
		p.Options = catalog.OptionsOf(p.Variants) // a bulk writer's product (the service sets them)
	}

	// Slug.
	if err := moveSlug(tx, r, productSlugKey, productRedirectKey, p.ID, old.Slug, p.Slug); err != nil { // old is zero when new
		return err
	}

	// Variants, SKUs and stock. Rows of dropped variants go first, so a SKU moved from a
	// dropped variant to a new one ends up pointing at the new one.
	keep := make(map[string]bool, len(p.Variants))
	keepSKU := make(map[string]bool, len(p.Variants))
	for _, v := range p.Variants {
		keep[v.ID] = true
		keepSKU[strings.ToUpper(v.SKU)] = true
	}
	ours := make(map[string]bool, len(old.Variants)+len(p.Variants))
	for _, v := range old.Variants {
		ours[v.ID] = true
		if !keep[v.ID] {
			tx.Delete(variantKey(v.ID))
			if err := dropVariantStock(tx, v.ID); err != nil {
				return err
			}
		}
		if v.SKU != "" && !keepSKU[strings.ToUpper(v.SKU)] {
			tx.Delete(skuKey(v.SKU))
		}
	}
	rec := p
	rec.Variants = make([]catalog.Variant, len(p.Variants))
	for i, v := range p.Variants {
		fresh := !ours[v.ID] // not a variant of the stored product
		ours[v.ID] = true
		if owner, err := r.Get(variantKey(v.ID)); err == nil && string(owner) != p.ID {
			return fmt.Errorf("store: variant %s belongs to product %s", v.ID, owner)
		}
		tx.Set(variantKey(v.ID), []byte(p.ID))
		if v.SKU != "" {
			if owner, err := skuOwner(r, v.SKU); err != nil {
				return err
			} else if owner != "" && owner != p.ID {
				return catalog.ErrSKUTaken.WithDetails(map[string]any{"sku": v.SKU})
			}
			tx.Set(skuKey(v.SKU), []byte(v.ID))
		}
		if writeStock {
			if err := setCatalogStock(tx, v.ID, v.SKU, v.Stock, fresh); err != nil { // store/inventory_store.go
				return err
			}
		}
		v.Stock = 0 // the stock row is the truth
		v.OnSale = catalog.OnSaleOf(v)
		rec.Variants[i] = v
	}

	// Listing rows.
	newRows := listRowKeys(p)
	if exists {
		fresh := make(map[string]bool, len(newRows))
		for _, k := range newRows {
			fresh[string(k)] = true
		}
		for _, k := range listRowKeys(old) {
			if !fresh[string(k)] {
				tx.Delete(k)
			}
		}
	}
	val := listRowValue(p)
	for _, k := range newRows {
		tx.Set(k, val)
	}
	tx.Set(productVariantsKey(p.ID), variantIDs(p))

	if err := putJSON(tx, productKey(p.ID), rec); err != nil {
		return err
	}
	ev, err := commerce.NewEvent(typ, p.ID, p.UpdatedAt, p)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

// skuOwner returns the ID of the product whose variant has sku, or "".
func skuOwner(r getter, sku string) (string, error) {
	vid, err := r.Get(skuKey(sku))
	if errors.Is(err, ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	pid, err := r.Get(variantKey(string(vid)))
	if errors.Is(err, ErrNotFound) {
		return "", nil // a row left by a variant that is gone: free
	} else if err != nil {
		return "", err
	}
	return string(pid), nil
}

// DeleteProductTx removes a product and every row that belongs to it (slug, SKUs, variants,
// stock, listing rows) inside an update, and emits catalog.product_deleted.
func DeleteProductTx(tx *Tx, id string) error {
	var p catalog.Product
	if err := getJSON(tx, productKey(id), &p); errors.Is(err, ErrNotFound) {
		return catalog.ErrProductNotFound
	} else if err != nil {
		return err
	}
	if p.Slug != "" {
		if owner, err := tx.Get(productSlugKey(p.Slug)); err == nil && string(owner) == id {
			tx.Delete(productSlugKey(p.Slug))
		}
	}
	for _, v := range p.Variants {
		tx.Delete(variantKey(v.ID))
		if err := dropVariantStock(tx, v.ID); err != nil {
			return err
		}
		if v.SKU != "" {
			if vid, err := tx.Get(skuKey(v.SKU)); err == nil && string(vid) == v.ID {
				tx.Delete(skuKey(v.SKU))
			}
		}
	}
	for _, k := range listRowKeys(p) {
		tx.Delete(k)
	}
	tx.Delete(productVariantsKey(id))
	tx.Delete(productKey(id))
	ev, err := commerce.NewEvent(catalog.EventProductDeleted, id, time.Now(), map[string]string{"id": id})
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

// categoryPath returns the ancestry of category id, root first and id last. A category that
// is not stored (bulk imports may file products under a bare key) is its own whole path.
func categoryPath(r getter, id string) ([]string, error) {
	if id == "" {
		return nil, nil
	}
	var path []string
	for cur := id; cur != "" && len(path) <= catalog.MaxCategoryDepth; {
		var c catalog.Category
		if err := getJSON(r, categoryKey(cur), &c); errors.Is(err, ErrNotFound) {
			if len(path) == 0 {
				path = append(path, cur)
			}
			break
		} else if err != nil {
			return nil, err
		}
		if slices.Contains(path, cur) {
			break // a loop in a damaged tree
		}
		path = append(path, cur)
		cur = c.ParentID
	}
	slices.Reverse(path)
	return path, nil
}

// Listing rows.

const (
	listAllStatuses   = "*" // status part of rows listing every status
	listWholeScope    = "-" // scope part of rows listing the whole catalog
	listFeaturedScope = "+" // scope part of rows listing the featured products (IDs never start with '+')
	orderCreated      = 't'
	orderPrice        = 'p'
	orderTitle        = 'n'
	titleKeyLen       = 64 // bytes of the lower-cased title kept in title-order keys
)

func listPrefix(status, scope string, order byte) []byte {
	return append(Key(prefixProductList, status, scope, string(order)), '/')
}

// listRowKeys returns every listing row key of p.
func listRowKeys(p catalog.Product) [][]byte {
	statuses := []string{listAllStatuses}
	if p.Status != "" {
		statuses = append(statuses, p.Status)
	}
	scopes := []string{listWholeScope}
	if len(p.CategoryPath) > 0 {
		scopes = append(scopes, p.CategoryPath...)
	} else if p.CategoryID != "" {
		scopes = append(scopes, p.CategoryID)
	}
	if p.Featured {
		scopes = append(scopes, listFeaturedScope)
	}
	out := make([][]byte, 0, len(statuses)*len(scopes)*3)
	for _, st := range statuses {
		for _, sc := range scopes {
			for _, o := range []byte{orderCreated, orderPrice, orderTitle} {
				out = append(out, append(listPrefix(st, sc, o), listSortKey(p, o)...))
			}
		}
	}
	return out
}

// listSortKey is the part of a listing row key after its prefix: the sort value, then the
// product ID so keys are unique.
func listSortKey(p catalog.Product, order byte) []byte {
	var b []byte
	switch order {
	case orderCreated:
		b = binary.BigEndian.AppendUint64(b, orderedInt(p.CreatedAt.UnixMicro()))
	case orderPrice:
		b = binary.BigEndian.AppendUint64(b, orderedInt(minPrice(p)))
	case orderTitle:
		t := strings.ToLower(p.Title)
		if len(t) > titleKeyLen {
			n := titleKeyLen
			for n > 0 && !utf8.RuneStart(t[n]) {
				n--
			}
			t = t[:n]
		}
		b = append(b, strings.ReplaceAll(t, "\x00", "")...)
		b = append(b, 0)
	}
	return append(b, p.ID...)
}

// orderedInt maps an int64 to a uint64 with the same order.
func orderedInt(v int64) uint64 { return uint64(v) ^ 1<<63 }

func minPrice(p catalog.Product) int64 {
	if len(p.Variants) == 0 {
		return 0
	}
	return p.MinPrice().Amount
}

// listRowValue is the value of every listing row of p: the lowest price (8 bytes) and the
// product ID.
func listRowValue(p catalog.Product) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(p.ID)), orderedInt(minPrice(p)))
	return append(b, p.ID...)
}

// parseListRow returns the parts of a listing row value.
func parseListRow(v []byte) (price int64, id string, err error) {
	if len(v) < 9 {
		return 0, "", fmt.Errorf("store: listing row: %w", ErrCodec)
	}
	return int64(binary.BigEndian.Uint64(v) ^ 1<<63), string(v[8:]), nil
}

// variantIDs is the value of a product's catalog/pvariants row: its variant IDs separated
// by commas.
func variantIDs(p catalog.Product) []byte {
	var b []byte
	for i, v := range p.Variants {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v.ID...)
	}
	return b
}

// listOrder maps a sort order to its rows and direction.
func listOrder(sort string) (order byte, reverse bool, code byte, ok bool) {
	switch sort {
	case catalog.SortNewest:
		return orderCreated, true, 1, true
	case catalog.SortOldest:
		return orderCreated, false, 2, true
	case catalog.SortPriceAsc:
		return orderPrice, false, 3, true
	case catalog.SortPriceDesc:
		return orderPrice, true, 4, true
	case catalog.SortTitleAsc:
		return orderTitle, false, 5, true
	case catalog.SortTitleDesc:
		return orderTitle, true, 6, true
	}
	return 0, false, 0, false
}

// ListProducts returns one page of the products matching f. The cursor is the sort key of
// the page's last row, so pages stay stable while products are added or removed.
func (c *Catalog) ListProducts(ctx context.Context, f catalog.ListFilter) (commerce.List[catalog.Product], error) {
	out := commerce.List[catalog.Product]{Items: []catalog.Product{}}
	err := c.db.View(ctx, func(r *Reader) error {
		ids, next, err := listPage(r, f)
		if err != nil {
			return err
		}
		out.NextCursor = next
		for _, id := range ids {
			p, err := productTx(r, id)
			if errors.Is(err, catalog.ErrProductNotFound) {
				continue
			} else if err != nil {
				return err
			}
			out.Items = append(out.Items, p)
		}
		return nil
	})
	if err != nil {
		return commerce.List[catalog.Product]{}, err
	}
	return out, nil
}

// ListProductDocuments is ListProducts with the products as JSON documents.
func (c *Catalog) ListProductDocuments(ctx context.Context, f catalog.ListFilter) (catalog.DocumentList, error) {
	var out catalog.DocumentList
	err := c.db.View(ctx, func(r *Reader) error {
		ids, next, err := listPage(r, f)
		if err != nil {
			return err
		}
		out.NextCursor = next
		out.Items, err = documentsTx(r, ids)
		return err
	})
	return out, err
}

// listPage returns the IDs of one page of the products matching f and the cursor of the
// next page ("" on the last one).
func listPage(r *Reader, f catalog.ListFilter) (ids []string, next string, err error) {
	order, reverse, code, ok := listOrder(f.Sort)
	if !ok {
		return nil, "", commerce.Invalid(commerce.FieldError{Field: "sort", Message: "unknown sort order"})
	}
	limit := commerce.Page{Limit: f.Limit}.Normalize().Limit
	status := f.Status
	if status == catalog.StatusAny || status == "" {
		status = listAllStatuses
	}
	scope := f.CategoryID
	switch {
	case f.Featured && scope != "":
		return nil, "", commerce.Invalid(commerce.FieldError{Field: "category", Message: "cannot be combined with featured"})
	case f.Featured:
		scope = listFeaturedScope
	case scope == "":
		scope = listWholeScope
	}
	prefix := listPrefix(status, scope, order)
	lower, upper := prefix, PrefixEnd(prefix)
	if order == orderPrice {
		if f.MinPrice != nil {
			lower = binary.BigEndian.AppendUint64(bytes.Clone(prefix), orderedInt(*f.MinPrice))
		}
		if f.MaxPrice != nil && *f.MaxPrice < 1<<62 {
			upper = binary.BigEndian.AppendUint64(bytes.Clone(prefix), orderedInt(*f.MaxPrice+1))
		}
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(raw) < 2 || raw[0] != code {
			return nil, "", catalog.ErrInvalidCursor
		}
		at := append(bytes.Clone(prefix), raw[1:]...)
		if reverse {
			if bytes.Compare(at, upper) < 0 {
				upper = at
			}
		} else if at = append(at, 0); bytes.Compare(at, lower) > 0 {
			lower = at
		}
	}
	ids = make([]string, 0, limit)
	var last []byte
	more := false
	scan := r.Scan
	if reverse {
		scan = r.ScanReverse
	}
	err = scan(lower, upper, func(k, v []byte) error {
		price, id, err := parseListRow(v)
		if err != nil {
			return fmt.Errorf("%w: key %q", err, k)
		}
		if (f.MinPrice != nil && price < *f.MinPrice) || (f.MaxPrice != nil && price > *f.MaxPrice) {
			return nil
		}
		if f.InStock != nil {
			variants, err := r.Get(productVariantsKey(id))
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			in, err := anyInStock(r, variants)
			if err != nil {
				return err
			}
			if in != *f.InStock {
				return nil
			}
		}
		if len(ids) == limit {
			more = true
			return ErrStop
		}
		ids = append(ids, id)
		last = append(last[:0], k[len(prefix):]...)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if more {
		next = base64.RawURLEncoding.EncodeToString(append([]byte{code}, last...))
	}
	return ids, next, nil
}

// anyInStock reports whether any of the comma-separated variants has units available.
func anyInStock(r getter, variants []byte) (bool, error) {
	for len(variants) > 0 {
		id := variants
		if i := bytes.IndexByte(variants, ','); i >= 0 {
			id, variants = variants[:i], variants[i+1:]
		} else {
			variants = nil
		}
		n, err := stockOf(r, string(id))
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Categories.

// Category returns a category by ID.
func (c *Catalog) Category(ctx context.Context, id string) (catalog.Category, error) {
	var cat catalog.Category
	err := c.db.View(ctx, func(r *Reader) (err error) { cat, err = categoryTx(r, id); return err })
	return cat, err
}

// CategoryBySlug returns a category by slug.
func (c *Catalog) CategoryBySlug(ctx context.Context, slug string) (catalog.Category, error) {
	return viewBySlug(ctx, c.db, categorySlugKey(slug), catalog.ErrCategoryNotFound, categoryTx)
}

// Categories returns every category in ID order.
func (c *Catalog) Categories(ctx context.Context) ([]catalog.Category, error) {
	var out []catalog.Category
	err := c.db.View(ctx, func(r *Reader) (err error) { out, err = categoriesTx(r.Scan); return err })
	return out, err
}

func categoryTx(r getter, id string) (catalog.Category, error) {
	var c catalog.Category
	if err := getJSON(r, categoryKey(id), &c); errors.Is(err, ErrNotFound) {
		return c, catalog.ErrCategoryNotFound
	} else if err != nil {
		return c, err
	}
	return c, nil
}

func categoriesTx(scan func(lower, upper []byte, fn func(k, v []byte) error) error) ([]catalog.Category, error) {
	out := []catalog.Category{}
	err := scan([]byte(prefixCategory), PrefixEnd([]byte(prefixCategory)), func(k, v []byte) error {
		var c catalog.Category
		if err := decode(v, &c); err != nil {
			return fmt.Errorf("store: category %s: %w", k[len(prefixCategory):], err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// SaveCategoryTx writes c and its created/updated event inside an update, with its slug row.
// When c moved to another parent, every product filed under it is rewritten with its new
// category path (and emits catalog.product_updated) in the same update.
func SaveCategoryTx(tx *Tx, c catalog.Category) error {
	typ := catalog.EventCategoryUpdated
	var old catalog.Category
	exists := true
	if err := getJSON(tx, categoryKey(c.ID), &old); errors.Is(err, ErrNotFound) {
		typ, exists = catalog.EventCategoryCreated, false
	} else if err != nil {
		return err
	}
	if err := moveSlug(tx, tx, categorySlugKey, categoryRedirectKey, c.ID, old.Slug, c.Slug); err != nil { // old is zero when new
		return err
	}
	// Products under c, found before c moves (their rows are filed under c either way).
	var moved []string
	if exists && old.ParentID != c.ParentID {
		prefix := listPrefix(listAllStatuses, c.ID, orderCreated)
		err := tx.Scan(prefix, PrefixEnd(prefix), func(_, v []byte) error {
			_, id, err := parseListRow(v)
			moved = append(moved, id)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := putJSON(tx, categoryKey(c.ID), c); err != nil {
		return err
	}
	ev, err := commerce.NewEvent(typ, c.ID, c.UpdatedAt, c)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	for _, id := range moved {
		p, err := productTx(tx, id)
		if err != nil {
			return err
		}
		p.UpdatedAt = c.UpdatedAt
		if p.CategoryPath, err = categoryPath(tx, p.CategoryID); err != nil {
			return err
		}
		if err := saveProduct(tx, tx, p, false); err != nil {
			return err
		}
	}
	return nil
}

// Update runs fn as one atomic store update.
func (c *Catalog) Update(ctx context.Context, fn func(catalog.Tx) error) error {
	return c.db.Update(ctx, func(tx *Tx) error { return fn(catalogTx{tx: tx, r: newUpdateReads(tx)}) })
}

// catalogTx is catalog.Tx on a store update. Its reads go through r, the update's memo
// (nil: straight to tx).
type catalogTx struct {
	tx *Tx
	r  *updateReads
}

func (t catalogTx) reads() getter {
	if t.r == nil {
		return t.tx
	}
	return t.r
}

func (t catalogTx) Product(id string) (catalog.Product, error) { return productTx(t.reads(), id) }

func (t catalogTx) ProductIDBySlug(slug string) (string, error) {
	return rawOrEmpty(t.reads(), productSlugKey(slug))
}

func (t catalogTx) ProductIDBySKU(sku string) (string, error) { return skuOwner(t.reads(), sku) }

func (t catalogTx) Category(id string) (catalog.Category, error) { return categoryTx(t.reads(), id) }

func (t catalogTx) CategoryIDBySlug(slug string) (string, error) {
	return rawOrEmpty(t.reads(), categorySlugKey(slug))
}

func (t catalogTx) Categories() ([]catalog.Category, error) { return categoriesTx(t.tx.Scan) }

func (t catalogTx) CategoryHasProducts(id string) (bool, error) {
	prefix := listPrefix(listAllStatuses, id, orderCreated)
	found := false
	err := t.tx.Scan(prefix, PrefixEnd(prefix), func(_, _ []byte) error { found = true; return ErrStop })
	return found, err
}

func (t catalogTx) SaveProduct(p *catalog.Product) error {
	var path []string
	var err error
	if t.r != nil {
		path, err = t.r.categoryPath(p.CategoryID)
	} else {
		path, err = categoryPath(t.tx, p.CategoryID)
	}
	if err != nil {
		return err
	}
	p.CategoryPath = slices.Clone(path)
	if err := saveProduct(t.tx, t.reads(), *p, true); err != nil {
		return err
	}
	return t.auditSummary(p)
}

func (t catalogTx) DeleteProduct(id string) error { return DeleteProductTx(t.tx, id) }

func (t catalogTx) SaveCategory(c catalog.Category) error {
	if t.r != nil {
		t.r.categoriesChanged()
	}
	return SaveCategoryTx(t.tx, c)
}

func (t catalogTx) DeleteCategory(id string) error {
	if t.r != nil {
		t.r.categoriesChanged()
	}
	c, err := categoryTx(t.tx, id)
	if err != nil {
		return err
	}
	if c.Slug != "" {
		if owner, err := t.tx.Get(categorySlugKey(c.Slug)); err == nil && string(owner) == id {
			t.tx.Delete(categorySlugKey(c.Slug))
		}
	}
	t.tx.Delete(categoryKey(id))
	ev, err := commerce.NewEvent(catalog.EventCategoryDeleted, id, time.Now(), map[string]string{"id": id})
	if err != nil {
		return err
	}
	t.tx.Emit(ev)
	return nil
}

// rawOrEmpty returns the value at key as a string, "" when there is none.
func rawOrEmpty(r getter, key []byte) (string, error) {
	v, err := r.Get(key)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(v), err
}
