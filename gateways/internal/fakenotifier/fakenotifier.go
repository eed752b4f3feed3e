// Package fakenotifier is an in-memory payments.Notifier for the gateway adapters' tests:
// it holds payments, applies notifications once per EventID with the contract's errors
// (payment_not_found, amount_mismatch) and records what it applied.
package fakenotifier

import (
	"context"
	"sync"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// Notifier is a fake payments.Notifier.
type Notifier struct {
	mu       sync.Mutex
	payments map[string]payments.Payment
	seen     map[string]bool
	// Applied lists the notifications that changed a payment, in order.
	Applied []payments.Notification
	// Err, when set, is returned by every Notify (e.g. to simulate a store failure).
	Err error
}

// New returns a Notifier holding ps.
func New(ps ...payments.Payment) *Notifier {
	n := &Notifier{payments: map[string]payments.Payment{}, seen: map[string]bool{}}
	for _, p := range ps {
		n.payments[p.ID] = p
	}
	return n
}

// Pending returns a pending payment of amount minor units of currency by method.
func Pending(id, method string, amount int64, currency string) payments.Payment {
	return payments.Payment{ID: id, OrderID: "o-" + id, Method: method, Status: payments.StatusPending,
		Amount: commerce.Money{Amount: amount, Currency: currency}}
}

// Put adds or replaces a payment.
func (n *Notifier) Put(p payments.Payment) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.payments[p.ID] = p
}

// Get returns a payment as it is now.
func (n *Notifier) Get(id string) payments.Payment {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.payments[id]
}

// Count returns how many notifications were applied.
func (n *Notifier) Count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.Applied)
}

// Payment implements payments.Notifier.
func (n *Notifier) Payment(_ context.Context, id string) (payments.Payment, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.payments[id]
	if !ok {
		return payments.Payment{}, commerce.Errorf(commerce.ENotFound, "payment_not_found", "payment %s not found", id)
	}
	return p, nil
}

// Notify implements payments.Notifier.
func (n *Notifier) Notify(_ context.Context, no payments.Notification) (payments.Payment, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Err != nil {
		return payments.Payment{}, n.Err
	}
	p, ok := n.payments[no.PaymentID]
	if !ok {
		return payments.Payment{}, commerce.Errorf(commerce.ENotFound, "payment_not_found", "payment %s not found", no.PaymentID)
	}
	if n.seen[no.EventID] {
		return p, nil
	}
	if no.Amount != p.Amount && no.Kind != payments.NotifyRefunded {
		return payments.Payment{}, commerce.Errorf(commerce.EInvalid, "amount_mismatch", "amount %v, payment expects %v", no.Amount, p.Amount)
	}
	switch no.Kind {
	case payments.NotifyCaptured:
		if p.Status != payments.StatusPending && p.Status != payments.StatusAuthorized {
			return payments.Payment{}, commerce.Errorf(commerce.EConflict, "payment_not_pending", "payment is %s", p.Status)
		}
		p.Status, p.Captured = payments.StatusCaptured, no.Amount
	case payments.NotifyRefunded:
		if p.Status != payments.StatusCaptured && p.Status != payments.StatusPartiallyRefunded {
			return payments.Payment{}, commerce.Errorf(commerce.EConflict, "payment_not_captured", "payment is %s", p.Status)
		}
		if no.Amount.Currency != p.Amount.Currency || p.Refunded.Amount+no.Amount.Amount > p.Captured.Amount {
			return payments.Payment{}, commerce.Errorf(commerce.EInvalid, "amount_mismatch", "refund above what was captured")
		}
		p.Refunded = commerce.Money{Amount: p.Refunded.Amount + no.Amount.Amount, Currency: p.Amount.Currency}
		p.Status = payments.StatusPartiallyRefunded
		if p.Refunded == p.Captured {
			p.Status = payments.StatusRefunded
		}
	case payments.NotifyCancelled, payments.NotifyFailed:
		if p.Status != payments.StatusPending {
			return payments.Payment{}, commerce.Errorf(commerce.EConflict, "payment_not_pending", "payment is %s", p.Status)
		}
		p.Status = payments.StatusCancelled
		if no.Kind == payments.NotifyFailed {
			p.Status = payments.StatusFailed
		}
	}
	if no.ExternalID != "" {
		p.ExternalID = no.ExternalID
	}
	if len(no.Gateway) > 0 { // adapter state is kept, as the payments service does
		g := map[string]string{}
		for k, v := range p.Gateway {
			g[k] = v
		}
		for k, v := range no.Gateway {
			g[k] = v
		}
		p.Gateway = g
	}
	n.seen[no.EventID] = true
	n.payments[p.ID] = p
	n.Applied = append(n.Applied, no)
	return p, nil
}
