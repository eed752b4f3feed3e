package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
)

// Stock of a variant lives in its own key, apart from the product record, so a checkout
// changes a few small keys instead of rewriting products (and the product's version and
// ETag do not move with every sale).

func stockKey(variantID string) []byte { return Key(prefixStock, variantID) }

type getter interface{ Get([]byte) ([]byte, error) }

// stockOf returns the units available of a variant; a variant without a stock row has 0.
// Readers outside an update (product pages, lists) read the in-memory mirror of the stock
// rows; an update reads its batch, so checkout decides on exactly what it writes on.
func stockOf(r getter, variantID string) (int64, error) {
	if c, ok := r.(interface{ stockCache() *stockCache }); ok {
		if sc := c.stockCache(); sc != nil {
			return sc.get(variantID), nil
		}
	}
	b, err := r.Get(stockKey(variantID))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	v, err := decodeUint64(b)
	if err != nil {
		return 0, fmt.Errorf("store: stock of %s: %w", variantID, err)
	}
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("store: stock of %s: %w: negative", variantID, ErrCodec)
	}
	return int64(v), nil
}

// setStock writes the units available of a variant. Stock is never negative: callers check
// availability first, and a negative value here is a bug that rolls the update back.
func setStock(tx *Tx, variantID string, n int64) error {
	if n < 0 {
		return fmt.Errorf("store: stock of %s would be negative (%d)", variantID, n)
	}
	tx.Set(stockKey(variantID), encodeUint64(uint64(n)))
	return nil
}

// stockCache mirrors every stock row in memory, so reading a product page costs no store
// read per variant. It is filled at Open and changed by the writer right after each group
// is handed to Pebble (when its writes become visible to readers), from the group's own
// writes to the stock keyspace — so it never differs from the store for longer than a
// concurrent reader could tell.
type stockCache struct {
	mu sync.RWMutex
	m  map[string]int64
}

// stockWrite is one write to the stock keyspace by a committed update.
type stockWrite struct {
	id  string
	n   int64
	del bool
}

func (c *stockCache) get(id string) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[id]
}

func (c *stockCache) apply(ws []stockWrite) {
	if len(ws) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range ws {
		if w.del {
			delete(c.m, w.id)
		} else {
			c.m[w.id] = w.n
		}
	}
}

// readerCacheChanges reads, in one pass over an update's writes, what the update changes
// in the readers' in-memory state: its stock writes (appended to dst, for the mirror) and
// whether it writes a product record or a product's rating row (either moves
// DB.productEpoch, see catalog_doc.go: a cached product page shows both).
func readerCacheChanges(dst []stockWrite, writes map[string]op) (_ []stockWrite, product bool, _ error) {
	for k, o := range writes {
		if strings.HasPrefix(k, prefixProduct) || strings.HasPrefix(k, prefixRating) {
			product = true
			continue
		}
		if !strings.HasPrefix(k, prefixStock) {
			continue
		}
		w := stockWrite{id: k[len(prefixStock):], del: o.del}
		if !o.del {
			v, err := decodeUint64(o.value)
			if err != nil || v > math.MaxInt64 {
				return dst, product, fmt.Errorf("store: stock row %s: %w", k, ErrCodec)
			}
			w.n = int64(v)
		}
		dst = append(dst, w)
	}
	return dst, product, nil
}

// loadStock fills the mirror from the stock keyspace.
func (db *DB) loadStock(ctx context.Context) error {
	c := &stockCache{m: map[string]int64{}}
	err := db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixStock), PrefixEnd([]byte(prefixStock)), func(k, v []byte) error {
			n, err := decodeUint64(v)
			if err != nil || n > math.MaxInt64 {
				return fmt.Errorf("store: stock row %s: %w", k, ErrCodec)
			}
			c.m[string(k[len(prefixStock):])] = int64(n)
			return nil
		})
	})
	if err != nil {
		return err
	}
	db.stock = c
	return nil
}
