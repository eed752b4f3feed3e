package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// Payments is the Pebble implementation of payments.Store.
type Payments struct{ db *DB }

// NewPayments returns the payment store on db.
func NewPayments(db *DB) *Payments { return &Payments{db: db} }

var _ payments.Store = (*Payments)(nil)

func paymentKey(id string) []byte { return Key(prefixPayment, id) }
func paymentByOrderKey(orderID, id string) []byte {
	return Key(prefixPaymentByOrder, orderID, id)
}
func paymentByExternalKey(method, externalID string) []byte {
	return Key(prefixPaymentByExternal, method, externalID)
}
func paymentNotifiedKey(provider, eventID string) []byte {
	return Key(prefixPaymentNotified, provider, eventID)
}

// paymentRecord is a payment as stored: with its stored-value source, which the API never
// shows (a gift card code) but a refund to the original method needs.
type paymentRecord struct {
	payments.Payment
	Source *payments.Source `json:"source,omitempty"`
}

// paymentOf reads a payment, or payments.ErrNotFound.
func paymentOf(r getter, id string) (payments.Payment, error) {
	var rec paymentRecord
	if err := getJSON(r, paymentKey(id), &rec); errors.Is(err, ErrNotFound) {
		return payments.Payment{}, payments.ErrNotFound
	} else if err != nil {
		return payments.Payment{}, err
	}
	p := rec.Payment
	p.Source = rec.Source
	return p, nil
}

// putPayment writes p and its index rows; prev is the stored payment it replaces, nil for
// a new one.
func putPayment(tx *Tx, p payments.Payment, prev *payments.Payment) error {
	if err := putJSON(tx, paymentKey(p.ID), paymentRecord{Payment: p, Source: p.Source}); err != nil {
		return err
	}
	if prev == nil {
		tx.Set(paymentByOrderKey(p.OrderID, p.ID), nil)
	}
	if p.ExternalID != "" && (prev == nil || prev.ExternalID != p.ExternalID) {
		tx.Set(paymentByExternalKey(p.Method, p.ExternalID), []byte(p.ID))
	}
	return nil
}

// Payment returns a payment by ID.
func (s *Payments) Payment(ctx context.Context, id string) (payments.Payment, error) {
	var p payments.Payment
	err := s.db.View(ctx, func(r *Reader) (err error) { p, err = paymentOf(r, id); return err })
	return p, err
}

