package store

import (
	"context"
	"encoding/base64"

	"github.com/ultramarket/ultramarket/commerce"
)

// pageRows reads a page of the rows under prefix in one snapshot: forward from after the
// cursor, or with reverse backward from before it. The cursor is the base64url of the
// page's last item's key after prefix; valid vets a decoded one (bad is returned
// otherwise). row makes a row (its key after prefix, its value) an item, or skips it (a
// filter); a next cursor is given only when another item follows.
func pageRows[T any](ctx context.Context, db *DB, prefix []byte, page commerce.Page, reverse bool, bad error,
	valid func(last []byte) bool, row func(r *Reader, key, v []byte) (T, bool, error)) (commerce.List[T], error) {
	page = page.Normalize()
	lower, upper := prefix, PrefixEnd(prefix)
	if page.Cursor != "" {
		last, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		if err != nil || !valid(last) {
			return commerce.List[T]{}, bad
		}
		at := append(append([]byte(nil), prefix...), last...)
		if reverse {
			upper = at // exclusive: strictly before
		} else {
			lower = append(at, 0) // strictly after
		}
	}
	list := commerce.List[T]{Items: []T{}}
	var lastKey []byte
	more := false
	err := db.View(ctx, func(r *Reader) error {
		scan := r.Scan
		if reverse {
			scan = r.ScanReverse
		}
		return scan(lower, upper, func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			item, ok, err := row(r, k[len(prefix):], v)
			if err != nil || !ok {
				return err
			}
			if len(list.Items) == page.Limit {
				more = true
				return ErrStop
			}
			list.Items = append(list.Items, item)
			lastKey = append(lastKey[:0], k[len(prefix):]...)
			return nil
		})
	})
	if err != nil {
		return commerce.List[T]{}, err
	}
	if more {
		list.NextCursor = base64.RawURLEncoding.EncodeToString(lastKey)
	}
	return list, nil
}
