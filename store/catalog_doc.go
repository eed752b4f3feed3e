package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/reviews"
)

// Decoded products are cached, keyed by product ID and checked against the stored record on
// every use: a hit is a record whose bytes equal those the entry was decoded from, so the
// cache can never serve a product that changed, whoever wrote it. Reading a product then
// costs its record's get and its stock rows, without the JSON decode (and, for the product
// page, without the encode either: the entry keeps the product's JSON split where the stock
// values go).
//
// The cache is shared by every DB in the process (entries are checked against the record,
// so two stores cannot confuse each other) and bounded: past maxCachedProducts entries,
// arbitrary ones are dropped.
const maxCachedProducts = 20_000

var products = struct {
	sync.RWMutex
	m map[string]*cachedProduct
}{m: map[string]*cachedProduct{}}

type cachedProduct struct {
	raw []byte          // the stored record the entry was made from
	p   catalog.Product // decoded; shared, never modified

	// valid says the entry equalled the record of db when db's productEpoch was epoch:
	// until the epoch moves (a product record or rating row was written), it is served
	// without a read.
	valid atomic.Pointer[validAt]

	docOnce sync.Once
	segs    [][]byte // the product's JSON cut before each variant's stock value
	docErr  error

	// rated is the JSON template with the ratings of one rating row (store/reviews.go),
	// for products that have one; remade when the row changes.
	rated atomic.Pointer[ratedDoc]
}

// ratedDoc is a product's JSON template made with the rating row rating.
type ratedDoc struct {
	rating []byte
	segs   [][]byte
}

// cachedProductOf returns the entry of the stored record raw of product id.
func cachedProductOf(id string, raw []byte) (*cachedProduct, error) {
	products.RLock()
	e := products.m[id]
	products.RUnlock()
	if e != nil && bytes.Equal(e.raw, raw) {
		return e, nil
	}
	e = &cachedProduct{raw: raw}
	if err := decode(raw, &e.p); err != nil {
		return nil, fmt.Errorf("store: product %s: %w", id, err)
	}
	if e.p.Images == nil {
		e.p.Images = []catalog.Image{}
	}
	products.Lock()
	if len(products.m) >= maxCachedProducts {
		for k := range products.m {
			delete(products.m, k)
			if len(products.m) < maxCachedProducts*3/4 {
				break
			}
		}
	}
	products.m[id] = e
	products.Unlock()
	return e, nil
}

type validAt struct {
	db     *DB
	epoch  uint64
	rating []byte // the product's rating row at that epoch (nil: none)
}

// freshProduct returns the cached entry of product id, with the rating row it was checked
// with, when no product record or rating row of db was written since it was last checked
// against db, or nil.
func freshProduct(db *DB, id string) (*cachedProduct, []byte) {
	products.RLock()
	e := products.m[id]
	products.RUnlock()
	if e == nil {
		return nil, nil
	}
	if v := e.valid.Load(); v != nil && v.db == db && v.epoch == db.productEpoch.Load() {
		return e, v.rating
	}
	return nil, nil
}

// product returns a copy of the entry's product that the caller may change (its variants
// are its own; tags, options and images are shared and must not be modified in place).
func (e *cachedProduct) product() catalog.Product {
	p := e.p
	p.Variants = append([]catalog.Variant(nil), e.p.Variants...)
	return p
}

// stockSentinel is the stock written for variant i when the JSON template is made: a value
// no real stock has, so its place in the JSON can be found.
func stockSentinel(i int) int64 { return -9_000_000_000_000_000_000 + int64(i) }

// doc returns the JSON template: len(variants)+1 segments to join with the stock values.
// With a rating row, the template carries its ratings (made once per row value).
func (e *cachedProduct) doc(rating []byte) ([][]byte, error) {
	if rating != nil {
		if d := e.rated.Load(); d != nil && bytes.Equal(d.rating, rating) {
			return d.segs, nil
		}
		var s reviews.Summary
		if err := decode(rating, &s); err != nil {
			return nil, fmt.Errorf("store: rating of %s: %w", e.p.ID, err)
		}
		p := e.product()
		setRatings(&p, s)
		segs, err := docTemplate(p)
		if err != nil {
			return nil, err
		}
		e.rated.Store(&ratedDoc{rating: rating, segs: segs})
		return segs, nil
	}
	e.docOnce.Do(func() { e.segs, e.docErr = docTemplate(e.product()) })
	return e.segs, e.docErr
}