// OrderPayments returns an order's payments, oldest first.
func (s *Payments) OrderPayments(ctx context.Context, orderID string) ([]payments.Payment, error) {
	out := []payments.Payment{}
	prefix := Key(prefixPaymentByOrder, orderID, "")
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
			p, err := paymentOf(r, string(k[len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// Update runs fn as one atomic, durable update.
func (s *Payments) Update(ctx context.Context, fn func(payments.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(paymentTx{ledgerTx{tx}}) })
}

// paymentTx is payments.Tx on an update; the ledger moves stored value in it.
type paymentTx struct{ ledgerTx }

func (t paymentTx) Payment(id string) (payments.Payment, error) { return paymentOf(t.tx, id) }
func (t paymentTx) PutPayment(p payments.Payment, prev *payments.Payment) error {
	return putPayment(t.tx, p, prev)
}
func (t paymentTx) Emit(ev commerce.Event) { t.tx.Emit(ev) }

// PaymentByExternal finds a payment by its gateway's ID.
func (t paymentTx) PaymentByExternal(method, externalID string) (payments.Payment, error) {
	id, err := t.tx.Get(paymentByExternalKey(method, externalID))
	if errors.Is(err, ErrNotFound) {
		return payments.Payment{}, payments.ErrNotFound
	} else if err != nil {
		return payments.Payment{}, err
	}
	return paymentOf(t.tx, string(id))
}

// Order is the payment side of an order.
func (t paymentTx) Order(id string) (payments.OrderRef, error) {
	o, err := orderOf(t.tx, id)
	if err != nil {
		return payments.OrderRef{}, err
	}
	return orderRefOf(o), nil
}

// orderRefOf is what payments know of o.
func orderRefOf(o orders.Order) payments.OrderRef {
	return payments.OrderRef{ID: o.ID, Number: o.Number, UserID: o.UserID, Email: o.Email, Total: o.Total,
		PaymentMethod: o.PaymentMethod, PaymentID: o.PaymentID, PaymentStatus: o.PaymentStatus, Closed: o.Status == orders.StatusCancelled}
}

// RecordOrderPayment applies a payment to its order (orders.Order.RecordPayment) and, when
// the order becomes paid, counts it for the card that paid (screenPaidCard: it may hold the
// order for review) and commits the stock it reserved (not for a cancelled order, whose
// stock went back when it was cancelled).
func (t paymentTx) RecordOrderPayment(orderID, paymentID, status string, now time.Time, actor string) error {
	prev, err := orderOf(t.tx, orderID)
	if err != nil {
		return err
	}
	o := prev
	paid := status == orders.PaymentPaid && prev.PaymentStatus != orders.PaymentPaid
	if paid {
		if err := screenPaidCard(t.tx, &o, paymentID, now); err != nil {
			return err
		}
	}
	evs, err := o.RecordPayment(paymentID, status, now, actor)
	if err != nil || o.Version == prev.Version {
		return err
	}
	if err := putOrder(t.tx, o, &prev); err != nil {
		return err
	}
	for _, ev := range evs {
		t.tx.Emit(ev)
	}
	if paid && o.Status != orders.StatusCancelled {
		return commitOrderStock(t.tx, o)
	}
	return nil
}

// Notified tells whether a gateway event was applied, and to which payment.
func (t paymentTx) Notified(provider, eventID string) (string, bool, error) {
	id, err := t.tx.Get(paymentNotifiedKey(provider, eventID))
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	return string(id), true, nil
}

// PutNotified records a gateway event as applied.
func (t paymentTx) PutNotified(provider, eventID, paymentID string) error {
	t.tx.Set(paymentNotifiedKey(provider, eventID), []byte(paymentID))
	return nil
}

func paymentRefundDueKey(paymentID, refundID string) []byte {
	return Key(prefixPaymentRefundDue, paymentID, refundID)
}

// SetDueRefund marks an automatic refund due at its gateway, or no longer due.
func (t paymentTx) SetDueRefund(d payments.DueRefund, due bool) error {
	if due {
		t.tx.Set(paymentRefundDueKey(d.PaymentID, d.RefundID), nil)
	} else {
		t.tx.Delete(paymentRefundDueKey(d.PaymentID, d.RefundID))
	}
	return nil
}

// DueRefunds lists the automatic refunds due at their gateway: of one payment, or of
// every payment when paymentID is "".
func (s *Payments) DueRefunds(ctx context.Context, paymentID string) ([]payments.DueRefund, error) {
	prefix := []byte(prefixPaymentRefundDue)
	if paymentID != "" {
		prefix = Key(prefixPaymentRefundDue, paymentID, "")
	}
	var out []payments.DueRefund
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
			parts := strings.Split(string(k[len(prefixPaymentRefundDue):]), "/")
			if len(parts) != 2 {
				return fmt.Errorf("store: due refund key %q", k)
			}
			out = append(out, payments.DueRefund{PaymentID: parts[0], RefundID: parts[1]})
			return nil
		})
	})
	return out, err
}

// cancelOrderPayments cancels the open payments (pending or authorized, any method) of
// order o, which the update cancels: payments.cancelled for each, by the update's actor.
// A payment whose money arrives later is refunded (payments.Service.Notify).
func cancelOrderPayments(tx *Tx, o orders.Order) error {
	prefix := Key(prefixPaymentByOrder, o.ID, "")
	var ids []string
	if err := tx.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
		ids = append(ids, string(k[len(prefix):]))
		return nil
	}); err != nil {
		return err
	}
	// The payments are cancelled by whoever cancelled the order, when it did.
	now, actor := time.Now().UTC(), txActor(tx)
	if n := len(o.History); n > 0 {
		now, actor = o.History[n-1].At, o.History[n-1].Actor
	}
	for _, id := range ids {
		p, err := paymentOf(tx, id)
		if err != nil {
			return err
		}
		prev := p
		ev, ok, err := payments.CancelOpen(&p, now, actor)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := putPayment(tx, p, &prev); err != nil {
			return err
		}
		tx.Emit(ev)
	}
	return nil
}
