package store

import (
	"context"
	"errors"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Carts is the Pebble implementation of cart.Store.
type Carts struct{ db *DB }

// NewCarts returns the cart store on db.
func NewCarts(db *DB) *Carts { return &Carts{db: db} }

var _ cart.Store = (*Carts)(nil)

func cartKey(id string) []byte { return Key(prefixCart, id) }

// View runs fn on a snapshot.
func (s *Carts) View(ctx context.Context, fn func(cart.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(cartReader{r}) })
}

// Update runs fn as one atomic update.
func (s *Carts) Update(ctx context.Context, fn func(cart.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(cartTx{cartReader{tx}, tx}) })
}

type cartReader struct{ r getter }

func (c cartReader) Cart(id string) (cart.Cart, error) { return cartOf(c.r, id) }

func (c cartReader) Quote(variantID string) (cart.Quote, error) {
	ref, err := variantTx(c.r, variantID)
	if errors.Is(err, catalog.ErrVariantNotFound) {
		return cart.Quote{}, cart.ErrVariantNotFound
	} else if err != nil {
		return cart.Quote{}, err
	}
	v := ref.Variant
	return cart.Quote{
		VariantID: v.ID, ProductID: ref.ProductID, SKU: v.SKU, Title: ref.ProductTitle, Options: v.Options,
		Price: v.Price, Active: ref.ProductStatus == catalog.StatusActive, Stock: v.Stock,
	}, nil
}

type cartTx struct {
	cartReader
	tx *Tx
}

func (c cartTx) PutCart(v cart.Cart) error { return putCart(c.tx, v) }
func (c cartTx) Emit(ev commerce.Event)    { c.tx.Emit(ev) }

// cartOf reads a cart, or cart.ErrNotFound.
func cartOf(r getter, id string) (cart.Cart, error) {
	var c cart.Cart
	if err := getJSON(r, cartKey(id), &c); errors.Is(err, ErrNotFound) {
		return c, cart.ErrNotFound
	} else if err != nil {
		return c, err
	}
	return c, nil
}

func putCart(tx *Tx, c cart.Cart) error { return putJSON(tx, cartKey(c.ID), c) }
