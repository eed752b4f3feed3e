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

// Product returns the product with the given ID.
func (c *Catalog) Product(ctx context.Context, id string) (catalog.Product, error) {
	var p catalog.Product
	err := c.db.View(ctx, func(r *Reader) error { return getJSON(r, productKey(id), &p) })
	if errors.Is(err, ErrNotFound) {
		return p, catalog.ErrProductNotFound
	}
	return p, err
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

// SaveProductTx writes p and its created/updated event inside an update.
func SaveProductTx(tx *Tx, p catalog.Product) error {
	typ := catalog.EventProductUpdated
	if _, err := tx.Get(productKey(p.ID)); errors.Is(err, ErrNotFound) {
		typ = catalog.EventProductCreated
	} else if err != nil {
		return err
	}
	if err := putJSON(tx, productKey(p.ID), p); err != nil {
		return err
	}
	ev, err := commerce.NewEvent(typ, p.ID, p.UpdatedAt, p)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}
