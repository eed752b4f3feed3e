package payments

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// ReasonOrderCancelled is the reason of the automatic refund of money that arrived for a
// cancelled payment or order.
const ReasonOrderCancelled = "order cancelled before the payment arrived"

// AutoRefundActor is the actor of automatic refunds.
const AutoRefundActor = "system"

// CancelOpen cancels p when it is still open (pending or authorized) because its order was
// cancelled or another payment replaced it: its next action is dropped and the
// payments.cancelled event by actor returned for the update that writes p. ok is false
// (and p unchanged) for a payment that is not open.
func CancelOpen(p *Payment, now time.Time, actor string) (ev commerce.Event, ok bool, err error) {
	if !p.Open() {
		return commerce.Event{}, false, nil
	}
	if err := p.moveTo(StatusCancelled, now); err != nil {
		return commerce.Event{}, false, err
	}
	p.Action = nil
	ev, err = p.Event(EventCancelled, actor, nil)
	return ev, err == nil, err
}

// DueRefund names an automatic refund recorded but not yet accepted by its gateway.
type DueRefund struct {
	PaymentID string
	RefundID  string
}

// AutoRefundID is the ID of the automatic refund of payment paymentID: one per payment, the
// same on every retry (it is the gateway's idempotency key).
func AutoRefundID(paymentID string) string { return "auto_" + paymentID }

// lateCapture records money a gateway captured for a payment that is cancelled or whose
// order is (closed): the money left the shopper, so p is captured (payments.captured) and,
// when its order is cancelled, the order's payment status shows it (no stock is committed,
// the order stays CANCELLED). In the same update the whole amount is refunded: a pending
// refund AutoRefundID with ReasonOrderCancelled, due at the gateway (asked after the
// update, see settleDue). The order's payment status follows the refund.
func (s *Service) lateCapture(tx Tx, p *Payment, prev Payment, n Notification, closed bool, actor string) (DueRefund, error) {
	now := s.clock.Now()
	p.Status = StatusCaptured // from cancelled too: the gateway has the money whatever we decided
	p.Captured = p.Amount
	p.Action = nil
	p.Version++
	p.UpdatedAt = now
	if n.ExternalID != "" && p.ExternalID == "" {
		p.ExternalID = n.ExternalID
	}
	mergeGateway(p, n)
	ev, err := p.Event(EventCaptured, actor, nil)
	if err != nil {
		return DueRefund{}, err
	}
	tx.Emit(ev)
	r := Refund{ID: AutoRefundID(p.ID), Amount: p.Captured, Reason: ReasonOrderCancelled, To: ToOriginal,
		Status: RefundPending, Actor: AutoRefundActor, At: now}
	if err := s.putRefund(tx, p, prev, r, now); err != nil {
		return DueRefund{}, err
	}
	d := DueRefund{PaymentID: p.ID, RefundID: r.ID}
	if err := tx.SetDueRefund(d, true); err != nil {
		return DueRefund{}, err
	}
	if closed { // paid, then refunded: the order shows the refund
		return d, tx.RecordOrderPayment(p.OrderID, p.ID, p.OrderPaymentStatus(), now, AutoRefundActor)
	}
	return d, nil
}

// late reports whether a capture notification for p comes too late: p is cancelled, or
// p is open (or failed) while its order is cancelled. closed tells whether the order is.
func late(tx Tx, p Payment, n Notification) (isLate, closed bool, err error) {
	if n.Kind != NotifyCaptured || !(p.Open() || p.Status == StatusFailed || p.Status == StatusCancelled) {
		return false, false, nil
	}
	o, err := tx.Order(p.OrderID)
	if err != nil {
		return false, false, err
	}
	if p.Status == StatusFailed && !o.Closed {
		return false, false, nil // answered as it is
	}
	return p.Status == StatusCancelled || o.Closed, o.Closed, nil
}

