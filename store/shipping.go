package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/shipping"
)

// Shipping is the Pebble implementation of shipping.Repository: zones and methods, and the
// weights and prices of variants a quote needs.
type Shipping struct{ db *DB }

// NewShipping returns the shipping store on db.
func NewShipping(db *DB) *Shipping { return &Shipping{db: db} }

var _ shipping.Repository = (*Shipping)(nil)

func shippingZoneKey(id string) []byte   { return Key(prefixShippingZone, id) }
func shippingMethodKey(id string) []byte { return Key(prefixShippingMethod, id) }

// View runs fn on a snapshot.
func (s *Shipping) View(ctx context.Context, fn func(shipping.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(shippingReader{r}) })
}

// Update runs fn as one atomic update; the cached table is dropped once it returns, so the
// next quote reads what it wrote.
func (s *Shipping) Update(ctx context.Context, fn func(shipping.Tx) error) error {
	defer s.db.shipping.invalidate()
	return s.db.Update(ctx, func(tx *Tx) error { return fn(shippingTx{shippingReader{tx}, tx}) })
}

// Table returns every zone and method arranged for quoting, from memory when no write has
// happened since it was read.
func (s *Shipping) Table(ctx context.Context) (*shipping.Table, error) {
	return s.db.shippingTable(ctx)
}

// Goods reads the weight, price and status of each known variant of ids.
func (s *Shipping) Goods(ctx context.Context, ids []string) (map[string]shipping.Goods, error) {
	out := make(map[string]shipping.Goods, len(ids))
	err := s.db.View(ctx, func(r *Reader) error {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			ref, err := variantTx(r, id)
			if errors.Is(err, catalog.ErrVariantNotFound) {
				continue
			} else if err != nil {
				return err
			}
			out[id] = shipping.Goods{WeightGrams: ref.Variant.WeightGrams, Price: ref.Variant.Price, Active: ref.ProductStatus == catalog.StatusActive}
		}
		return nil
	})
	return out, err
}

type shippingReader struct{ r scanner }

func (s shippingReader) Zone(id string) (shipping.Zone, error) {
	var z shipping.Zone
	if err := getJSON(s.r, shippingZoneKey(id), &z); errors.Is(err, ErrNotFound) {
		return z, shipping.ErrZoneNotFound
	} else if err != nil {
		return z, err
	}
	return z, nil
}

func (s shippingReader) Method(id string) (shipping.Method, error) {
	var m shipping.Method
	if err := getJSON(s.r, shippingMethodKey(id), &m); errors.Is(err, ErrNotFound) {
		return m, shipping.ErrMethodNotFound
	} else if err != nil {
		return m, err
	}
	return m, nil
}

func (s shippingReader) Zones() ([]shipping.Zone, error) {
	return scanAll[shipping.Zone](s.r, prefixShippingZone)
}
func (s shippingReader) Methods() ([]shipping.Method, error) {
	return scanAll[shipping.Method](s.r, prefixShippingMethod)
}

// scanAll decodes every value of a keyspace in key order.
func scanAll[T any](r scanner, prefix string) ([]T, error) {
	out := []T{}
	err := r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(k, v []byte) error {
		var x T
		if err := decode(v, &x); err != nil {
			return fmt.Errorf("store: %s: %w", k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

type shippingTx struct {
	shippingReader
	tx *Tx
}

func (s shippingTx) PutZone(z shipping.Zone) error { return putJSON(s.tx, shippingZoneKey(z.ID), z) }
func (s shippingTx) PutMethod(m shipping.Method) error {
	return putJSON(s.tx, shippingMethodKey(m.ID), m)
}
func (s shippingTx) DeleteZone(id string) error   { s.tx.Delete(shippingZoneKey(id)); return nil }
func (s shippingTx) DeleteMethod(id string) error { s.tx.Delete(shippingMethodKey(id)); return nil }
func (s shippingTx) Emit(ev commerce.Event)       { s.tx.Emit(ev) }

// shippingCache keeps the shipping table between writes, so a quote or a checkout reads no
// zone or method row. A write drops it after its update returns; a load that raced with a
// write (the generation moved while it read) is not kept.
type shippingCache struct {
	table atomic.Pointer[shipping.Table]
	mu    sync.Mutex // orders gen changes and stores of a loaded table
	gen   uint64
}

func (c *shippingCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.table.Store(nil)
	c.mu.Unlock()
}

// shippingTable returns the cached table or loads it from a snapshot of the committed state.
func (db *DB) shippingTable(ctx context.Context) (*shipping.Table, error) {
	c := &db.shipping
	if t := c.table.Load(); t != nil {
		return t, nil
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	var zs []shipping.Zone
	var ms []shipping.Method
	err := db.View(ctx, func(r *Reader) (err error) {
		rd := shippingReader{r}
		if zs, err = rd.Zones(); err != nil {
			return err
		}
		ms, err = rd.Methods()
		return err
	})
	if err != nil {
		return nil, err
	}
	t := shipping.NewTable(zs, ms)
	c.mu.Lock()
	if c.gen == gen {
		c.table.Store(t)
	}
	c.mu.Unlock()
	return t, nil
}
