package store

import (
	"bytes"
	"errors"
)

// updateReads is the read side of one catalog update (catalogTx): it memoizes the update's
// reads of the state it started from, so the many lookups of a bulk write (an import chunk
// asks for the same slug, SKU, variant and category rows while matching, checking and
// saving a product) each cost one store read. A key the update itself wrote is always read
// from its writes. The memo is exact: the group's batch under an update changes only after
// the update's function returns.
type updateReads struct {
	tx    *Tx
	m     map[string]memoRead
	paths map[string][]string // category ID -> categoryPath, until the update writes a category
}

type memoRead struct {
	v     []byte
	found bool
}

func newUpdateReads(tx *Tx) *updateReads {
	return &updateReads{tx: tx, m: make(map[string]memoRead)}
}

// Get is Tx.Get.
func (u *updateReads) Get(key []byte) ([]byte, error) {
	if _, ok := u.tx.writes[string(key)]; ok {
		return u.tx.Get(key)
	}
	if r, ok := u.m[string(key)]; ok {
		if !r.found {
			return nil, ErrNotFound
		}
		return bytes.Clone(r.v), nil
	}
	v, err := get(u.tx.batch, key)
	switch {
	case errors.Is(err, ErrNotFound):
		u.m[string(key)] = memoRead{}
		return nil, err
	case err != nil:
		return nil, err
	}
	u.m[string(key)] = memoRead{v: v, found: true}
	return bytes.Clone(v), nil
}

// categoryPath is categoryPath through the memo, computed once per category and update.
func (u *updateReads) categoryPath(id string) ([]string, error) {
	if p, ok := u.paths[id]; ok {
		return p, nil
	}
	p, err := categoryPath(u, id)
	if err != nil {
		return nil, err
	}
	if u.paths == nil {
		u.paths = make(map[string][]string)
	}
	u.paths[id] = p
	return p, nil
}

// categoriesChanged forgets the memoized category paths (a category was written).
func (u *updateReads) categoriesChanged() { u.paths = nil }

// FreshIDs records that ids (product or variant IDs just made by commerce.NewID) name
// nothing stored yet, so saving their product reads no product or variant row for them.
func (t catalogTx) FreshIDs(ids ...string) {
	if t.r == nil {
		return
	}
	for _, id := range ids {
		for _, k := range [][]byte{productKey(id), variantKey(id)} {
			if _, ok := t.tx.writes[string(k)]; !ok {
				t.r.m[string(k)] = memoRead{}
			}
		}
	}
}
