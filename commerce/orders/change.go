package orders

import (
	"context"
	"slices"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// More event types; each carries the order ID and number, and the actor in the envelope.
const (
	EventFulfilled       = "orders.fulfilled" // a fulfilment (shipment) was made
	EventDelivered       = "orders.fulfilment_delivered"
	EventReturnRequested = "orders.return_requested"
	EventReturnApproved  = "orders.return_approved"
	EventReturnRejected  = "orders.return_rejected"
	EventReturnReceived  = "orders.return_received"
	EventReturnRefunded  = "orders.return_refunded"
	EventReturned        = "orders.returned" // every unit came back: the order is RETURNED
	EventNoteAdded       = "orders.note_added"
	EventInvoiceIssued   = "orders.invoice_issued"
	EventUpdated         = "orders.updated" // shipping address or internal note changed
	EventDeleted         = "orders.deleted"
)

// More errors.
var (
	ErrNotDeletable = &commerce.Error{Kind: commerce.EConflict, Code: "order_not_deletable",
		Message: "orders: only a PENDING, unpaid order can be deleted"}
	ErrFulfilled = &commerce.Error{Kind: commerce.EConflict, Code: "order_fulfilled",
		Message: "orders: the order has shipments; it can no longer be cancelled"}
	ErrUnderReview = &commerce.Error{Kind: commerce.EConflict, Code: "order_under_review",
		Message: "orders: the order is held for a fraud review"}
	ErrNotReturned = &commerce.Error{Kind: commerce.EConflict, Code: "units_not_returned",
		Message: "orders: an order is RETURNED only once every unit has been returned and received"}
	errStaffOnly = &commerce.Error{Kind: commerce.EForbidden, Code: "forbidden",
		Message: "orders: only staff may change this"}
)

// change is one order change being built inside an update: the order as stored (prev),
// the copy being changed (o), and the events it emits.
type change struct {
	prev, o Order
	now     time.Time
	actor   string
	tx      Tx
	events  []commerce.Event
}

// emit queues an event of typ about the order; data gets order_id and number.
func (c *change) emit(typ string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["order_id"], data["number"] = c.o.ID, c.o.Number
	ev, err := commerce.NewEvent(typ, c.o.ID, c.now, data)
	if err != nil {
		return err
	}
	ev.Actor = c.actor
	c.events = append(c.events, ev)
	return nil
}

// log appends a history entry for a change that is not a status change.
func (c *change) log(event, note string) {
	c.o.History = append(c.o.History, Change{Status: c.o.Status, Event: event, At: c.now, Actor: c.actor, Note: note})
}

// move changes the status along a legal transition, with its history entry and
// orders.status_changed event. Side effects of particular statuses are the callers'.
func (c *change) move(to, note string) error {
	from := c.o.Status
	if !CanTransition(from, to) {
		return ErrIllegalTransition.WithDetails(map[string]any{"from": from, "to": to, "allowed": NextStatuses(from)})
	}
	c.o.Status = to
	c.o.History = append(c.o.History, Change{Status: to, At: c.now, Actor: c.actor, Note: note})
	return c.emit(EventStatusChanged, map[string]any{"from": from, "to": to, "note": note})
}

// mutation is what a change asks of the update that runs it.
type mutation struct {
	id        string
	actor     string
	ifVersion int64   // 0: unconditional
	viewer    *Viewer // when set, an order the viewer may not see is not found
}

// mutate runs fn on order m.id in one update: the version check, fn, then (when fn changed
// anything, i.e. returned changed true) the version bump, the write and the events. A
// failing fn writes nothing.
func (s *Service) mutate(ctx context.Context, m mutation, fn func(c *change) (changed bool, err error)) (Order, error) {
	if !commerce.ValidID(m.id) {
		return Order{}, ErrNotFound
	}
	var out Order
	err := s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.Order(m.id)
		if err != nil {
			return err
		}
		if m.viewer != nil && !prev.CanSee(*m.viewer) {
			return ErrNotFound
		}
		if m.ifVersion != 0 && m.ifVersion != prev.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": prev.Version})
		}
		c := &change{prev: prev, o: prev.clone(), now: s.clock.Now(), actor: m.actor, tx: tx}
		changed, err := fn(c)
		if err != nil {
			return err
		}
		if !changed {
			out = prev
			return nil
		}
		c.o.Version++
		c.o.UpdatedAt = c.now
		if err := tx.PutOrder(c.o, prev); err != nil {
			return err
		}
		for _, ev := range c.events {
			tx.Emit(ev)
		}
		out = c.o
		return nil
	})
	return out, err
}

