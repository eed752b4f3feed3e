package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Catalog is the Pebble implementation of catalog.Repository.
type Catalog struct{ db *DB }

// NewCatalog returns the catalog repository on db.
func NewCatalog(db *DB) *Catalog { return &Catalog{db: db} }

var _ catalog.Repository = (*Catalog)(nil)

func productKey(id string) []byte { return Key(prefixProduct, id) }
func variantKey(id string) []byte { return Key(prefixVariant, id) }

// Product returns the product with the given ID.
func (c *Catalog) Product(ctx context.Context, id string) (catalog.Product, error) {
	var p catalog.Product
	err := c.db.View(ctx, func(r *Reader) (err error) { p, err = productTx(r, id); return err })
	return p, err
}

// productTx reads a product with its variants' current stock, or catalog.ErrProductNotFound.
func productTx(r getter, id string) (catalog.Product, error) {
	var p catalog.Product
	if err := getJSON(r, productKey(id), &p); errors.Is(err, ErrNotFound) {
		return p, catalog.ErrProductNotFound
	} else if err != nil {
		return p, err
	}
	return p, fillStock(r, &p)
}

// fillStock sets each variant's Stock from its stock row, and Images to [] when empty.
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
	return nil
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
			return catalog.VariantRef{ProductID: p.ID, ProductSlug: p.Slug, ProductTitle: p.Title, ProductStatus: p.Status, Variant: v}, nil
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
// record, a variant index row and the stock row (set to Variant.Stock) of every variant.
// Variants the stored product had and p has not lose their index and stock rows.
func SaveProductTx(tx *Tx, p catalog.Product) error {
	typ := catalog.EventProductUpdated
	var old catalog.Product
	if err := getJSON(tx, productKey(p.ID), &old); errors.Is(err, ErrNotFound) {
		typ = catalog.EventProductCreated
	} else if err != nil {
		return err
	}
	if p.Images == nil {
		p.Images = []catalog.Image{}
	}
	keep := make(map[string]bool, len(p.Variants))
	rec := p
	rec.Variants = make([]catalog.Variant, len(p.Variants))
	for i, v := range p.Variants {
		keep[v.ID] = true
		if owner, err := tx.Get(variantKey(v.ID)); err == nil && string(owner) != p.ID {
			return fmt.Errorf("store: variant %s belongs to product %s", v.ID, owner)
		}
		tx.Set(variantKey(v.ID), []byte(p.ID))
		if err := setStock(tx, v.ID, v.Stock); err != nil {
			return err
		}
		v.Stock = 0 // the stock row is the truth
		rec.Variants[i] = v
	}
	for _, v := range old.Variants {
		if !keep[v.ID] {
			tx.Delete(variantKey(v.ID))
			tx.Delete(stockKey(v.ID))
		}
	}
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
