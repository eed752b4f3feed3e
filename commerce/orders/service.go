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
	if clock == nil {
		clock = commerce.SystemClock{}
	}
	return &Service{store: store, clock: clock}
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
// history entry (by actor) and emitting orders.status_changed; a cancellation also returns
// every line's stock and emits orders.cancelled, all in one update.
func (s *Service) SetStatus(ctx context.Context, actor, id string, in StatusInput) (Order, error) {
	in.Status = strings.ToUpper(strings.TrimSpace(in.Status))
	in.Note, in.Carrier, in.TrackingNumber = strings.TrimSpace(in.Note), strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber)
	var v commerce.Validator
	if in.Status == "" {
		v.Add("status", "is required")
	} else {
		v.Check(ValidStatus(in.Status), "status", "must be one of "+strings.Join(Statuses, ", "))
	}
	v.Check(len(in.Note) <= 1000, "note", "is too long")
	v.Check(len(in.Carrier) <= 100, "carrier", "is too long")
	v.Check(len(in.TrackingNumber) <= 100, "tracking_number", "is too long")
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	if !commerce.ValidID(id) {
		return Order{}, ErrNotFound
	}
	var out Order
	err := s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.Order(id)
		if err != nil {
			return err
		}
		if in.IfVersion != 0 && in.IfVersion != prev.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": prev.Version})
		}
		if !CanTransition(prev.Status, in.Status) {
			return ErrIllegalTransition.WithDetails(map[string]any{"from": prev.Status, "to": in.Status, "allowed": NextStatuses(prev.Status)})
		}
		now := s.clock.Now()
		o := prev
		o.Status = in.Status
		o.History = append(append([]Change(nil), prev.History...), Change{Status: in.Status, At: now, Actor: actor, Note: in.Note})
		if in.Carrier != "" {
			o.Carrier = in.Carrier
		}
		if in.TrackingNumber != "" {
			o.TrackingNumber = in.TrackingNumber
		}
		o.Version++
		o.UpdatedAt = now
		if o.Status == StatusCancelled {
			if err := tx.ReleaseStock(o, "order cancelled"); err != nil {
				return err
			}
		}
		if err := tx.PutOrder(o, prev); err != nil {
			return err
		}
		ev, err := commerce.NewEvent(EventStatusChanged, o.ID, now, map[string]any{
			"order_id": o.ID, "number": o.Number, "from": prev.Status, "to": o.Status, "note": o.History[len(o.History)-1].Note,
		})
		if err != nil {
			return err
		}
		ev.Actor = actor
		tx.Emit(ev)
		if o.Status == StatusCancelled {
			ev, err := commerce.NewEvent(EventCancelled, o.ID, now, EventDataOf(o))
			if err != nil {
				return err
			}
			ev.Actor = actor
			tx.Emit(ev)
		}
		out = o
		return nil
	})
	return out, err
}
