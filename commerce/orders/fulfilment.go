package orders

import (
	"context"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Fulfilment statuses.
const (
	FulfilmentShipped   = "shipped"
	FulfilmentDelivered = "delivered"
)

// Fulfilment is one shipment of some of an order's units.
type Fulfilment struct {
	ID             string    `json:"id"`
	Lines          []Qty     `json:"lines"`
	Carrier        string    `json:"carrier,omitempty"` // a carrier ID (commerce/shipping)
	TrackingNumber string    `json:"tracking_number,omitempty"`
	Status         string    `json:"status"` // shipped, delivered
	Note           string    `json:"note,omitempty"`
	Actor          string    `json:"actor"`
	ShippedAt      time.Time `json:"shipped_at"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
}

// Qty is a number of units of one of an order's variants.
type Qty struct {
	VariantID string `json:"variant_id"`
	Quantity  int64  `json:"quantity"`
}

// ErrFulfilmentNotFound is returned for a fulfilment the order does not have.
var ErrFulfilmentNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "fulfilment_not_found", Message: "orders: fulfilment not found"}

// ordered returns the units ordered per variant.
func (o Order) ordered() map[string]int64 {
	m := make(map[string]int64, len(o.Lines))
	for _, l := range o.Lines {
		m[l.VariantID] += l.Quantity
	}
	return m
}

// Fulfilled returns the units shipped per variant (delivered or not).
func (o Order) Fulfilled() map[string]int64 { return o.shippedUnits("") }

// Delivered returns the units delivered per variant.
func (o Order) Delivered() map[string]int64 { return o.shippedUnits(FulfilmentDelivered) }

// shippedUnits returns the units of the fulfilments in status ("": any) per variant.
func (o Order) shippedUnits(status string) map[string]int64 {
	m := map[string]int64{}
	for _, f := range o.Fulfilments {
		if status == "" || f.Status == status {
			for _, q := range f.Lines {
				m[q.VariantID] += q.Quantity
			}
		}
	}
	return m
}

// remaining returns the units not yet in a fulfilment, in line order.
func (o Order) remaining() []Qty {
	done := o.Fulfilled()
	var out []Qty
	for _, l := range o.Lines {
		if n := l.Quantity - done[l.VariantID]; n > 0 {
			out = append(out, Qty{VariantID: l.VariantID, Quantity: n})
			done[l.VariantID] += n // a variant on two lines is counted once
		}
	}
	return out
}

// FulfilInput is a shipment asked for by staff. No lines means every unit not yet shipped.
type FulfilInput struct {
	Lines          []Qty
	Carrier        string // a carrier ID; "" means the order's shipping method's carrier
	TrackingNumber string
	Note           string
	IfVersion      int64
}

// validQtys checks a list of variant quantities (no blanks, no duplicates, positive) and
// merges nothing: a variant named twice is an error.
func validQtys(v *commerce.Validator, lines []Qty) {
	seen := map[string]bool{}
	for i, q := range lines {
		field := "lines[" + itoa(i) + "]"
		switch {
		case strings.TrimSpace(q.VariantID) == "":
			v.Add(field+".variant_id", "is required")
		case seen[q.VariantID]:
			v.Add(field+".variant_id", "is named twice")
		}
		seen[q.VariantID] = true
		v.Check(q.Quantity > 0, field+".quantity", "must be at least 1")
	}
	v.Check(len(lines) <= 1000, "lines", "has too many entries")
}

// checkAgainst checks each asked quantity against what is available per variant; it
// reports a field error for a variant the order does not have (or has none left of).
func checkAgainst(v *commerce.Validator, lines []Qty, avail map[string]int64, what string) {
	for i, q := range lines {
		field := "lines[" + itoa(i) + "]"
		a, ok := avail[q.VariantID]
		switch {
		case !ok:
			v.Add(field+".variant_id", "is not a variant of this order with units "+what)
		case q.Quantity > a:
			v.Add(field+".quantity", "is more than the "+itoa64(a)+" unit(s) "+what)
		}
	}
}

// Fulfil records a shipment of some of the order's units: the order moves to PROCESSING
// (through CONFIRMED from PENDING) on its first shipment and to SHIPPED once every unit
// has shipped; the stock the order holds is committed. Emits orders.fulfilled with the
// status changes, in one update.
func (s *Service) Fulfil(ctx context.Context, actor, id string, in FulfilInput) (Order, Fulfilment, error) {
	in.Carrier, in.TrackingNumber, in.Note = strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber), strings.TrimSpace(in.Note)
	var v commerce.Validator
	validQtys(&v, in.Lines)
	v.Text("carrier", in.Carrier, 100, false)
	v.Text("tracking_number", in.TrackingNumber, 100, false)
	v.Text("note", in.Note, 1000, false)
	if err := v.Err(); err != nil {
		return Order{}, Fulfilment{}, err
	}
	var made Fulfilment
	o, err := s.mutate(ctx, mutation{id: id, actor: actor, ifVersion: in.IfVersion}, func(c *change) (bool, error) {
		switch c.o.Status {
		case StatusPending, StatusConfirmed, StatusProcessing:
		default:
			return false, ErrIllegalTransition.WithDetails(map[string]any{"from": c.o.Status, "to": StatusShipped,
				"message": "only PENDING, CONFIRMED or PROCESSING orders ship"})
		}
		if c.o.onHold() {
			return false, ErrUnderReview
		}
		lines := in.Lines
		if len(lines) == 0 {
			if lines = c.o.remaining(); len(lines) == 0 {
				return false, &commerce.Error{Kind: commerce.EConflict, Code: "nothing_to_fulfil", Message: "orders: every unit has shipped"}
			}
		} else {
			left := map[string]int64{}
			for _, q := range c.o.remaining() {
				left[q.VariantID] = q.Quantity
			}
			var v commerce.Validator
			checkAgainst(&v, lines, left, "left to ship")
			if err := v.Err(); err != nil {
				return false, err
			}
		}
		f, err := c.fulfil(lines, in.Carrier, in.TrackingNumber, in.Note)
		made = f
		return true, err
	})
	return o, made, err
}

// fulfil adds a fulfilment of lines (checked by the caller) and moves the status.
func (c *change) fulfil(lines []Qty, carrier, tracking, note string) (Fulfilment, error) {
	if carrier == "" && c.o.Shipping != nil {
		carrier = c.o.Shipping.Carrier
	}
	f := Fulfilment{ID: commerce.NewID(), Lines: lines, Carrier: carrier, TrackingNumber: tracking, Status: FulfilmentShipped,
		Note: note, Actor: c.actor, ShippedAt: c.now}
	for _, to := range []string{StatusConfirmed, StatusProcessing} {
		if c.o.Status != StatusProcessing && CanTransition(c.o.Status, to) {
			if err := c.move(to, "fulfilment "+f.ID); err != nil {
				return f, err
			}
		}
	}
	c.o.Fulfilments = append(c.o.Fulfilments, f)
	c.log(EventFulfilled, note)
	if err := c.tx.CommitStock(c.o); err != nil {
		return f, err
	}
	if err := c.emit(EventFulfilled, map[string]any{"fulfilment_id": f.ID, "lines": f.Lines, "carrier": f.Carrier,
		"tracking_number": f.TrackingNumber}); err != nil {
		return f, err
	}
	if len(c.o.remaining()) == 0 {
		if err := c.move(StatusShipped, note); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Deliver marks one fulfilment delivered; the order is DELIVERED once every unit has
// shipped and every fulfilment is delivered. Marking a delivered fulfilment again changes
// nothing.
func (s *Service) Deliver(ctx context.Context, actor, id, fulfilmentID string, ifVersion int64) (Order, error) {
	return s.mutate(ctx, mutation{id: id, actor: actor, ifVersion: ifVersion}, func(c *change) (bool, error) {
		i := c.o.fulfilment(fulfilmentID)
		if i < 0 {
			return false, ErrFulfilmentNotFound
		}
		f := &c.o.Fulfilments[i]
		if f.Status == FulfilmentDelivered {
			return false, nil
		}
		f.Status, f.DeliveredAt = FulfilmentDelivered, c.now
		c.log(EventDelivered, "fulfilment "+f.ID)
		if err := c.emit(EventDelivered, map[string]any{"fulfilment_id": f.ID}); err != nil {
			return false, err
		}
		if c.o.Status == StatusShipped && c.o.allDelivered() {
			return true, c.move(StatusDelivered, "every shipment delivered")
		}
		return true, nil
	})
}

func (o Order) fulfilment(id string) int {
	for i, f := range o.Fulfilments {
		if f.ID == id {
			return i
		}
	}
	return -1
}

func (o Order) allDelivered() bool {
	for _, f := range o.Fulfilments {
		if f.Status != FulfilmentDelivered {
			return false
		}
	}
	return len(o.remaining()) == 0
}
