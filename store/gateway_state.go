package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// GatewayState is a small keyed store for one payment gateway adapter's own records (Payme
// transactions by Payme ID, Click transactions by click_trans_id): JSON values by key, an
// optional time index for statements (Range) and optional aliases (another key naming the
// same record, e.g. a payment's active transaction). Adapters see it through their own
// small interfaces; they never import the store.
type GatewayState struct {
	db   *DB
	name string
}

// GatewayState returns the state store of the gateway adapter name (e.g. "payme").
func (db *DB) GatewayState(name string) *GatewayState { return &GatewayState{db: db, name: name} }

// gatewayRecord is the stored value of a state row: the adapter's JSON and the time that
// indexes it (zero: not indexed).
type gatewayRecord struct {
	At    time.Time       `json:"at,omitzero"`
	Value json.RawMessage `json:"value"`
}

// ErrGatewayStateNotFound is returned by Get and Alias for a key that holds nothing.
var ErrGatewayStateNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "gateway_state_not_found", Message: "gateway state: not found"}

func (s *GatewayState) stateKey(key string) []byte { return Key(prefixGatewayState, s.name, key) }
func (s *GatewayState) aliasKey(alias string) []byte {
	return Key(prefixGatewayAlias, s.name, alias)
}

func (s *GatewayState) timeKey(at time.Time, key string) []byte {
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli()))
	return Key(prefixGatewayByTime, s.name, string(ms[:]), key)
}

// Get returns the JSON stored at key, or an ENotFound error.
func (s *GatewayState) Get(ctx context.Context, key string) ([]byte, error) {
	var rec gatewayRecord
	err := s.db.View(ctx, func(r *Reader) error { return getJSON(r, s.stateKey(key), &rec) })
	if errors.Is(err, ErrNotFound) {
		return nil, ErrGatewayStateNotFound
	}
	if err != nil {
		return nil, err
	}
	return []byte(rec.Value), nil
}

// Alias returns the key that alias names, or an ENotFound error.
func (s *GatewayState) Alias(ctx context.Context, alias string) (string, error) {
	var key string
	err := s.db.View(ctx, func(r *Reader) error {
		b, err := r.Get(s.aliasKey(alias))
		key = string(b)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return "", ErrGatewayStateNotFound
	}
	return key, err
}

// Put stores value (JSON) at key in one synced update, indexed by at unless at is zero (a
// former index row of the key is moved), and points every alias at key.
func (s *GatewayState) Put(ctx context.Context, key string, value []byte, at time.Time, aliases ...string) error {
	if !json.Valid(value) {
		return fmt.Errorf("store: gateway state %s/%s: value is not JSON", s.name, key)
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var old gatewayRecord
		switch err := getJSON(tx, s.stateKey(key), &old); {
		case err == nil:
			if !old.At.IsZero() && !old.At.Equal(at) {
				tx.Delete(s.timeKey(old.At, key))
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := putJSON(tx, s.stateKey(key), gatewayRecord{At: at, Value: value}); err != nil {
			return err
		}
		if !at.IsZero() {
			tx.Set(s.timeKey(at, key), nil)
		}
		for _, a := range aliases {
			tx.Set(s.aliasKey(a), []byte(key))
		}
		return nil
	})
}

// Range calls fn with every record indexed at a time in [from, to], oldest first.
func (s *GatewayState) Range(ctx context.Context, from, to time.Time, fn func(key string, value []byte) error) error {
	lower := s.timeKey(from, "")
	upper := PrefixEnd(s.timeKey(to, "")[:len(s.timeKey(to, ""))-1])
	type row struct {
		key   string
		value []byte
	}
	var rows []row
	err := s.db.View(ctx, func(r *Reader) error {
		skip := len(prefixGatewayByTime) + len(s.name) + 1 + 8 + 1
		return r.Scan(lower, upper, func(k, _ []byte) error {
			if len(k) < skip {
				return nil
			}
			key := string(k[skip:])
			var rec gatewayRecord
			if err := getJSON(r, s.stateKey(key), &rec); err != nil {
				return err
			}
			rows = append(rows, row{key, rec.Value})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := fn(r.key, r.value); err != nil {
			return err
		}
	}
	return nil
}
