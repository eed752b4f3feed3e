package store

import (
	"context"
	"fmt"
	"time"
)

// expiryPurgeBatch bounds the deletions of one purge update, so a long backlog never makes one
// huge batch that holds up other writers.
const expiryPurgeBatch = 1000

// purgeExpired deletes the rows under prefix whose expires_at is before now. It scans them
// in read snapshots of at most expiryPurgeBatch keys and hands each batch of expired keys to del,
// which deletes them in one update and says how many it deleted. It returns the total.
func purgeExpired(ctx context.Context, db *DB, prefix string, now time.Time, del func(keys [][]byte) (int, error)) (int, error) {
	total := 0
	lower := []byte(prefix)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var keys [][]byte
		var next []byte
		err := db.View(ctx, func(r *Reader) error {
			return r.Scan(lower, PrefixEnd([]byte(prefix)), func(k, v []byte) error {
				if len(keys) == expiryPurgeBatch {
					next = append([]byte(nil), k...)
					return ErrStop
				}
				if exp, err := expiryOf(v); err != nil {
					return fmt.Errorf("store: %s: %w", keyString(k), err)
				} else if exp.Before(now) {
					keys = append(keys, append([]byte(nil), k...))
				}
				return nil
			})
		})
		if err != nil {
			return total, err
		}
		if len(keys) > 0 {
			n, err := del(keys)
			total += n
			if err != nil {
				return total, err
			}
		}
		if next == nil {
			return total, nil
		}
		lower = next
	}
}

// expiryOf decodes the expires_at of a row that has one (a single-use token, a refresh-token
// row, a session).
func expiryOf(v []byte) (time.Time, error) {
	var e struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	err := decode(v, &e)
	return e.ExpiresAt, err
}
