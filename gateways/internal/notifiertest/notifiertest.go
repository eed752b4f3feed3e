// Package notifiertest is an in-memory payments.Notifier for the gateway adapters' own
// tests: it keeps payments by ID, applies each notification event ID once, finds a payment
// by our ID or the gateway's, and refuses unknown payments and amounts that do not match,
// as the payments service's contract says. The end-to-end tests use the real service.
package notifiertest

import (
	"context"
	"sync"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// Notifier is the fake.
type Notifier struct {
	mu       sync.Mutex
	payments map[string]*payments.Payment
	seen     map[string]bool
	Applied  []payments.Notification // notifications applied, in order (duplicates left out)
	Err      error                   // when set, Notify answers it and applies nothing
}

// New returns a Notifier holding ps.
func New(ps ...payments.Payment) *Notifier {
	n := &Notifier{payments: map[string]*payments.Payment{}, seen: map[string]bool{}}
	for _, p := range ps {
		n.Put(p)
	}
	return n
}

// Put adds or replaces a payment.
func (n *Notifier) Put(p payments.Payment) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.payments[p.ID] = &p
}

// Payment returns a payment by our ID.
func (n *Notifier) Payment(_ context.Context, id string) (payments.Payment, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.payments[id]
	if !ok {
		return payments.Payment{}, commerce.Errorf(commerce.ENotFound, "payment_not_found", "payments: no payment %q", id)
	}
	return *p, nil
}

// AppliedCount is how many notifications were applied.
func (n *Notifier) AppliedCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.Applied)
}

// Notify applies a notification once per (provider, event ID).
func (n *Notifier) Notify(_ context.Context, no payments.Notification) (payments.Payment, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Err != nil {
		return payments.Payment{}, n.Err
	}
	var p *payments.Payment
	if no.PaymentID != "" {
		p = n.payments[no.PaymentID]
	} else {
		for _, q := range n.payments {
			if q.ExternalID != "" && q.ExternalID == no.ExternalID {
				p = q
			}
		}
	}
	if p == nil {
		return payments.Payment{}, commerce.Errorf(commerce.ENotFound, "payment_not_found", "payments: no payment for %q/%q", no.PaymentID, no.ExternalID)
	}
	key := no.Provider + "/" + no.EventID
	if n.seen[key] {
		return *p, nil
	}
	switch no.Kind {
	case payments.NotifyCaptured:
		if no.Amount != p.Amount {
			return payments.Payment{}, commerce.Errorf(commerce.EInvalid, "amount_mismatch", "payments: notified %s, expected %s", no.Amount, p.Amount)
		}
		if p.Status != payments.StatusPending && p.Status != payments.StatusAuthorized {
			return payments.Payment{}, commerce.Errorf(commerce.EConflict, "payment_finished", "payments: payment is %s", p.Status)
		}
		p.Status, p.Captured = payments.StatusCaptured, no.Amount
	case payments.NotifyFailed:
		p.Status = payments.StatusFailed
	case payments.NotifyCancelled:
		p.Status = payments.StatusCancelled
	case payments.NotifyRefunded:
		if no.Amount.Currency != p.Amount.Currency || no.Amount.Amount > p.Captured.Amount-p.Refunded.Amount {
			return payments.Payment{}, commerce.Errorf(commerce.EInvalid, "amount_mismatch", "payments: refund of %s exceeds what is left", no.Amount)
		}
		p.Refunded.Currency = p.Amount.Currency
		p.Refunded.Amount += no.Amount.Amount
		p.Status = payments.StatusPartiallyRefunded
		if p.Refunded.Amount == p.Captured.Amount {
			p.Status = payments.StatusRefunded
		}
	}
	if no.ExternalID != "" && p.ExternalID == "" {
		p.ExternalID = no.ExternalID
	}
	for k, v := range no.Gateway {
		if p.Gateway == nil {
			p.Gateway = map[string]string{}
		}
		p.Gateway[k] = v
	}
	n.seen[key] = true
	n.Applied = append(n.Applied, no)
	return *p, nil
}
