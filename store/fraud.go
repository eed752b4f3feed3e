package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/fraud"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Fraud is the fraud review queue and the velocity counters' upkeep. Checkout writes both
// (checkout_screen.go), and so does a gateway capture that names the paying card
// (screenPaidCard, with the rules given to SetRules); orders.Service.DecideReview takes an order off the queue through
// orderTx.ReleaseHold.
type Fraud struct{ db *DB }

// NewFraud returns the fraud store on db.
func NewFraud(db *DB) *Fraud { return &Fraud{db: db} }

var _ orders.HoldTx = orderTx{}

// SetRules sets the fraud rules the store applies itself: the orders-per-card velocity of
// a payment captured with a gateway's card fingerprint (screenPaidCard). The zero rules
// (never set) count and hold nothing.
func (s *Fraud) SetRules(r fraud.Rules) { s.db.fraudRules.Store(r) }

// screenPaidCard counts order o, which the update marks paid by payment paymentID, for the
// card that paid it when the gateway reported the card's fingerprint
// (Payment.Gateway["card_fingerprint"]): the checkout screening step's orders-per-card
// counter (velocity rows, the same sliding window), which knows gift cards only. When the
// card paid more orders in the window than the rule allows, o is held for review as checkout
// holds it (Order.Review pending, the queue row); an order on hold already keeps its one
// hold with the rule added to its reasons. A cancelled order is counted, not held.
func screenPaidCard(tx *Tx, o *orders.Order, paymentID string, now time.Time) error {
	all, _ := tx.db.fraudRules.Load().(fraud.Rules)
	r := fraud.Rules{Enabled: all.Enabled, Window: all.Window, MaxOrdersPerCard: all.MaxOrdersPerCard}
	if len(r.Counters(fraud.Signals{CardFingerprint: "?"})) == 0 {
		return nil // the rule is off: no payment read
	}
	p, err := paymentOf(tx, paymentID)
	if err != nil || p.Gateway["card_fingerprint"] == "" {
		return err
	}
	sig := fraud.Signals{CardFingerprint: p.Method + ":" + p.Gateway["card_fingerprint"], Recent: map[string]int{}}
	ct := checkoutTx{tx}
	for _, c := range r.Counters(sig) {
		times, err := ct.Velocity(c.Rule, c.Value)
		if err != nil {
			return err
		}
		n, keep := fraud.Slide(times, now, r.Window, c.Limit)
		sig.Recent[c.Rule] = n
		if err := ct.PutVelocity(c.Rule, c.Value, keep); err != nil {
			return err
		}
	}
	d := fraud.Evaluate(r, sig)
	if !d.Hold || o.Status == orders.StatusCancelled {
		return nil
	}
	if o.Review != nil && o.Review.Status == orders.ReviewPending {
		rv := *o.Review
		for _, why := range d.Reasons {
			if !slices.Contains(rv.Reasons, why) {
				rv.Reasons = append(slices.Clip(rv.Reasons), why)
			}
		}
		o.Review = &rv
		return nil // its queue row is there
	}
	o.Review = &orders.Review{Status: orders.ReviewPending, Reasons: d.Reasons}
	return ct.HoldOrder(o.ID)
}

// ReleaseHold takes the order off the fraud review queue, in the order's update.
func (o orderTx) ReleaseHold(orderID string) error {
	o.tx.Delete(fraudHeldKey(orderID))
	return nil
}

// Held returns the orders on the review queue, oldest first (the order a queue is worked
// in). The cursor is the last order ID of the previous page, base64url-encoded.
func (s *Fraud) Held(ctx context.Context, page commerce.Page) (commerce.List[orders.Order], error) {
	page = page.Normalize()
	prefix := []byte(prefixFraudHeld)
	lower := prefix
	if page.Cursor != "" {
		last, err := decodeIDCursor(page.Cursor)
		if err != nil {
			return commerce.List[orders.Order]{}, err
		}
		lower = append(Key(prefixFraudHeld, last), 0) // strictly after it
	}
	l := commerce.List[orders.Order]{Items: []orders.Order{}}
	more := false
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(lower, PrefixEnd(prefix), func(k, _ []byte) error {
			if len(l.Items) == page.Limit {
				more = true
				return ErrStop
			}
			o, err := orderOf(r, string(k[len(prefix):]))
			if err != nil {
				return fmt.Errorf("store: held order %s: %w", k[len(prefix):], err)
			}
			l.Items = append(l.Items, o)
			return nil
		})
	})
	if err != nil {
		return commerce.List[orders.Order]{}, err
	}
	if more {
		l.NextCursor = encodeIDCursor(l.Items[len(l.Items)-1].ID)
	}
	return l, nil
}

// PurgeVelocity deletes the velocity counters whose newest order is older than window
// before now: they count nothing any more. Rows are re-read in the deleting update, so a
// counter an order just moved stays.
func (s *Fraud) PurgeVelocity(ctx context.Context, now time.Time, window time.Duration) (int, error) {
	from := now.Add(-window).UnixNano()
	stale := func(v []byte) bool {
		return len(v) < 8 || int64(binary.BigEndian.Uint64(v[len(v)-8:])) <= from
	}
	var keys [][]byte
	prefix := []byte(prefixFraudVelocity)
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, PrefixEnd(prefix), func(k, v []byte) error {
			if stale(v) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for start := 0; start < len(keys); start += 1000 {
		err := s.db.Update(ctx, func(tx *Tx) error {
			for _, k := range keys[start:min(start+1000, len(keys))] {
				if v, err := tx.Get(k); err == nil && stale(v) {
					tx.Delete(k)
					n++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
