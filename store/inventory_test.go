package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// stockRows reads every stock row from Pebble itself (through an update's batch, which the
// mirror does not serve).
func stockRows(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	err := db.Update(context.Background(), func(tx *Tx) error {
		return tx.Scan([]byte(prefixStock), PrefixEnd([]byte(prefixStock)), func(k, v []byte) error {
			n, err := decodeUint64(v)
			rows[string(k[len(prefixStock):])] = int64(n)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The in-memory mirror of the stock rows must equal the rows after any mix of concurrent
// updates — committed, rolled back, deleting — and after a reopen.
func TestStockMirrorFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openMem(t, fs)
	errRollback := errors.New("rolled back")
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf("variant-%02d", i)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range 200 {
				id := ids[rng.IntN(len(ids))]
				op := rng.IntN(10)
				err := db.Update(ctx, func(tx *Tx) error {
					switch {
					case op == 0:
						tx.Delete(stockKey(id))
					case op < 8:
						n, err := stockOf(tx, id)
						if err != nil {
							return err
						}
						if err := setStock(tx, id, n+int64(rng.IntN(5))); err != nil {
							return err
						}
					default:
						if err := setStock(tx, id, 999); err != nil {
							return err
						}
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	check := func(db *DB) {
		t.Helper()
		rows := stockRows(t, db)
		for _, id := range ids {
			var got int64
			if err := db.View(ctx, func(r *Reader) (err error) { got, err = stockOf(r, id); return err }); err != nil {
				t.Fatal(err)
			}
			if got != rows[id] {
				t.Errorf("stock of %s: readers see %d, the store holds %d", id, got, rows[id])
			}
			if got == 999 {
				t.Errorf("stock of %s: a rolled-back write reached the mirror", id)
			}
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check(openMem(t, fs))
}
