package payments

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce"
)

var _ Notifier = (*Service)(nil)

// Notification kinds' target statuses from an open payment.
var notifyStatus = map[NotificationKind]string{
	NotifyAuthorized: StatusAuthorized,
	NotifyCaptured:   StatusCaptured,
	NotifyFailed:     StatusFailed,
	NotifyCancelled:  StatusCancelled,
}

var notifyEvent = map[string]string{
	StatusAuthorized: EventAuthorized,
	StatusCaptured:   EventCaptured,
	StatusFailed:     EventFailed,
	StatusCancelled:  EventCancelled,
}

// Notify applies a verified gateway notification, once per (Provider, EventID): the
// notification row is written in the update that applies it, and a duplicate answers the
// payment as it is now. An open payment moves to authorized, captured (its order paid and
// confirmed, its stock committed), failed or cancelled (the order stays unpaid); a captured
// one is refunded (NotifyRefunded, or NotifyCancelled: the gateway reversed it). A
// notification for a payment already past that point answers it without moving money. An
// amount other than the payment's (for refunds: more than is refundable) is EInvalid
// amount_mismatch and changes nothing; an unknown payment is ENotFound payment_not_found.
// A refund notification may name the gateway's refund in Gateway["refund_id"] to confirm a
// pending refund. A capture that comes too late — for a cancelled payment, or one whose order
// is cancelled — is recorded and refunded in full at once (see lateCapture and settleDue).
func (s *Service) Notify(ctx context.Context, n Notification) (Payment, error) {
	var v commerce.Validator
	v.Check(n.Provider != "", "provider", "is required")
	v.Check(n.EventID != "" && len(n.EventID) <= 200, "event_id", "is required (200 characters at most)")
	v.Check(n.PaymentID != "" || n.ExternalID != "", "payment_id", "or external_id is required")
	_, known := notifyStatus[n.Kind]
	v.Check(known || n.Kind == NotifyRefunded, "kind", "is not a notification kind")
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	actor := "gateway:" + n.Provider
	var p Payment
	var due *DueRefund
	err := s.store.Update(ctx, func(tx Tx) error {
		due = nil
		if id, ok, err := tx.Notified(n.Provider, n.EventID); err != nil {
			return err
		} else if ok {
			p, err = tx.Payment(id)
			return err
		}
		prev, err := s.notified(tx, n)
		if err != nil {
			return err
		}
		p = prev
		if err := tx.PutNotified(n.Provider, n.EventID, p.ID); err != nil {
			return err
		}
		isLate, closed, err := late(tx, p, n)
		if err != nil || !isLate {
			if err == nil {
				err = s.apply(tx, &p, prev, n, actor)
			}
			return err
		}
		if n.Amount != p.Amount {
			return mismatch(p, n)
		}
		d, err := s.lateCapture(tx, &p, prev, n, closed, actor)
		due = &d
		return err
	})
	if err != nil || due == nil {
		return p, err
	}
	// The money goes back now; when the gateway cannot take the refund, RetryDueRefunds
	// asks again. Either way the notification was applied.
	_ = s.settleDue(ctx, *due)
	if cur, err := s.store.Payment(ctx, p.ID); err == nil {
		p = cur
	}
	return p, nil
}

// notified finds the payment a notification is about.
func (s *Service) notified(tx Tx, n Notification) (Payment, error) {
	var p Payment
	var err error
	if n.PaymentID != "" {
		if !commerce.ValidID(n.PaymentID) {
			return p, ErrNotFound
		}
		p, err = tx.Payment(n.PaymentID)
	} else {
		p, err = tx.PaymentByExternal(n.Provider, n.ExternalID)
	}
	if err != nil {
		return p, err
	}
	if p.Method != n.Provider || (n.ExternalID != "" && p.ExternalID != "" && p.ExternalID != n.ExternalID) {
		return p, ErrNotFound
	}
	return p, nil
}

func mismatch(p Payment, n Notification) error {
	return ErrAmountMismatch.WithDetails(map[string]any{"expected": p.Amount, "got": n.Amount, "payment_id": p.ID})
}

