package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/recommend"
)

// Recommend is the Pebble implementation of recommend.Repository: hourly view and sales
// buckets (recommend/bucket/<hour>/<product>), bought-together pair counts
// (recommend/pair/<a>/<b>, both ways) and the orders already counted (recommend/order/<id>),
// which make recording an order idempotent. All of it is derived: RebuildFromOrders recounts
// sales and pairs from the stored orders; views are best effort and cannot be recounted.
type Recommend struct{ db *DB }

// NewRecommend returns the recommendation store on db.
func NewRecommend(db *DB) *Recommend { return &Recommend{db: db} }

var _ recommend.Repository = (*Recommend)(nil)

// hourLayout names an hour in bucket keys: fixed width, so bytewise order is time order.
const hourLayout = "2006010215"

func hourPart(t time.Time) string { return t.UTC().Format(hourLayout) }

func bucketKey(hour time.Time, productID string) []byte {
	return Key(prefixRecommendBucket, hourPart(hour), productID)
}
func pairKey(a, b string) []byte         { return Key(prefixRecommendPair, a, b) }
func recommendOrderKey(id string) []byte { return Key(prefixRecommendOrder, id) }

// bucketValue is a bucket's stored counts.
type bucketValue struct {
	Views int64 `json:"views,omitempty"`
	Sales int64 `json:"sales,omitempty"`
}

// addToBucket adds views and sales to one bucket.
func addToBucket(tx *Tx, hour time.Time, productID string, views, sales int64) error {
	key := bucketKey(hour, productID)
	var v bucketValue
	if err := getJSON(tx, key, &v); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	v.Views += views
	v.Sales += sales
	return putJSON(tx, key, v)
}

// RecordOrders adds the sales and pairs of the orders not recorded yet, all in one update,
// and marks them recorded in the same batch.
func (s *Recommend) RecordOrders(ctx context.Context, os []recommend.Order) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		n = 0
		for _, o := range os {
			fresh, err := recordOrder(tx, o, true)
			if err != nil {
				return err
			}
			if fresh {
				n++
			}
		}
		return nil
	})
	return n, err
}

// recordOrder counts o (its pairs, and its sales when sales is set) unless it was counted before.
func recordOrder(tx *Tx, o recommend.Order, sales bool) (bool, error) {
	mark := recommendOrderKey(o.ID)
	if _, err := tx.Get(mark); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	tx.Set(mark, nil)
	hour := recommend.HourOf(o.Time)
	for id, q := range o.Sales() {
		if !sales {
			break
		}
		if err := addToBucket(tx, hour, id, 0, q); err != nil {
			return false, err
		}
	}
	for _, p := range o.Pairs() {
		key := pairKey(p.A, p.B)
		var c uint64
		if b, err := tx.Get(key); err == nil {
			if c, err = decodeUint64(b); err != nil {
				return false, fmt.Errorf("store: pair %s: %w", key, err)
			}
		} else if !errors.Is(err, ErrNotFound) {
			return false, err
		}
		tx.Set(key, encodeUint64(c+1))
	}
	return true, nil
}

// AddViews adds views to the products' buckets of the hour in one update.
func (s *Recommend) AddViews(ctx context.Context, hour time.Time, views map[string]int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		for id, n := range views {
			if err := addToBucket(tx, hour, id, n, 0); err != nil {
				return err
			}
		}
		return nil
	})
}

// Buckets returns the buckets of the hours from `from` on, oldest hour first.
func (s *Recommend) Buckets(ctx context.Context, from time.Time) ([]recommend.Bucket, error) {
	var out []recommend.Bucket
	lower := Key(prefixRecommendBucket, hourPart(from))
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(lower, PrefixEnd([]byte(prefixRecommendBucket)), func(k, v []byte) error {
			hour, id, err := parseBucketKey(k)
			if err != nil {
				return err
			}
			var b bucketValue
			if err := decode(v, &b); err != nil {
				return fmt.Errorf("store: bucket %q: %w", k, err)
			}
			out = append(out, recommend.Bucket{Hour: hour, ProductID: id, Views: b.Views, Sales: b.Sales})
			return nil
		})
	})
	return out, err
}

func parseBucketKey(k []byte) (time.Time, string, error) {
	rest := k[len(prefixRecommendBucket):]
	hourB, id, ok := bytes.Cut(rest, []byte{'/'})
	hour, err := time.Parse(hourLayout, string(hourB))
	if !ok || err != nil || len(id) == 0 {
		return time.Time{}, "", fmt.Errorf("%w: bucket key %q", ErrCodec, k)
	}
	return hour, string(id), nil
}

