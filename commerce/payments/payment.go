package payments

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Payment statuses.
const (
	StatusPending           = "pending"            // waiting for the shopper, the gateway or staff (cash)
	StatusAuthorized        = "authorized"         // held at the gateway, not yet captured
	StatusCaptured          = "captured"           // the money is ours
	StatusFailed            = "failed"             // the gateway refused it
	StatusCancelled         = "cancelled"          // given up before capture
	StatusPartiallyRefunded = "partially_refunded" // captured, part of it refunded
	StatusRefunded          = "refunded"           // captured, all of it refunded
)

// Payment is one attempt to pay an order with one method.
type Payment struct {
	ID          string            `json:"id"`
	OrderID     string            `json:"order_id"`
	OrderNumber int64             `json:"order_number"`
	UserID      string            `json:"user_id,omitempty"`
	Method      string            `json:"method"`
	Status      string            `json:"status"`
	Amount      commerce.Money    `json:"amount"`
	Captured    commerce.Money    `json:"captured"`
	Refunded    commerce.Money    `json:"refunded"`
	ExternalID  string            `json:"external_id,omitempty"`
	Action      *Action           `json:"action,omitempty"`  // what the shopper does next (gateways)
	Gateway     map[string]string `json:"gateway,omitempty"` // adapter state (Notification.Gateway)
	Source      *Source           `json:"-"`                 // stored value: where it came from
	Refunds     []Refund          `json:"refunds,omitempty"`
	Version     int64             `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Refund is money returned from a captured payment.
type Refund struct {
	ID         string         `json:"id"`
	Amount     commerce.Money `json:"amount"`
	Reason     string         `json:"reason,omitempty"`
	To         string         `json:"to"`                  // "original" or "store_credit"
	ReturnID   string         `json:"return_id,omitempty"` // the order return (RMA) it pays back
	Status     string         `json:"status"`              // pending, succeeded, failed
	ExternalID string         `json:"external_id,omitempty"`
	Actor      string         `json:"actor"`
	At         time.Time      `json:"at"`
}

// Refund statuses.
const (
	RefundPending   = "pending"   // the gateway accepted it and confirms later
	RefundSucceeded = "succeeded" // the money is back with the shopper
	RefundFailed    = "failed"
)

// Refund destinations.
const (
	ToOriginal    = "original"     // back where it came from (card, cash, gift card, wallet)
	ToStoreCredit = "store_credit" // to the order owner's wallet
)

// transitions are the legal status changes of a payment.
var transitions = commerce.Transitions{
	StatusPending:           {StatusAuthorized, StatusCaptured, StatusFailed, StatusCancelled},
	StatusAuthorized:        {StatusCaptured, StatusFailed, StatusCancelled},
	StatusCaptured:          {StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
}

// CanTransition reports whether a payment may move from one status to another.
func CanTransition(from, to string) bool { return transitions.Allows(from, to) }

// Open reports whether the payment still waits for its money (pending or authorized).
func (p Payment) Open() bool { return p.Status == StatusPending || p.Status == StatusAuthorized }

// Refundable is what may still be refunded: captured minus refunded.
func (p Payment) Refundable() commerce.Money {
	r, err := p.Captured.Sub(p.Refunded)
	if err != nil || r.Amount < 0 {
		return commerce.Money{Currency: p.Amount.Currency}
	}
	return r
}

// OrderPaymentStatus is the order's payment status this payment gives it.
func (p Payment) OrderPaymentStatus() string {
	switch p.Status {
	case StatusCaptured:
		return OrderPaid
	case StatusPartiallyRefunded:
		return OrderPartiallyRefunded
	case StatusRefunded:
		return OrderRefunded
	}
	return OrderUnpaid
}

// moveTo changes p's status when the transition is legal.
func (p *Payment) moveTo(status string, now time.Time) error {
	if !CanTransition(p.Status, status) {
		return ErrIllegalTransition.WithDetails(map[string]any{"from": p.Status, "to": status, "allowed": transitions.Next(p.Status)})
	}
	p.Status = status
	p.Version++
	p.UpdatedAt = now
	return nil
}

// NewPayment returns a pending payment of order o with method.
func NewPayment(o OrderRef, method string, now time.Time) Payment {
	zero := commerce.Money{Currency: o.Total.Currency}
	return Payment{ID: commerce.NewID(), OrderID: o.ID, OrderNumber: o.Number, UserID: o.UserID, Method: method,
		Status: StatusPending, Amount: o.Total, Captured: zero, Refunded: zero, Version: 1, CreatedAt: now, UpdatedAt: now}
}

// SettleStored pays p from src through l inside the update that records it: the whole
// amount is spent and p is captured.
func SettleStored(l Ledger, p *Payment, src Source, now time.Time) error {
	if p.Amount.Amount > 0 {
		if err := l.Spend(src, p.Amount, p.ID); err != nil {
			return err
		}
	}
	s := src
	p.Source = &s
	if err := p.moveTo(StatusCaptured, now); err != nil {
		return err
	}
	p.Captured = p.Amount
	return nil
}

// Event types; each carries EventData.
const (
	EventAuthorized = "payments.authorized"
	EventCaptured   = "payments.captured"
	EventFailed     = "payments.failed"
	EventCancelled  = "payments.cancelled"
	EventRefunded   = "payments.refunded"
)

// EventData is the data of payment events.
type EventData struct {
	PaymentID   string         `json:"payment_id"`
	OrderID     string         `json:"order_id"`
	OrderNumber int64          `json:"order_number"`
	Method      string         `json:"method"`
	Status      string         `json:"status"`
	Amount      commerce.Money `json:"amount"`
	Captured    commerce.Money `json:"captured"`
	Refunded    commerce.Money `json:"refunded"`
	Refund      *Refund        `json:"refund,omitempty"` // payments.refunded: the refund
}

// Event returns the event of type typ about p, by actor.
func (p Payment) Event(typ, actor string, refund *Refund) (commerce.Event, error) {
	ev, err := commerce.NewEvent(typ, p.ID, p.UpdatedAt, EventData{PaymentID: p.ID, OrderID: p.OrderID, OrderNumber: p.OrderNumber,
		Method: p.Method, Status: p.Status, Amount: p.Amount, Captured: p.Captured, Refunded: p.Refunded, Refund: refund})
	ev.Actor = actor
	return ev, err
}

// Errors.
var (
	ErrNotFound          = &commerce.Error{Kind: commerce.ENotFound, Code: "payment_not_found", Message: "payments: payment not found"}
	ErrIllegalTransition = &commerce.Error{Kind: commerce.EConflict, Code: "illegal_transition", Message: "payments: illegal payment status change"}
	ErrAmountMismatch    = &commerce.Error{Kind: commerce.EInvalid, Code: "amount_mismatch", Message: "payments: the amount does not match the payment"}
	ErrOrderClosed       = &commerce.Error{Kind: commerce.EConflict, Code: "order_closed", Message: "payments: the order is cancelled"}
	ErrOrderPaid         = &commerce.Error{Kind: commerce.EConflict, Code: "order_paid", Message: "payments: the order is paid already"}
	ErrNotConfigured     = &commerce.Error{Kind: commerce.ENotFound, Code: "gateway_not_configured", Message: "payments: this gateway is not configured"}
	ErrCaptureNotOffline = &commerce.Error{Kind: commerce.EConflict, Code: "capture_not_supported", Message: "payments: only cash and manual payments are captured by staff"}
)