// settleDue asks the gateway for a due automatic refund, outside any update, and records
// its answer: the refund succeeded or stays pending until the gateway's notification, it is
// no longer due, and payments.refunded is emitted. A refund the gateway already told us of
// (its notification confirmed it) is not asked again. When the gateway cannot be reached
// (EUnavailable) or is not configured, the refund stays due for RetryDueRefunds; when it
// refuses, the refund fails: its amount is refundable again and the order's payment status
// shows the money kept, for staff to settle.
func (s *Service) settleDue(ctx context.Context, d DueRefund) error {
	defer s.lock(d.PaymentID)()
	due, err := s.store.DueRefunds(ctx, d.PaymentID)
	if err != nil || !slices.Contains(due, d) {
		return err // settled meanwhile
	}
	p, err := s.store.Payment(ctx, d.PaymentID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(p.Refunds, func(r Refund) bool { return r.ID == d.RefundID })
	if i < 0 {
		return s.store.Update(ctx, func(tx Tx) error { return tx.SetDueRefund(d, false) }) // nothing to ask
	}
	var res RefundResult
	var refused error
	if p.Refunds[i].Status == RefundPending {
		g, ok := s.gateway(p.Method)
		if !ok {
			return ErrNotConfigured
		}
		res, err = g.Refund(ctx, p, p.Refunds[i].Amount, d.RefundID)
		if commerce.KindOf(err) == commerce.EUnavailable || ctx.Err() != nil {
			return err // stays due
		}
		refused = err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.Payment(d.PaymentID)
		if err != nil {
			return err
		}
		p = prev
		i := slices.IndexFunc(p.Refunds, func(r Refund) bool { return r.ID == d.RefundID })
		if i < 0 {
			return tx.SetDueRefund(d, false)
		}
		now := s.clock.Now()
		p.Refunds = slices.Clone(p.Refunds)
		r := &p.Refunds[i]
		if refused != nil && r.Status == RefundPending {
			return s.failRefund(tx, &p, prev, i, d, now)
		}
		if r.ExternalID == "" {
			r.ExternalID = res.ExternalID
		}
		if r.Status == RefundPending && !res.Pending && refused == nil {
			r.Status = RefundSucceeded
		}
		p.Version++
		p.UpdatedAt = now
		if err := tx.PutPayment(p, &prev); err != nil {
			return err
		}
		if err := tx.SetDueRefund(d, false); err != nil {
			return err
		}
		ev, err := p.Event(EventRefunded, AutoRefundActor, r)
		if err != nil {
			return err
		}
		tx.Emit(ev)
		return nil
	})
	if err == nil && refused != nil {
		return refused
	}
	return err
}

// failRefund records that the gateway refused due refund i of p: it failed, its amount is
// no longer counted as refunded, and the order (when this payment is its payment) shows
// the money kept.
func (s *Service) failRefund(tx Tx, p *Payment, prev Payment, i int, d DueRefund, now time.Time) error {
	p.Refunds[i].Status = RefundFailed
	refunded, err := p.Refunded.Sub(p.Refunds[i].Amount)
	if err != nil {
		return err
	}
	p.Refunded = refunded
	switch {
	case refunded.Amount <= 0:
		p.Status = StatusCaptured
	case refunded.Amount < p.Captured.Amount:
		p.Status = StatusPartiallyRefunded
	}
	p.Version++
	p.UpdatedAt = now
	if err := tx.PutPayment(*p, &prev); err != nil {
		return err
	}
	if err := tx.SetDueRefund(d, false); err != nil {
		return err
	}
	o, err := tx.Order(p.OrderID)
	if err != nil {
		return err
	}
	if o.PaymentID == p.ID {
		return tx.RecordOrderPayment(p.OrderID, p.ID, p.OrderPaymentStatus(), now, AutoRefundActor)
	}
	return nil
}

// RetryDueRefunds asks the gateways again for every automatic refund still due (see
// settleDue) and tells how many were settled; the first error is returned after trying
// them all.
func (s *Service) RetryDueRefunds(ctx context.Context) (int, error) {
	due, err := s.store.DueRefunds(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		if err := s.settleDue(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
