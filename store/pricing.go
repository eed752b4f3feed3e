package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// Price lists, promotions, coupon codes, tax zones and customer groups, and the in-memory
// book checkout and cart views price with. Every write to a list, promotion or zone bumps
// the pricing epoch in its own batch; a reader compares the epoch it reads (one small key)
// with the cached book's and reloads the book only when they differ, so the hot path reads
// one key instead of scanning promotions, and never sees a book older than its snapshot.

func priceListKey(id string) []byte         { return Key(prefixPriceList, id) }
func promotionKey(id string) []byte         { return Key(prefixPromotion, id) }
func promoCodeKey(code string) []byte       { return Key(prefixPromoCode, code) }
func promoUsageKey(id string) []byte        { return Key(prefixPromoUsage, id) }
func taxZoneKey(id string) []byte           { return Key(prefixTaxZone, id) }
func customerGroupKey(userID string) []byte { return Key(prefixCustomerGroup, userID) }
func promoCustomerUsageKey(id, customer string) []byte {
	return Key(prefixPromoCustomerUsage, id, customer)
}

// Pricing is the Pebble implementation of pricing.Store.
type Pricing struct{ db *DB }

// NewPricing returns the pricing store on db.
func NewPricing(db *DB) *Pricing { return &Pricing{db: db} }

var _ pricing.Store = (*Pricing)(nil)

// View runs fn on a snapshot.
func (s *Pricing) View(ctx context.Context, fn func(pricing.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(pricingReader{r}) })
}

// Update runs fn as one atomic update.
func (s *Pricing) Update(ctx context.Context, fn func(pricing.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(pricingTx{pricingReader{tx}, tx}) })
}

type pricingReader struct{ r scanner }

func (p pricingReader) PriceList(id string) (pricing.PriceList, error) {
	var l pricing.PriceList
	return l, getOr(p.r, priceListKey(id), &l, pricing.ErrPriceListNotFound)
}

func (p pricingReader) PriceLists(page commerce.Page) ([]pricing.PriceList, string, error) {
	return pageOfJSON[pricing.PriceList](p.r, prefixPriceList, page, func(l pricing.PriceList) string { return l.ID })
}

func (p pricingReader) Promotion(id string) (pricing.PromotionRecord, error) {
	var rec pricing.PromotionRecord
	return rec, getOr(p.r, promotionKey(id), &rec, pricing.ErrPromotionNotFound)
}

func (p pricingReader) Promotions(page commerce.Page) ([]pricing.PromotionRecord, string, error) {
	return pageOfJSON[pricing.PromotionRecord](p.r, prefixPromotion, page, func(r pricing.PromotionRecord) string { return r.ID })
}

