package index

import (
	"hash/maphash"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// docTable keeps, per indexed product, a fingerprint of its Bleve document and the fields
// that filters, sorts and facets read, as compact columns in memory. It serves two ends:
//
//   - Apply compares a re-read product's document with the fingerprint of what the index
//     holds and skips the ones that did not change (an order that moves stock without
//     selling out, say), so such batches neither write to Bleve nor start a new generation
//     (which would empty the result cache);
//   - searches count facets from the columns over the matching documents, and searches
//     without text are answered from the columns alone, without Bleve.
//
// A rebuild fills a new table from its own scan (exactly what the new index holds); an index
// opened from disk fills it in the background with the suggestion warm-up (WarmSuggestions).
// Until it is filled, searches use Bleve's facets and every applied product counts as a
// change.
type docTable struct {
	mu    sync.RWMutex
	ready bool // filled: searches may use it
	// pending is set when a warm-up scan filled the table but found another number of
	// products than the index holds (events not yet applied, or an index not made from this
	// source): the table becomes ready once Apply has made the counts agree.
	pending bool
	live    int // live rows
	// loading is set while the warm-up scan runs; Apply then records the products it wrote
	// in touched, so the scan's older copies do not overwrite them.
	loading bool
	touched map[string]bool

	slots map[string]int32 // product ID -> row
	rows  []docRow         // a deleted product leaves a dead row until the next rebuild
	terms map[string]int32 // interned strings (statuses, categories, brands, vendors, tags)
	names []string         // names[term]
}

// docRow is one product's document, reduced to what the table is for.
type docRow struct {
	id       string
	fp       uint64
	verified bool // fp describes the document the Bleve index holds
	live     bool
	hasPrice bool
	hasDate  bool
	inStock  bool
	status   int32
	brand    int32 // -1: none
	vendor   int32
	vendorID int32
	cats     []int32
	tags     []int32
	price    int64
	rating   float64
	created  int64 // Unix nanoseconds
}

const noTerm = -1

func newDocTable() *docTable {
	return &docTable{slots: map[string]int32{}, terms: map[string]int32{}}
}

var fpSeed = maphash.MakeSeed()

// fingerprint hashes a document as toDocument builds it: equal documents, equal hashes.
func fingerprint(d map[string]any) uint64 {
	var h maphash.Hash
	h.SetSeed(fpSeed)
	var buf [8]byte
	num := func(v uint64) {
		for i := range buf {
			buf[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(buf[:])
	}
	str := func(s string) {
		num(uint64(len(s)))
		_, _ = h.WriteString(s)
	}
	for _, k := range slices.Sorted(maps.Keys(d)) {
		str(k)
		switch v := d[k].(type) {
		case string:
			_ = h.WriteByte('s')
			str(v)
		case []any:
			_ = h.WriteByte('l')
			num(uint64(len(v)))
			for _, e := range v {
				s, _ := e.(string)
				str(s)
			}
		case float64:
			_ = h.WriteByte('f')
			num(math.Float64bits(v))
		case bool:
			_ = h.WriteByte('b')
			if v {
				_ = h.WriteByte(1)
			} else {
				_ = h.WriteByte(0)
			}
		case time.Time:
			_ = h.WriteByte('t')
			num(uint64(v.UnixNano()))
		default:
			// toDocument writes no other type; make such a document never match.
			_ = h.WriteByte('?')
			num(uint64(time.Now().UnixNano()))
		}
	}
	return h.Sum64()
}

// intern returns the term of s, adding it. The caller holds mu for writing (or owns t).
func (t *docTable) intern(s string) int32 {
	if n, ok := t.terms[s]; ok {
		return n
	}
	n := int32(len(t.names))
	t.terms[s] = n
	t.names = append(t.names, s)
	return n
}

// lookup returns the term of s, or noTerm when no document holds it.
func (t *docTable) lookup(s string) int32 {
	if n, ok := t.terms[s]; ok {
		return n
	}
	return noTerm
}

func (t *docTable) strings(v any) []int32 {
	switch v := v.(type) {
	case string:
		return []int32{t.intern(v)}
	case []any:
		out := make([]int32, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, t.intern(s))
			}
		}
		return out
	}
	return nil
}

func (t *docTable) one(v any) int32 {
	if s, ok := v.(string); ok {
		return t.intern(s)
	}
	return noTerm
}

// rowOf reduces document d of product id. The caller holds mu for writing (or owns t).
func (t *docTable) rowOf(id string, d map[string]any, fp uint64, verified bool) docRow {
	r := docRow{
		id: id, fp: fp, verified: verified, live: true,
		status:   t.one(d[fieldStatus]),
		brand:    t.one(d[fieldBrandKW]),
		vendor:   t.one(d[fieldVendorKW]),
		vendorID: t.one(d[fieldVendorID]),
		cats:     t.strings(d[fieldCategory]),
		tags:     t.strings(d[fieldTagsKW]),
	}
	r.inStock, _ = d[fieldInStock].(bool)
	r.rating, _ = d[fieldRating].(float64)
	if p, ok := d[fieldPrice].(float64); ok {
		r.price, r.hasPrice = int64(p), true
	}
	if c, ok := d[fieldCreatedAt].(time.Time); ok {
		r.created, r.hasDate = c.UnixNano(), true
	}
	return r
}

// put stores document d of product id (nil: the product is gone). The caller holds mu for
// writing (or owns t).
func (t *docTable) put(id string, d map[string]any, fp uint64, verified bool) {
	n, ok := t.slots[id]
	if d == nil {
		t.remove(id)
		return
	}
	r := t.rowOf(id, d, fp, verified)
	if ok {
		t.rows[n] = r
		return
	}
	t.slots[id] = int32(len(t.rows))
	t.rows = append(t.rows, r)
	t.live++
}

// unchanged reports whether the index verifiably holds a document of fingerprint fp for id.
// The caller holds mu.
func (t *docTable) unchanged(id string, fp uint64) bool {
	n, ok := t.slots[id]
	return ok && t.rows[n].verified && t.rows[n].fp == fp
}

// stagedDoc is a document Apply writes to the index (d nil: deleted).
type stagedDoc struct {
	id string
	d  map[string]any
	fp uint64
}

// skipUnchanged reports whether the index already holds document d of product id, and
// returns d staged for commit when it does not.
func (t *docTable) skipUnchanged(id string, d map[string]any) (stagedDoc, bool) {
	fp := fingerprint(d)
	t.mu.RLock()
	same := t.unchanged(id, fp)
	t.mu.RUnlock()
	return stagedDoc{id: id, d: d, fp: fp}, same
}

// commit records the documents an applied batch wrote.
func (t *docTable) commit(docs []stagedDoc) {
	if len(docs) == 0 && !t.pending {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range docs {
		t.put(s.id, s.d, s.fp, true)
		if t.loading {
			t.touched[s.id] = true
		}
	}
}

// adopt copies row r of table from (another interning) into t. The caller owns t.
func (t *docTable) adopt(r docRow, from *docTable) {
	re := func(n int32) int32 {
		if n == noTerm {
			return noTerm
		}
		return t.intern(from.names[n])
	}
	res := func(ns []int32) []int32 {
		out := make([]int32, len(ns))
		for i, n := range ns {
			out[i] = re(n)
		}
		return out
	}
	r.status, r.brand, r.vendor, r.vendorID = re(r.status), re(r.brand), re(r.vendor), re(r.vendorID)
	r.cats, r.tags = res(r.cats), res(r.tags)
	if n, ok := t.slots[r.id]; ok {
		t.rows[n] = r
		return
	}
	t.slots[r.id] = int32(len(t.rows))
	t.rows = append(t.rows, r)
	t.live++
}

// remove drops product id from t. The caller owns t.
func (t *docTable) remove(id string) {
	if n, ok := t.slots[id]; ok {
		t.rows[n] = docRow{id: id}
		delete(t.slots, id)
		t.live--
	}
}

// fillDocs makes scanned, the documents of the warm-up scan, the table in force in place of
// docs (which Apply kept writing to meanwhile). Products Apply wrote during the scan keep
// Apply's row. The scan's fingerprints are trusted (verified) only when the index has
// applied every event the scan may reflect: the source's seq read after the scan is at or
// below the high-water mark. Otherwise the scan may be newer than the index for some product
// and Apply re-writes each product once before trusting its fingerprint.
func (ix *Index) fillDocs(docs, scanned *docTable) {
	var seq uint64
	known := false
	if ix.cfg.SourceSeq != nil {
		if s, err := ix.cfg.SourceSeq(ix.stop); err == nil {
			seq, known = s, true
		}
	}
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	docs.mu.Lock()
	defer docs.mu.Unlock()
	touched := docs.touched
	docs.loading, docs.touched = false, nil
	if ix.docs.Load() != docs || ix.closed {
		return // a rebuild filled the columns meanwhile
	}
	if known && seq <= ix.hw.Load() {
		for i := range scanned.rows {
			scanned.rows[i].verified = scanned.rows[i].live
		}
	}
	for id := range touched {
		if n, ok := docs.slots[id]; ok {
			scanned.adopt(docs.rows[n], docs)
		} else {
			scanned.remove(id)
		}
	}
	scanned.pending = true
	ready := ix.checkDocsLocked(scanned)
	ix.docs.Store(scanned)
	if ready {
		ix.gen.Add(1)
	}
}

// checkDocsLocked makes a pending table ready when it holds as many products as the index,
// and reports whether it did: the caller then starts a new generation once the table is in
// force, since searches take another path whose ties may fall in another order (answers
// cached before must not be mixed with new ones, pages). The caller holds writeMu and t.mu
// for writing.
func (ix *Index) checkDocsLocked(t *docTable) bool {
	if !t.pending || ix.bi == nil {
		return false
	}
	if n, err := ix.bi.DocCount(); err == nil && n == uint64(t.live) {
		t.pending, t.ready = false, true
		return true
	}
	return false
}
