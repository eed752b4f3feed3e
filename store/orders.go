package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Orders is the Pebble implementation of orders.Store.
type Orders struct{ db *DB }

// NewOrders returns the order store on db.
func NewOrders(db *DB) *Orders { return &Orders{db: db} }

var _ orders.Store = (*Orders)(nil)

func orderKey(id string) []byte                 { return Key(prefixOrder, id) }
func orderByUserKey(userID, id string) []byte   { return Key(prefixOrderByUser, userID, id) }
func orderByStatusKey(status, id string) []byte { return Key(prefixOrderByStatus, status, id) }
func orderByNumberKey(n int64) []byte           { return Uint64Key(prefixOrderByNumber, uint64(n)) }

// Order returns an order by ID.
func (s *Orders) Order(ctx context.Context, id string) (orders.Order, error) {
	var o orders.Order
	err := s.db.View(ctx, func(r *Reader) (err error) { o, err = orderOf(r, id); return err })
	return o, err
}

// OrderByNumber returns an order by its number.
func (s *Orders) OrderByNumber(ctx context.Context, n int64) (orders.Order, error) {
	var o orders.Order
	err := s.db.View(ctx, func(r *Reader) error {
		id, err := r.Get(orderByNumberKey(n))
		if errors.Is(err, ErrNotFound) {
			return orders.ErrNotFound
		} else if err != nil {
			return err
		}
		o, err = orderOf(r, string(id))
		return err
	})
	return o, err
}

// errOrderCursor is returned for an order list cursor this store did not make.
var errOrderCursor = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "store: invalid cursor"}

// ListOrders returns a page of orders matching f, newest first. Order IDs are time-ordered,
// so each list is a reverse scan of one keyspace: the user index, the status index or the
// orders themselves. The cursor is the last ID of the previous page, base64url-encoded.
func (s *Orders) ListOrders(ctx context.Context, f orders.Filter, page commerce.Page) (commerce.List[orders.Order], error) {
	var prefix []byte
	idOnly := true // index rows: the order ID is the key's last part
	switch {
	case f.UserID != "":
		prefix = Key(prefixOrderByUser, f.UserID, "")
	case f.Status != "":
		prefix = Key(prefixOrderByStatus, f.Status, "")
	default:
		prefix, idOnly = []byte(prefixOrder), false
	}
	return pageRows(ctx, s.db, prefix, page, true, errOrderCursor,
		func(last []byte) bool { return commerce.ValidID(string(last)) },
		func(r *Reader, id, v []byte) (orders.Order, bool, error) {
			var o orders.Order
			if idOnly {
				var err error
				if o, err = orderOf(r, string(id)); err != nil {
					return o, false, err
				}
			} else if err := decode(v, &o); err != nil {
				return o, false, fmt.Errorf("store: order %s: %w", id, err)
			}
			// A customer's status filter runs over their own index.
			return o, f.Status == "" || o.Status == f.Status, nil
		})
}

// Update runs fn as one atomic update.
func (s *Orders) Update(ctx context.Context, fn func(orders.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(orderTx{tx}) })
}

type orderTx struct{ tx *Tx }

func (o orderTx) Order(id string) (orders.Order, error) { return orderOf(o.tx, id) }
func (o orderTx) Emit(ev commerce.Event)                { o.tx.Emit(ev) }

// PutOrder writes an order change; an order cancelled by it cancels its open payments in
// the same update.
func (o orderTx) PutOrder(v, prev orders.Order) error {
	if v.Status == orders.StatusCancelled && prev.Status != orders.StatusCancelled {
		if err := cancelOrderPayments(o.tx, v); err != nil {
			return err
		}
	}
	return putOrder(o.tx, v, &prev)
}

// ReleaseStock gives back every line's units.
func (o orderTx) ReleaseStock(v orders.Order, reason string) error {
	return releaseOrderStock(o.tx, v, reason)
}

// CommitStock makes the stock the order holds sold.
func (o orderTx) CommitStock(v orders.Order) error { return commitOrderStock(o.tx, v) }

// NextInvoiceNumber takes the next number of year's invoice counter and indexes it to the
// order, in the issuing update: a failed issue leaves no gap.
func (o orderTx) NextInvoiceNumber(year int, orderID string) (int64, error) {
	if year < 0 {
		return 0, fmt.Errorf("store: invoice year %d", year)
	}
	n, err := nextSeq(o.tx, Uint64Key(prefixInvoiceSeq, uint64(year)))
	if err != nil {
		return 0, err
	}
	o.tx.Set(invoiceKey(year, uint64(n)), []byte(orderID))
	return n, nil
}

// invoiceKey is orders/invoice/<year BE><seq BE>.
func invoiceKey(year int, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(Uint64Key(prefixInvoice, uint64(year)), seq)
}

// Restock returns n units of a variant of the order.
func (o orderTx) Restock(v orders.Order, variantID string, n int64, reason string) error {
	return restockOrderLine(o.tx, v, variantID, n, reason)
}

// orderOf reads an order, or orders.ErrNotFound.
func orderOf(r getter, id string) (orders.Order, error) {
	var o orders.Order
	if err := getJSON(r, orderKey(id), &o); errors.Is(err, ErrNotFound) {
		return o, orders.ErrNotFound
	} else if err != nil {
		return o, err
	}
	return o, nil
}

// putOrder writes o and its index rows; prev is the stored order it replaces, nil for a new
// one (then the number and user rows are written too).
func putOrder(tx *Tx, o orders.Order, prev *orders.Order) error {
	if err := putJSON(tx, orderKey(o.ID), o); err != nil {
		return err
	}
	if prev == nil {
		tx.Set(orderByNumberKey(o.Number), []byte(o.ID))
		if o.UserID != "" {
			tx.Set(orderByUserKey(o.UserID, o.ID), nil)
		}
	} else {
		if prev.Status != o.Status {
			tx.Delete(orderByStatusKey(prev.Status, o.ID))
		}
		if o.Deleted && !prev.Deleted && o.UserID != "" {
			tx.Delete(orderByUserKey(o.UserID, o.ID)) // gone from the owner's list
		}
	}
	if prev == nil || prev.Status != o.Status {
		tx.Set(orderByStatusKey(o.Status, o.ID), nil)
	}
	return nil
}