// apply moves p (read as prev) as n says.
func (s *Service) apply(tx Tx, p *Payment, prev Payment, n Notification, actor string) error {
	now := s.clock.Now()
	switch n.Kind {
	case NotifyAuthorized, NotifyCaptured:
		if n.Amount != p.Amount {
			return mismatch(*p, n)
		}
	case NotifyFailed, NotifyCancelled:
		if n.Amount.Amount != 0 && n.Amount != p.Amount {
			return mismatch(*p, n)
		}
	}
	if n.Kind == NotifyRefunded || (n.Kind == NotifyCancelled && (p.Status == StatusCaptured || p.Status == StatusPartiallyRefunded)) {
		return s.notifyRefund(tx, p, prev, n, actor)
	}
	to := notifyStatus[n.Kind]
	if !p.Open() || p.Status == to {
		return nil // finished (or there already): answered as it is
	}
	if err := p.moveTo(to, now); err != nil {
		return err
	}
	if to == StatusCaptured {
		p.Captured = p.Amount
	}
	if n.ExternalID != "" && p.ExternalID == "" {
		p.ExternalID = n.ExternalID
	}
	mergeGateway(p, n)
	if err := tx.PutPayment(*p, &prev); err != nil {
		return err
	}
	ev, err := p.Event(notifyEvent[to], actor, nil)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	if to == StatusCaptured {
		return tx.RecordOrderPayment(p.OrderID, p.ID, p.OrderPaymentStatus(), now, actor)
	}
	return nil
}

// mergeGateway keeps the adapter state n carries on p.
func mergeGateway(p *Payment, n Notification) {
	if len(n.Gateway) == 0 {
		return
	}
	g := make(map[string]string, len(p.Gateway)+len(n.Gateway))
	for k, v := range p.Gateway {
		g[k] = v
	}
	for k, v := range n.Gateway {
		g[k] = v
	}
	p.Gateway = g
}

// notifyRefund records a refund the gateway tells of: it confirms our pending refund it
// names (Gateway["refund_id"]: the gateway's refund ID, Gateway["refund_ref"]: ours) or
// the first pending one of that amount, or records one made at the gateway. A
// cancellation of a captured payment refunds what is left.
func (s *Service) notifyRefund(tx Tx, p *Payment, prev Payment, n Notification, actor string) error {
	if p.Status != StatusCaptured && p.Status != StatusPartiallyRefunded && p.Status != StatusRefunded {
		return nil // not captured: nothing to move
	}
	if n.Kind == NotifyCancelled {
		n.Amount = p.Refundable()
	}
	extID, ref := n.Gateway["refund_id"], n.Gateway["refund_ref"]
	// names reports whether n names refund r (the gateway's refund ID or ours).
	names := func(r Refund) bool { return (extID != "" && r.ExternalID == extID) || (ref != "" && r.ID == ref) }
	for _, r := range p.Refunds {
		if names(r) && r.Status != RefundPending {
			return nil // recorded already (our own refund's answer)
		}
	}
	for i, r := range p.Refunds {
		if r.Status != RefundPending || r.Amount != n.Amount || ((extID != "" || ref != "") && !names(r)) {
			continue
		}
		// Confirms a refund we asked for: its money was counted when it was asked.
		p.Refunds = append([]Refund(nil), p.Refunds...)
		p.Refunds[i].Status = RefundSucceeded
		if extID != "" && p.Refunds[i].ExternalID == "" {
			p.Refunds[i].ExternalID = extID
		}
		p.Version++
		p.UpdatedAt = s.clock.Now()
		mergeGateway(p, n)
		return tx.PutPayment(*p, &prev)
	}
	if p.Status == StatusRefunded || (n.Kind == NotifyCancelled && n.Amount.Amount == 0) {
		return nil // refunded already: nothing to move
	}
	if n.Amount.Currency != p.Amount.Currency || n.Amount.Amount <= 0 || n.Amount.Amount > p.Refundable().Amount {
		return ErrAmountMismatch.WithDetails(map[string]any{"refundable": p.Refundable(), "got": n.Amount, "payment_id": p.ID})
	}
	mergeGateway(p, n)
	reason := "refunded at the gateway"
	if n.Kind == NotifyCancelled {
		reason = "cancelled at the gateway"
	}
	return s.addRefund(tx, p, prev, Refund{ID: commerce.NewID(), Amount: n.Amount, Reason: reason, To: ToOriginal,
		Status: RefundSucceeded, ExternalID: extID, Actor: actor}, actor)
}
