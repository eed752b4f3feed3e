package store

import (
	"context"
	"errors"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Checkout is the Pebble implementation of checkout.Store: the reads and writes a checkout
// makes inside one update. The decisions are checkout.Service's.
type Checkout struct{ db *DB }

// NewCheckout returns the checkout store on db.
func NewCheckout(db *DB) *Checkout { return &Checkout{db: db} }

var _ checkout.Store = (*Checkout)(nil)

// Checkout runs fn as one atomic, durable update.
func (s *Checkout) Checkout(ctx context.Context, fn func(checkout.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(checkoutTx{tx}) })
}

type checkoutTx struct{ tx *Tx }

func (c checkoutTx) Cart(id string) (cart.Cart, error) { return cartOf(c.tx, id) }
func (c checkoutTx) Variant(id string) (catalog.VariantRef, error) {
	return variantTx(c.tx, id)
}
func (c checkoutTx) Order(id string) (orders.Order, error) { return orderOf(c.tx, id) }
func (c checkoutTx) PutOrder(o orders.Order) error {
	putVendorOrderRows(c.tx, o) // each vendor's orders: store/vendors.go
	return putOrder(c.tx, o, nil)
}
func (c checkoutTx) PutCart(v cart.Cart) error { return putCart(c.tx, v) }
func (c checkoutTx) Emit(ev commerce.Event)    { c.tx.Emit(ev) }

// NextOrderNumber increments the order number counter inside the update, so a checkout that
// fails leaves no gap.
func (c checkoutTx) NextOrderNumber() (int64, error) { return nextSeq(c.tx, []byte(keyOrderNumberSeq)) }

// nextSeq increments the counter at key (a missing one is 0) inside the update and returns
// its new value: an update that fails takes no number.
func nextSeq(tx *Tx, key []byte) (int64, error) {
	n, err := counterOf(tx, key)
	if err != nil {
		return 0, err
	}
	n++
	tx.Set(key, encodeUint64(uint64(n)))
	return n, nil
}

// Receipt returns the receipt kept under an Idempotency-Key, expired or not.
func (c checkoutTx) Receipt(idem checkout.Idempotency) (checkout.Receipt, bool, error) {
	var r checkout.Receipt
	ok, err := findJSON(c.tx, idemRowKey(prefixIdemCheckout, idem.Scope, idem.Key), &r)
	return r, ok, err
}

// findJSON decodes the value at key into v and reports whether there is one.
func findJSON(r getter, key []byte, v any) (bool, error) {
	err := getJSON(r, key, v)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PutReceipt keeps r under the key until r.ExpiresAt.
func (c checkoutTx) PutReceipt(idem checkout.Idempotency, r checkout.Receipt) error {
	k := idemRowKey(prefixIdemCheckout, idem.Scope, idem.Key)
	if err := putJSON(c.tx, k, r); err != nil {
		return err
	}
	setIdemExpiry(c.tx, k, r.ExpiresAt)
	return nil
}