// docTemplate cuts p's JSON before each variant's stock value.
func docTemplate(p catalog.Product) ([][]byte, error) {
	for i := range p.Variants {
		p.Variants[i].Stock = stockSentinel(i)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	segs := make([][]byte, 0, len(p.Variants)+1)
	for i := range p.Variants {
		mark := []byte(`"stock":` + strconv.FormatInt(stockSentinel(i), 10))
		at := bytes.Index(body, mark)
		if at < 0 {
			return nil, fmt.Errorf("store: product %s: stock of variant %d not found in its JSON", p.ID, i)
		}
		at += len(`"stock":`)
		segs = append(segs, body[:at])
		body = body[at+len(mark)-len(`"stock":`):]
	}
	return append(segs, body), nil
}

// ProductDocument returns the product with the given ID (when ref looks like one) or slug as
// its JSON document with current stock.
func (c *Catalog) ProductDocument(ctx context.Context, ref string) (catalog.Document, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Document{}, err
	}
	// The busiest read: no snapshot. Each key is read at its newest committed state; the
	// stock may be a moment newer than the record, which is what a shopper should see anyway.
	r := latest{c.db}
	id := ref
	if !commerce.ValidID(ref) {
		v, err := r.Get(productSlugKey(ref))
		if errors.Is(err, ErrNotFound) {
			return catalog.Document{}, catalog.ErrProductNotFound
		} else if err != nil {
			return catalog.Document{}, err
		}
		id = string(v)
	}
	return documentTx(r, id)
}

// productEntry returns the cache entry of product id's stored record and the product's
// rating row (nil when it has none). Read outside a snapshot (latest), an entry checked
// since the last product or rating write is used without a read.
func productEntry(r getter, id string) (*cachedProduct, []byte, error) {
	l, isLatest := r.(latest)
	var epoch uint64
	if isLatest {
		if e, rating := freshProduct(l.db, id); e != nil {
			return e, rating, nil
		}
		epoch = l.db.productEpoch.Load() // before the reads: a later write moves it on
	}
	raw, err := r.Get(productKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, catalog.ErrProductNotFound
	} else if err != nil {
		return nil, nil, err
	}
	rating, err := r.Get(ratingKey(id))
	if errors.Is(err, ErrNotFound) {
		rating = nil
	} else if err != nil {
		return nil, nil, err
	}
	e, err := cachedProductOf(id, raw)
	if err != nil {
		return nil, nil, err
	}
	if isLatest {
		e.valid.Store(&validAt{db: l.db, epoch: epoch, rating: rating})
	}
	return e, rating, nil
}

// latest reads the newest committed value of each key, without a snapshot.
type latest struct{ db *DB }

func (l latest) Get(key []byte) ([]byte, error) { return get(l.db.pdb, key) }

func (l latest) stockCache() *stockCache { return l.db.stock }

// ProductDocumentsByID returns the products with the given IDs in that order as JSON
// documents, leaving out missing ones.
func (c *Catalog) ProductDocumentsByID(ctx context.Context, ids []string) ([]catalog.Document, error) {
	var out []catalog.Document
	err := c.db.View(ctx, func(r *Reader) (err error) { out, err = documentsTx(r, ids); return err })
	return out, err
}

func documentsTx(r getter, ids []string) ([]catalog.Document, error) {
	out := make([]catalog.Document, 0, len(ids))
	for _, id := range ids {
		d, err := documentTx(r, id)
		if errors.Is(err, catalog.ErrProductNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// documentTx reads product id as its JSON document with current stock.
func documentTx(r getter, id string) (catalog.Document, error) {
	e, rating, err := productEntry(r, id)
	if err != nil {
		return catalog.Document{}, err
	}
	segs, err := e.doc(rating)
	if err != nil {
		return catalog.Document{}, err
	}
	n := 0
	for _, s := range segs {
		n += len(s) + 20
	}
	out := make([]byte, 0, n)
	for i, v := range e.p.Variants {
		stock, err := stockOf(r, v.ID)
		if err != nil {
			return catalog.Document{}, err
		}
		out = append(out, segs[i]...)
		out = strconv.AppendInt(out, stock, 10)
	}
	out = append(out, segs[len(segs)-1]...)
	return catalog.Document{ID: e.p.ID, Status: e.p.Status, Version: e.p.Version, JSON: out}, nil
}
