package orders

import (
	"context"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Review statuses of an order the fraud rules held (Order.Review.Status).
const (
	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewRejected = "rejected"
)

// Review event types.
const (
	EventReviewApproved = "orders.review_approved"
	EventReviewRejected = "orders.review_rejected"
)

// Review errors.
var (
	ErrNoReview = &commerce.Error{Kind: commerce.ENotFound, Code: "review_not_found",
		Message: "orders: the order was not held for review"}
	ErrReviewDecided = &commerce.Error{Kind: commerce.EConflict, Code: "review_decided",
		Message: "orders: the review was decided already"}
)

// HoldTx is the part of an order update that keeps the fraud review queue: the store's
// order update implements it next to Tx.
type HoldTx interface {
	// ReleaseHold takes the order off the review queue.
	ReleaseHold(orderID string) error
}

// ReviewAllows reports whether the order may move to status to as far as a fraud review is
// concerned: an order held for review (pending) may not start fulfilment — PROCESSING,
// SHIPPED, DELIVERED — until staff approve it (ErrUnderReview). Cancelling is always
// allowed.
func (o Order) ReviewAllows(to string) error {
	if o.Review == nil || o.Review.Status != ReviewPending {
		return nil
	}
	switch to {
	case StatusProcessing, StatusShipped, StatusDelivered:
		return ErrUnderReview.WithDetails(map[string]any{"reasons": o.Review.Reasons})
	}
	return nil
}

// DecideReview records a staff decision on an order the fraud rules held, in one update:
// Order.Review gets the status, who decided and when, the history an entry with the note,
// the order leaves the review queue and orders.review_approved or orders.review_rejected is
// emitted. A rejection also cancels the order (its stock goes back, orders.cancelled) unless
// it is cancelled already. An order never held is ErrNoReview; one decided, ErrReviewDecided.
func (s *Service) DecideReview(ctx context.Context, actor, orderID string, approve bool, note string) (Order, error) {
	note = strings.TrimSpace(note)
	var v commerce.Validator
	v.Text("note", note, 1000, false)
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	return s.mutate(ctx, mutation{id: orderID, actor: actor}, func(c *change) (bool, error) {
		if c.o.Review == nil {
			return false, ErrNoReview
		}
		if c.o.Review.Status != ReviewPending {
			return false, ErrReviewDecided.WithDetails(map[string]any{"status": c.o.Review.Status})
		}
		ht, ok := c.tx.(HoldTx)
		if !ok {
			return false, commerce.Errorf(commerce.EInternal, "review_queue", "orders: the store keeps no review queue")
		}
		r := *c.o.Review
		r.Reasons = append([]string(nil), r.Reasons...)
		r.DecidedBy, r.DecidedAt = c.actor, c.now
		typ := EventReviewApproved
		if r.Status = ReviewApproved; !approve {
			r.Status, typ = ReviewRejected, EventReviewRejected
		}
		c.o.Review = &r
		c.log(typ, note)
		if err := c.emit(typ, map[string]any{"reasons": r.Reasons, "note": note}); err != nil {
			return false, err
		}
		if !approve && c.o.Status != StatusCancelled {
			if note == "" {
				note = "rejected by the fraud review"
			}
			if err := c.cancel(note); err != nil {
				return false, err
			}
		}
		return true, ht.ReleaseHold(c.o.ID)
	})
}
