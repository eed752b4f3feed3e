package store

import (
	"errors"
	"fmt"
	"math"
)

// Stock of a variant lives in its own key, apart from the product record, so a checkout
// changes a few small keys instead of rewriting products (and the product's version and
// ETag do not move with every sale).

func stockKey(variantID string) []byte { return Key(prefixStock, variantID) }

type getter interface{ Get([]byte) ([]byte, error) }

// stockOf returns the units available of a variant; a variant without a stock row has 0.
func stockOf(r getter, variantID string) (int64, error) {
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
