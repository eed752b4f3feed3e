package payments

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// OrderRef is what payments know of an order.
type OrderRef struct {
	ID            string
	Number        int64
	UserID        string // "" for a guest order
	Email         string
	Total         commerce.Money
	PaymentMethod string // chosen at checkout
	PaymentID     string // the current payment
	PaymentStatus string // the order's (OrderUnpaid, ...)
	Closed        bool   // cancelled: no payment may start or be captured
}

// Order payment statuses (the values of orders.Order.PaymentStatus).
const (
	OrderUnpaid            = "unpaid"
	OrderPaid              = "paid"
	OrderPartiallyRefunded = "partially_refunded"
	OrderRefunded          = "refunded"
)

// Store keeps payments; an adapter implements it on the store.
type Store interface {
	Payment(ctx context.Context, id string) (Payment, error)              // ErrNotFound when missing
	OrderPayments(ctx context.Context, orderID string) ([]Payment, error) // oldest first
	Update(ctx context.Context, fn func(Tx) error) error                  // one atomic, durable update
	// DueRefunds lists the automatic refunds recorded but not yet accepted by their gateway
	// (of one payment, or of every payment when paymentID is "").
	DueRefunds(ctx context.Context, paymentID string) ([]DueRefund, error)
}

// Tx is one atomic payments change. Ledger moves stored value in the same update.
type Tx interface {
	Ledger
	Payment(id string) (Payment, error)                           // ErrNotFound when missing
	PaymentByExternal(method, externalID string) (Payment, error) // ErrNotFound when missing
	// PutPayment writes p and its index rows; prev is the stored payment it replaces, nil
	// for a new one.
	PutPayment(p Payment, prev *Payment) error
	Order(id string) (OrderRef, error) // ENotFound order_not_found when missing
	// RecordOrderPayment applies a payment to its order by the order's own rules: PaymentID
	// and PaymentStatus are set, a PENDING order that is now paid is confirmed (its events
	// emitted) and the stock it reserved is committed.
	RecordOrderPayment(orderID, paymentID, orderPaymentStatus string, now time.Time, actor string) error
	// Notified tells whether a gateway notification was applied already, and to which payment.
	Notified(provider, eventID string) (paymentID string, ok bool, err error)
	// PutNotified records that a notification was applied, in the update that applies it.
	PutNotified(provider, eventID, paymentID string) error
	// SetDueRefund marks an automatic refund as due at its gateway (due) or no longer due,
	// in the update that records it or its gateway's answer.
	SetDueRefund(d DueRefund, due bool) error
	Emit(ev commerce.Event)
}
