package orders

import (
	"context"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// UpdateInput is a change to an order (PUT /orders/:id); nil fields stay as they are.
// Staff may change everything; the order's owner (or the holder of its key) only the
// shipping address, and only while the order is PENDING.
type UpdateInput struct {
	Status          *string
	Note            string // the history note of a status change
	Carrier         string // with Status SHIPPED: the shipment's carrier and tracking number
	TrackingNumber  string
	ShippingAddress *Address
	InternalNote    *string
	IfVersion       int64
}

// Update changes an order's status (legal transitions, with their side effects), its
// shipping address (only before anything shipped, in the same country: shipping and tax
// were priced for it) and its internal note, in one update.
func (s *Service) Update(ctx context.Context, v Viewer, actor, id string, in UpdateInput) (Order, error) {
	var val commerce.Validator
	if in.Status != nil {
		st := strings.ToUpper(strings.TrimSpace(*in.Status))
		in.Status = &st
		val.Check(ValidStatus(st), "status", "must be one of "+strings.Join(Statuses, ", "))
	}
	in.Note, in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Note), strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	val.Text("note", in.Note, 1000, false)
	val.Text("carrier", in.Carrier, 100, false)
	val.Text("tracking_number", in.TrackingNumber, 100, false)
	if in.ShippingAddress != nil {
		a := in.ShippingAddress.Normalize()
		in.ShippingAddress = &a
		a.Validate(&val, "shipping_address.")
	}
	if in.InternalNote != nil {
		n := strings.TrimSpace(*in.InternalNote)
		in.InternalNote = &n
		val.Text("internal_note", n, 4000, false)
	}
	if in.Status == nil && in.ShippingAddress == nil && in.InternalNote == nil {
		val.Add("status", "give status, shipping_address or internal_note")
	}
	if err := val.Err(); err != nil {
		return Order{}, err
	}
	if !v.Staff && (in.Status != nil || in.InternalNote != nil) {
		if o, err := s.Get(ctx, v, id); err != nil {
			return o, err
		}
		return Order{}, errStaffOnly
	}
	return s.mutate(ctx, mutation{id: id, actor: actor, ifVersion: in.IfVersion, viewer: &v}, func(c *change) (bool, error) {
		if a := in.ShippingAddress; a != nil && *a != c.o.ShippingAddress {
			if !v.Staff && c.o.Status != StatusPending {
				return false, &commerce.Error{Kind: commerce.EConflict, Code: "order_not_editable",
					Message: "orders: customers may change the address of a PENDING order only"}
			}
			switch c.o.Status {
			case StatusPending, StatusConfirmed, StatusProcessing:
			default:
				return false, &commerce.Error{Kind: commerce.EConflict, Code: "order_shipped", Message: "orders: the order has shipped; its address is fixed"}
			}
			if len(c.o.Fulfilments) > 0 {
				return false, &commerce.Error{Kind: commerce.EConflict, Code: "order_shipped", Message: "orders: part of the order has shipped; its address is fixed"}
			}
			if a.Country != c.o.ShippingAddress.Country && c.o.ShippingAddress.Country != "" {
				return false, commerce.Invalid(commerce.FieldError{Field: "shipping_address.country",
					Message: "must stay " + c.o.ShippingAddress.Country + ": shipping and tax were priced for it"})
			}
			c.o.ShippingAddress = *a
			c.log(EventUpdated, "shipping address changed")
			if err := c.emit(EventUpdated, map[string]any{"fields": []string{"shipping_address"}}); err != nil {
				return false, err
			}
		}
		if in.InternalNote != nil && *in.InternalNote != c.o.InternalNote {
			c.o.InternalNote = *in.InternalNote
			if err := c.emit(EventUpdated, map[string]any{"fields": []string{"internal_note"}}); err != nil {
				return false, err
			}
		}
		if in.Status != nil && *in.Status != c.o.Status {
			if err := c.setStatus(*in.Status, in.Note, in.Carrier, in.TrackingNumber); err != nil {
				return false, err
			}
		}
		return len(c.events) > 0, nil
	})
}

// Delete deletes an unpaid draft: a PENDING order with nothing paid, by its owner, the
// holder of its key or staff. The order is cancelled (its stock goes back) and marked
// deleted: it leaves its owner's list and reads, staff still see it, and its number stays
// used so numbers remain gap-free. Anything else is ErrNotDeletable.
func (s *Service) Delete(ctx context.Context, v Viewer, actor, id string) error {
	_, err := s.mutate(ctx, mutation{id: id, actor: actor, viewer: &v}, func(c *change) (bool, error) {
		if c.o.Deleted || c.o.Status != StatusPending || (c.o.PaymentStatus != "" && c.o.PaymentStatus != PaymentUnpaid) {
			return false, ErrNotDeletable.WithDetails(map[string]any{"status": c.o.Status, "payment_status": c.o.PaymentStatus})
		}
		if err := c.cancel("deleted"); err != nil {
			return false, err
		}
		c.o.Deleted, c.o.DeletedAt = true, c.now
		return true, c.emit(EventDeleted, nil)
	})
	return err
}