func (p pricingReader) PromotionByCode(code string) (string, bool, error) {
	b, err := p.r.Get(promoCodeKey(pricing.NormalizeCode(code)))
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

func (p pricingReader) Usage(id string, page commerce.Page) (pricing.PromotionUsage, string, error) {
	rec, err := p.Promotion(id)
	if err != nil {
		return pricing.PromotionUsage{}, "", err
	}
	u := pricing.PromotionUsage{PromotionID: id, UsageLimit: rec.UsageLimit, PerCustomerLimit: rec.PerCustomerLimit, Customers: []pricing.CustomerUsage{}}
	if u.Total, err = counterOf(p.r, promoUsageKey(id)); err != nil {
		return u, "", err
	}
	base := Key(prefixPromoCustomerUsage, id, "")
	lower := base
	if page.Cursor != "" {
		lower = append(Key(prefixPromoCustomerUsage, id, page.Cursor), 0)
	}
	var next string
	err = p.r.Scan(lower, PrefixEnd(base), func(k, v []byte) error {
		if len(u.Customers) == page.Limit {
			next = u.Customers[len(u.Customers)-1].Customer
			return ErrStop
		}
		n, err := decodeUint64(v)
		if err != nil {
			return err
		}
		u.Customers = append(u.Customers, pricing.CustomerUsage{Customer: string(k[len(base):]), Count: int64(n)})
		return nil
	})
	return u, next, err
}

func (p pricingReader) TaxZone(id string) (pricing.TaxZone, error) {
	var z pricing.TaxZone
	return z, getOr(p.r, taxZoneKey(id), &z, pricing.ErrTaxZoneNotFound)
}

func (p pricingReader) TaxZones() ([]pricing.TaxZone, error) {
	zs := []pricing.TaxZone{}
	err := p.r.Scan([]byte(prefixTaxZone), PrefixEnd([]byte(prefixTaxZone)), func(_, v []byte) error {
		var z pricing.TaxZone
		if err := decode(v, &z); err != nil {
			return err
		}
		zs = append(zs, z)
		return nil
	})
	return zs, err
}

func (p pricingReader) UserExists(userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	_, err := p.r.Get(userKey(userID))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (p pricingReader) Group(userID string) (string, error) { return groupOf(p.r, userID) }

type pricingTx struct {
	pricingReader
	tx *Tx
}

func (p pricingTx) PutPriceList(l pricing.PriceList) error {
	bumpPricingEpoch(p.tx)
	return putJSON(p.tx, priceListKey(l.ID), l)
}

func (p pricingTx) DeletePriceList(id string) error {
	bumpPricingEpoch(p.tx)
	p.tx.Delete(priceListKey(id))
	return nil
}

func (p pricingTx) PutPromotion(rec pricing.PromotionRecord, oldCode string) error {
	bumpPricingEpoch(p.tx)
	if oldCode != "" && oldCode != rec.Code {
		p.tx.Delete(promoCodeKey(oldCode))
	}
	if rec.Code != "" {
		p.tx.Set(promoCodeKey(rec.Code), []byte(rec.ID))
	}
	return putJSON(p.tx, promotionKey(rec.ID), rec)
}

func (p pricingTx) DeletePromotion(rec pricing.PromotionRecord) error {
	bumpPricingEpoch(p.tx)
	if rec.Code != "" {
		p.tx.Delete(promoCodeKey(rec.Code))
	}
	p.tx.Delete(promotionKey(rec.ID))
	return nil
}

func (p pricingTx) PutTaxZone(z pricing.TaxZone) error {
	bumpPricingEpoch(p.tx)
	return putJSON(p.tx, taxZoneKey(z.ID), z)
}

func (p pricingTx) DeleteTaxZone(id string) error {
	bumpPricingEpoch(p.tx)
	p.tx.Delete(taxZoneKey(id))
	return nil
}

func (p pricingTx) SetGroup(userID, group string) error {
	if group == "" {
		p.tx.Delete(customerGroupKey(userID))
	} else {
		p.tx.Set(customerGroupKey(userID), []byte(group))
	}
	return nil
}

func (p pricingTx) Emit(ev commerce.Event) { p.tx.Emit(ev) }

// getOr decodes the value at key into v, or returns notFound.
func getOr(r getter, key []byte, v any, notFound error) error {
	err := getJSON(r, key, v)
	if errors.Is(err, ErrNotFound) {
		return notFound
	}
	return err
}

// pageOfJSON reads up to page.Limit values of a keyspace keyed by ID, after the cursor (an ID).
func pageOfJSON[T any](r scanner, prefix string, page commerce.Page, id func(T) string) ([]T, string, error) {
	lower := []byte(prefix)
	if page.Cursor != "" {
		lower = append(Key(prefix, page.Cursor), 0)
	}
	out := []T{}
	var next string
	err := r.Scan(lower, PrefixEnd([]byte(prefix)), func(_, v []byte) error {
		if len(out) == page.Limit {
			next = id(out[len(out)-1])
			return ErrStop
		}
		var t T
		if err := decode(v, &t); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, next, err
}

// counterOf reads a uint64 counter; a missing one is 0.
func counterOf(r getter, key []byte) (int64, error) {
	b, err := r.Get(key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	n, err := decodeUint64(b)
	return int64(n), err
}

func groupOf(r getter, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	b, err := r.Get(customerGroupKey(userID))
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// bumpPricingEpoch moves the pricing epoch in tx, so cached books reload.
func bumpPricingEpoch(tx *Tx) {
	n, _ := counterOf(tx, []byte(keyPricingEpoch))
	tx.Set([]byte(keyPricingEpoch), encodeUint64(uint64(n)+1))
}

// ---- the book

// book is the priced shop at one epoch: price lists in resolution order, promotions by
// whether they need a code, tax zones.
type book struct {
	epoch      uint64
	lists      []pricing.PriceList
	auto       []pricing.Promotion // automatic promotions (no code)
	byCode     map[string]pricing.Promotion
	zones      []pricing.Zone
	groups     bool // some list is for a customer group: the buyer's group must be read
	categories bool // some promotion targets categories: lines need their categories
}

// promotionsFor returns the promotions a cart with codes can use: the automatic ones and
// those of its codes.
func (b *book) promotionsFor(codes []string) []pricing.Promotion {
	if len(codes) == 0 {
		return b.auto
	}
	out := make([]pricing.Promotion, len(b.auto), len(b.auto)+len(codes))
	copy(out, b.auto)
	seen := map[string]bool{}
	for _, c := range codes {
		c = pricing.NormalizeCode(c)
		if p, ok := b.byCode[c]; ok && !seen[c] {
			seen[c] = true
			out = append(out, p)
		}
	}
	return out
}

// books holds each open DB's cached book.
var books sync.Map // *DB -> *atomic.Pointer[book]

// bookOf returns the book at r's epoch: the cached one when current, else loaded through r.
func bookOf(db *DB, r scanner) (*book, error) {
	epochB, err := r.Get([]byte(keyPricingEpoch))
	var epoch uint64
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if epoch, err = decodeUint64(epochB); err != nil {
			return nil, err
		}
	}
	v, _ := books.LoadOrStore(db, new(atomic.Pointer[book]))
	ptr := v.(*atomic.Pointer[book])
	if b := ptr.Load(); b != nil && b.epoch == epoch {
		return b, nil
	}
	b, err := loadBook(r, epoch)
	if err != nil {
		return nil, err
	}
	for {
		cur := ptr.Load()
		if cur != nil && cur.epoch >= epoch {
			break
		}
		if ptr.CompareAndSwap(cur, b) {
			break
		}
	}
	return b, nil
}

func loadBook(r scanner, epoch uint64) (*book, error) {
	b := &book{epoch: epoch, byCode: map[string]pricing.Promotion{}}
	err := r.Scan([]byte(prefixPriceList), PrefixEnd([]byte(prefixPriceList)), func(_, v []byte) error {
		var l pricing.PriceList
		if err := decode(v, &l); err != nil {
			return fmt.Errorf("store: price list: %w", err)
		}
		b.groups = b.groups || l.CustomerGroup != ""
		b.lists = append(b.lists, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	pricing.SortLists(b.lists)
	err = r.Scan([]byte(prefixPromotion), PrefixEnd([]byte(prefixPromotion)), func(_, v []byte) error {
		var rec pricing.PromotionRecord
		if err := decode(v, &rec); err != nil {
			return fmt.Errorf("store: promotion: %w", err)
		}
		p := rec.Promotion
		b.categories = b.categories || len(p.Target.CategoryIDs) > 0
		if p.Code == "" {
			b.auto = append(b.auto, p)
		} else {
			b.byCode[strings.ToUpper(p.Code)] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = r.Scan([]byte(prefixTaxZone), PrefixEnd([]byte(prefixTaxZone)), func(_, v []byte) error {
		var z pricing.TaxZone
		if err := decode(v, &z); err != nil {
			return fmt.Errorf("store: tax zone: %w", err)
		}
		b.zones = append(b.zones, z.Zone)
		return nil
	})
	return b, err
}

// usageOf reads a promotion's redemption counts: in total and by customer.
func usageOf(r getter, p *pricing.Promotion, customer string) (total, byCustomer int64, err error) {
	if total, err = counterOf(r, promoUsageKey(p.ID)); err != nil {
		return 0, 0, err
	}
	if p.PerCustomerLimit > 0 && customer != "" {
		byCustomer, err = counterOf(r, promoCustomerUsageKey(p.ID, customer))
	}
	return total, byCustomer, err
}

// unredeem gives back one redemption of a promotion by customer (a cancelled order's): the
// total and, when counted, the customer's count, never below zero.
func unredeem(tx *Tx, promotionID, customer string) error {
	for _, k := range [][]byte{promoUsageKey(promotionID), promoCustomerUsageKey(promotionID, customer)} {
		n, err := counterOf(tx, k)
		if err != nil {
			return err
		}
		if n > 0 {
			tx.Set(k, encodeUint64(uint64(n-1)))
		}
	}
	return nil
}

// redeem counts one redemption of a promotion by customer: the total always, the
// customer's count when the promotion has a per-customer limit.
func redeem(tx *Tx, p *pricing.Promotion, customer string) error {
	total, err := counterOf(tx, promoUsageKey(p.ID))
	if err != nil {
		return err
	}
	tx.Set(promoUsageKey(p.ID), encodeUint64(uint64(total)+1))
	if p.PerCustomerLimit > 0 && customer != "" {
		k := promoCustomerUsageKey(p.ID, customer)
		n, err := counterOf(tx, k)
		if err != nil {
			return err
		}
		tx.Set(k, encodeUint64(uint64(n)+1))
	}
	return nil
}