// PruneBuckets deletes the buckets of the hours before `before` in one update.
func (s *Recommend) PruneBuckets(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		var keys [][]byte
		err := tx.Scan([]byte(prefixRecommendBucket), Key(prefixRecommendBucket, hourPart(before)), func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			tx.Delete(k)
		}
		n = len(keys)
		return nil
	})
	return n, err
}

// BoughtWith returns how many orders held productID together with each other product.
func (s *Recommend) BoughtWith(ctx context.Context, productID string) ([]recommend.PairCount, error) {
	var out []recommend.PairCount
	prefix := Key(prefixRecommendPair, productID, "")
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, PrefixEnd(prefix), func(k, v []byte) error {
			c, err := decodeUint64(v)
			if err != nil {
				return fmt.Errorf("store: pair %q: %w", k, err)
			}
			out = append(out, recommend.PairCount{ProductID: string(k[len(prefix):]), Count: int64(c)})
			return nil
		})
	})
	return out, err
}

// NeverCounted reports whether orders are stored but none was ever counted for
// recommendations: a shop that had orders before recommendations existed (or whose
// recommendation rows were lost) should be rebuilt from them.
func (s *Recommend) NeverCounted(ctx context.Context) (bool, error) {
	has := func(r *Reader, prefix string) (bool, error) {
		found := false
		err := r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(_, _ []byte) error { found = true; return ErrStop })
		return found, err
	}
	var never bool
	err := s.db.View(ctx, func(r *Reader) error {
		counted, err := has(r, prefixRecommendOrder)
		if err != nil || counted {
			return err
		}
		never, err = has(r, prefixOrder)
		return err
	})
	return never, err
}

// RecommendOrderOf is what recommendations count of a placed order.
func RecommendOrderOf(id string, at time.Time, lines []orders.LineData) recommend.Order {
	o := recommend.Order{ID: id, Time: at, Lines: make([]recommend.Line, len(lines))}
	for i, l := range lines {
		o.Lines[i] = recommend.Line{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	return o
}

// RebuildFromOrders recounts, in one update, every pair and the sales of the buckets from
// salesFrom on from the stored orders (each placed order counts, as the orders.placed
// consumer counts them), and marks every order recorded. Views are kept. It returns the
// orders counted. Run alongside the consumer it is still exact: both are updates, so an
// order is counted by whichever comes first and skipped by the other.
func (s *Recommend) RebuildFromOrders(ctx context.Context, salesFrom time.Time) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		n = 0
		// Forget what was counted: pairs, order marks and the sales of every bucket.
		var drop [][]byte
		for _, prefix := range []string{prefixRecommendPair, prefixRecommendOrder} {
			if err := tx.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(k, _ []byte) error {
				drop = append(drop, bytes.Clone(k))
				return nil
			}); err != nil {
				return err
			}
		}
		type viewsOnly struct {
			key   []byte
			views int64
		}
		var keep []viewsOnly
		if err := tx.Scan([]byte(prefixRecommendBucket), PrefixEnd([]byte(prefixRecommendBucket)), func(k, v []byte) error {
			var b bucketValue
			if err := decode(v, &b); err != nil {
				return fmt.Errorf("store: bucket %q: %w", k, err)
			}
			if b.Views > 0 {
				keep = append(keep, viewsOnly{bytes.Clone(k), b.Views})
			} else {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			tx.Delete(k)
		}
		for _, b := range keep {
			if err := putJSON(tx, b.key, bucketValue{Views: b.views}); err != nil {
				return err
			}
		}
		// Count every stored order again.
		var all []orders.Order
		if err := tx.Scan([]byte(prefixOrder), PrefixEnd([]byte(prefixOrder)), func(k, v []byte) error {
			var o orders.Order
			if err := decode(v, &o); err != nil {
				return fmt.Errorf("store: order %q: %w", k, err)
			}
			all = append(all, o)
			return nil
		}); err != nil {
			return err
		}
		for _, o := range all {
			// An order from before the window counts for its pairs only: its sales would be
			// pruned at once.
			ro := RecommendOrderOf(o.ID, o.CreatedAt, orders.EventDataOf(o).Lines)
			if _, err := recordOrder(tx, ro, !o.CreatedAt.Before(salesFrom)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