// clone copies o deeply enough that changing the copy's lists leaves o as it was.
func (o Order) clone() Order {
	c := o
	c.History = slices.Clone(o.History)
	c.Notes = slices.Clone(o.Notes)
	c.Fulfilments = make([]Fulfilment, len(o.Fulfilments))
	for i, f := range o.Fulfilments {
		f.Lines = slices.Clone(f.Lines)
		c.Fulfilments[i] = f
	}
	c.Returns = make([]Return, len(o.Returns))
	for i, r := range o.Returns {
		r.Lines = slices.Clone(r.Lines)
		if r.Refund != nil {
			x := *r.Refund
			r.Refund = &x
		}
		c.Returns[i] = r
	}
	if o.Invoice != nil {
		x := *o.Invoice
		c.Invoice = &x
	}
	if len(o.Fulfilments) == 0 {
		c.Fulfilments = nil
	}
	if len(o.Returns) == 0 {
		c.Returns = nil
	}
	return c
}

// setStatus is a status change asked for by staff, with the side effects of the target
// status: CANCELLED releases the stock (refused once anything shipped); SHIPPED ships every
// unit not yet in a fulfilment as one more fulfilment (carrier and tracking number from the
// request); DELIVERED marks every fulfilment delivered; RETURNED needs every unit returned
// and received.
func (c *change) setStatus(to, note, carrier, tracking string) error {
	if err := c.o.ReviewAllows(to); err != nil {
		return err
	}
	switch to {
	case StatusCancelled:
		return c.cancel(note)
	case StatusShipped:
		if CanTransition(c.o.Status, to) {
			if left := c.o.remaining(); len(left) > 0 {
				if _, err := c.fulfil(left, carrier, tracking, note); err != nil {
					return err
				}
				if c.o.Status == StatusShipped {
					return nil
				}
			}
		}
	case StatusDelivered:
		if CanTransition(c.o.Status, to) {
			for i := range c.o.Fulfilments {
				if f := &c.o.Fulfilments[i]; f.Status != FulfilmentDelivered {
					f.Status, f.DeliveredAt = FulfilmentDelivered, c.now
					if err := c.emit(EventDelivered, map[string]any{"fulfilment_id": f.ID}); err != nil {
						return err
					}
				}
			}
		}
	case StatusReturned:
		if c.o.Status == StatusDelivered && !c.o.AllReturned() {
			return ErrNotReturned
		}
	}
	return c.move(to, note)
}

// cancel cancels the order: its stock goes back and orders.cancelled is emitted.
func (c *change) cancel(note string) error {
	if len(c.o.Fulfilments) > 0 && CanTransition(c.o.Status, StatusCancelled) {
		return ErrFulfilled
	}
	if err := c.move(StatusCancelled, note); err != nil {
		return err
	}
	if err := c.tx.ReleaseStock(c.o, "order cancelled"); err != nil {
		return err
	}
	if err := c.tx.ReleasePromotions(c.o); err != nil {
		return err
	}
	ev, err := commerce.NewEvent(EventCancelled, c.o.ID, c.now, EventDataOf(c.o))
	if err != nil {
		return err
	}
	ev.Actor = c.actor
	c.events = append(c.events, ev)
	return nil
}

// onHold reports whether a fraud review holds the order.
func (o Order) onHold() bool { return o.Review != nil && o.Review.Status == ReviewPending }
