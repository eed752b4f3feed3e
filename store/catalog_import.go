package store

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// updateReads is the read side of one catalog update (catalogTx): it memoizes the update's
// reads of the state it started from, so the many lookups of a bulk write (an import chunk
// asks for the same slug, SKU, variant and category rows while matching, checking and
// saving a product) each cost one store read. A key the update itself wrote is always read
// from its writes. The memo is exact: the group's batch under an update changes only after
// the update's function returns.
type updateReads struct {
	tx *Tx
	// summaryAudit: the product events of this update are audited with a summary of the
	// product (an import: see SummaryAudit).
	summaryAudit bool
	m            map[string]memoRead
	paths        map[string][]string // category ID -> categoryPath, until the update writes a category
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

// SummaryAudit makes the audit entries of the products this update saves carry a summary
// of the product (importSummary) instead of the whole product: a bulk import stays audited,
// one entry per product event, without storing every product a second time.
func (t catalogTx) SummaryAudit() {
	if t.r != nil {
		t.r.summaryAudit = true
	}
}

// importSummary is the audit Data of a product saved by an import.
type importSummary struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Title    string   `json:"title"`
	Status   string   `json:"status"`
	Version  int64    `json:"version"`
	SKUs     []string `json:"skus"`
	Summary  bool     `json:"summary"` // the entry does not carry the whole product
	Imported bool     `json:"imported"`
}

// auditSummary sets the audit Data of the event just emitted for p.
func (t catalogTx) auditSummary(p *catalog.Product) error {
	if t.r == nil || !t.r.summaryAudit || len(t.tx.events) == 0 {
		return nil
	}
	s := importSummary{ID: p.ID, Slug: p.Slug, Title: p.Title, Status: p.Status, Version: p.Version, SKUs: make([]string, 0, len(p.Variants)), Summary: true, Imported: true}
	for _, v := range p.Variants {
		s.SKUs = append(s.SKUs, v.SKU)
	}
	d, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if t.tx.auditData == nil {
		t.tx.auditData = make(map[string][]byte)
	}
	t.tx.auditData[t.tx.events[len(t.tx.events)-1].ID] = d
	return nil
}
