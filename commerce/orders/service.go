package orders

import (
	"context"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Service runs the order use cases after checkout: reading, listing and moving orders
// through their statuses.
type Service struct {
	store Store
	clock commerce.Clock
}

// NewService returns the order service on store; a nil clock means the system clock.
func NewService(store Store, clock commerce.Clock) *Service {
	return &Service{store: store, clock: commerce.OrSystemClock(clock)}
}

// Get returns an order v may see; any other is not found (its existence is not revealed).
func (s *Service) Get(ctx context.Context, v Viewer, id string) (Order, error) {
	if !commerce.ValidID(id) {
		return Order{}, ErrNotFound
	}
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !o.CanSee(v) {
		return Order{}, ErrNotFound
	}
	return o, nil
}

// List returns v's orders, newest first; staff see every order and may filter by status.
// A customer's status filter applies to their own orders.
func (s *Service) List(ctx context.Context, v Viewer, status string, page commerce.Page) (commerce.List[Order], error) {
	f := Filter{Status: strings.ToUpper(strings.TrimSpace(status))}
	if f.Status != "" && !ValidStatus(f.Status) {
		return commerce.List[Order]{}, commerce.Invalid(commerce.FieldError{Field: "status", Message: "must be one of " + strings.Join(Statuses, ", ")})
	}
	if !v.Staff {
		if v.UserID == "" {
			return commerce.List[Order]{}, &commerce.Error{Kind: commerce.EUnauthorized, Code: "authentication_required", Message: "orders: sign in to list orders"}
		}
		f.UserID = v.UserID
	}
	return s.store.ListOrders(ctx, f, page.Normalize())
}

// StatusInput is a status change asked for by staff.
type StatusInput struct {
	Status         string
	Note           string
	TrackingNumber string
	Carrier        string
	IfVersion      int64 // the version the caller read (If-Match); 0 means unconditional
}

// SetStatus moves an order to a new status when the transition is legal, appending the
// history entry (by actor) and emitting orders.status_changed, with the side effects of the
// status (see change.setStatus: a cancellation returns the stock, SHIPPED ships what is
// left, DELIVERED delivers every shipment), all in one update.
func (s *Service) SetStatus(ctx context.Context, actor, id string, in StatusInput) (Order, error) {
	in.Status = strings.ToUpper(strings.TrimSpace(in.Status))
	in.Note, in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Note), strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	var v commerce.Validator
	if in.Status == "" {
		v.Add("status", "is required")
	} else {
		v.Check(ValidStatus(in.Status), "status", "must be one of "+strings.Join(Statuses, ", "))
	}
	v.Text("note", in.Note, 1000, false)
	v.Text("carrier", in.Carrier, 100, false)
	v.Text("tracking_number", in.TrackingNumber, 100, false)
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.mutate(ctx, mutation{id: id, actor: actor, ifVersion: in.IfVersion}, func(c *change) (bool, error) {
		return true, c.setStatus(in.Status, in.Note, in.Carrier, in.TrackingNumber)
	})
}
