package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Fraud is the fraud review queue and the velocity counters' upkeep. Checkout writes both
// (checkout_screen.go); orders.Service.DecideReview takes an order off the queue through
// orderTx.ReleaseHold.
type Fraud struct{ db *DB }

// NewFraud returns the fraud store on db.
func NewFraud(db *DB) *Fraud { return &Fraud{db: db} }

var _ orders.HoldTx = orderTx{}

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
