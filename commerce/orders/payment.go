package orders

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// RecordPayment applies a payment change to the order, inside the update that records the
// payment: PaymentID and PaymentStatus are set, and a PENDING order that is now paid moves
// to CONFIRMED with a history entry by actor. It returns the events to emit with it
// (orders.status_changed when the status moved); o.Version is bumped when anything changed.
func (o *Order) RecordPayment(paymentID, paymentStatus string, now time.Time, actor string) ([]commerce.Event, error) {
	if o.PaymentID == paymentID && o.PaymentStatus == paymentStatus {
		return nil, nil
	}
	o.PaymentID, o.PaymentStatus = paymentID, paymentStatus
	o.Version++
	o.UpdatedAt = now
	if paymentStatus != PaymentPaid || o.Status != StatusPending {
		return nil, nil
	}
	prev := o.Status
	o.Status = StatusConfirmed
	o.History = append(append([]Change(nil), o.History...), Change{Status: StatusConfirmed, At: now, Actor: actor, Note: "paid"})
	ev, err := commerce.NewEvent(EventStatusChanged, o.ID, now, map[string]any{
		"order_id": o.ID, "number": o.Number, "from": prev, "to": o.Status, "note": "paid",
	})
	if err != nil {
		return nil, err
	}
	ev.Actor = actor
	return []commerce.Event{ev}, nil
}
