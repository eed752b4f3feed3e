package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// Secret returns the random secret of n bytes stored under sys/meta/<name>, creating it on
// first use. It lives in the store, so it survives restarts and travels with snapshots and
// backups (tokens signed with it stay valid after a restore).
func (db *DB) Secret(ctx context.Context, name string, n int) ([]byte, error) {
	key := Key(prefixMeta, name)
	var out []byte
	err := db.View(ctx, func(r *Reader) error {
		v, err := r.Get(key)
		out = v
		return err
	})
	if err == nil {
		return checkSecret(name, out, n)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	fresh := make([]byte, n)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("store: generate secret %s: %w", name, err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		// Another caller may have created it meanwhile: the first one wins.
		if v, err := tx.Get(key); err == nil {
			out = v
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		tx.Set(key, fresh)
		out = fresh
		return nil
	})
	if err != nil {
		return nil, err
	}
	return checkSecret(name, out, n)
}

func checkSecret(name string, v []byte, n int) ([]byte, error) {
	if len(v) < n {
		return nil, fmt.Errorf("%w: secret %s holds %d bytes, want %d", ErrCodec, name, len(v), n)
	}
	return v, nil
}
