// Package memstate is an in-memory gateway state store for the adapters' tests, with the
// semantics of store.GatewayState (JSON values by key, a time index, aliases).
package memstate

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Store is an in-memory gateway state store.
type Store struct {
	mu      sync.Mutex
	values  map[string][]byte
	at      map[string]time.Time
	aliases map[string]string
	// Err, when set, is returned by every Put (a failing disk).
	Err error
}

// New returns an empty Store.
func New() *Store {
	return &Store{values: map[string][]byte{}, at: map[string]time.Time{}, aliases: map[string]string{}}
}

var errNotFound = commerce.Errorf(commerce.ENotFound, "gateway_state_not_found", "gateway state: not found")

// Get returns the value at key.
func (s *Store) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	if !ok {
		return nil, errNotFound
	}
	return append([]byte(nil), v...), nil
}

// Alias returns the key alias names.
func (s *Store) Alias(_ context.Context, alias string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.aliases[alias]
	if !ok {
		return "", errNotFound
	}
	return k, nil
}

// Put stores value at key, indexed by at (unless zero), and points aliases at key.
func (s *Store) Put(_ context.Context, key string, value []byte, at time.Time, aliases ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return s.Err
	}
	if !json.Valid(value) {
		return errors.New("memstate: value is not JSON")
	}
	s.values[key] = append([]byte(nil), value...)
	s.at[key] = at
	for _, a := range aliases {
		s.aliases[a] = key
	}
	return nil
}

// Range calls fn for every record indexed in [from, to] (millisecond precision), oldest first.
func (s *Store) Range(_ context.Context, from, to time.Time, fn func(key string, value []byte) error) error {
	s.mu.Lock()
	var keys []string
	for k, at := range s.at {
		ms := at.UnixMilli()
		if !at.IsZero() && ms >= from.UnixMilli() && ms <= to.UnixMilli() {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if !s.at[keys[i]].Equal(s.at[keys[j]]) {
			return s.at[keys[i]].Before(s.at[keys[j]])
		}
		return keys[i] < keys[j]
	})
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = s.values[k]
	}
	s.mu.Unlock()
	for i, k := range keys {
		if err := fn(k, vals[i]); err != nil {
			return err
		}
	}
	return nil
}
