package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Idempotency keeps the responses of requests sent with an Idempotency-Key. Values are
// opaque to the store (the HTTP layer encodes them); rows carry their expiry, are treated as
// missing once it passes, and are deleted by Purge through the idem/expiry/ index.
type Idempotency struct {
	db  *DB
	now func() time.Time
}

// NewIdempotency returns the idempotency store on db.
func NewIdempotency(db *DB) *Idempotency {
	return &Idempotency{db: db, now: time.Now}
}

// idemRecord is a stored response.
type idemRecord struct {
	ExpiresAt time.Time `json:"expires_at"`
	Value     []byte    `json:"value"`
}

// idemRowKey is the row of (scope, key) in a keyspace: keys are the client's and may hold any
// byte, so the row is named by a hash.
func idemRowKey(prefix, scope, key string) []byte {
	h := sha256.New()
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return Key(prefix, hex.EncodeToString(h.Sum(nil)))
}

// idemExpiryKey orders rows by expiry: prefix, expiry in unix ns (big-endian), the row key.
func idemExpiryKey(row []byte, at time.Time) []byte {
	k := Uint64Key(prefixIdemExpiry, uint64(max(at.UnixNano(), 0)))
	return append(k, row...)
}

// setIdemExpiry records when row expires, for Purge.
func setIdemExpiry(tx *Tx, row []byte, at time.Time) {
	tx.Set(idemExpiryKey(row, at), row)
}

// Load returns the value stored under key, unless it has expired.
func (s *Idempotency) Load(ctx context.Context, key string) ([]byte, bool, error) {
	var rec idemRecord
	err := s.db.View(ctx, func(r *Reader) error { return getJSON(r, idemRowKey(prefixIdemResponse, "", key), &rec) })
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if !s.now().Before(rec.ExpiresAt) {
		return nil, false, nil
	}
	return rec.Value, true, nil
}

// Save stores value under key for ttl, replacing what was there.
func (s *Idempotency) Save(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	rec := idemRecord{ExpiresAt: s.now().Add(ttl).UTC(), Value: value}
	row := idemRowKey(prefixIdemResponse, "", key)
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := putJSON(tx, row, rec); err != nil {
			return err
		}
		setIdemExpiry(tx, row, rec.ExpiresAt)
		return nil
	})
}

// purgeBatch bounds the rows one purge update deletes, so it never holds the writer long.
const purgeBatch = 500

// Purge deletes the idempotency rows (responses and checkout receipts) that expired before
// now and returns how many it deleted. It reads only the expired part of the expiry index.
func (s *Idempotency) Purge(ctx context.Context, now time.Time) (int, error) {
	total := 0
	upper := Uint64Key(prefixIdemExpiry, uint64(max(now.UnixNano(), 0)))
	for {
		var expired [][2][]byte // expiry entry, row
		err := s.db.View(ctx, func(r *Reader) error {
			return r.Scan([]byte(prefixIdemExpiry), upper, func(k, v []byte) error {
				expired = append(expired, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
				if len(expired) == purgeBatch {
					return ErrStop
				}
				return nil
			})
		})
		if err != nil || len(expired) == 0 {
			return total, err
		}
		n := 0
		err = s.db.Update(ctx, func(tx *Tx) error {
			n = 0
			for _, e := range expired {
				tx.Delete(e[0])
				// The row may have been written again since, with a later expiry of its own.
				b, err := tx.Get(e[1])
				if errors.Is(err, ErrNotFound) {
					continue
				} else if err != nil {
					return err
				}
				var rec struct {
					ExpiresAt time.Time `json:"expires_at"`
				}
				if err := decode(b, &rec); err != nil {
					return err
				}
				if rec.ExpiresAt.Before(now) || rec.ExpiresAt.Equal(now) {
					tx.Delete(e[1])
					n++
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if len(expired) < purgeBatch {
			return total, nil
		}
	}
}
