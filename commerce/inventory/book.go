package inventory

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Reader is what the inventory reads of the store.
type Reader interface {
	// Warehouses returns every warehouse in allocation order, the default one included
	// (as DefaultWarehouseRecord until someone edits it).
	Warehouses() ([]Warehouse, error)
	// Levels returns variantID's level in each of ws, in ws's order (a zero level where
	// none is stored).
	Levels(variantID string, ws []Warehouse) ([]Level, error)
	Item(variantID string) (Item, bool, error)
	Variant(variantID string) (VariantInfo, error) // ErrVariantNotFound
	VariantExists(variantID string) (bool, error)
	Sellable(variantID string) (int64, error)
	Reservation(orderID string) (Reservation, bool, error)
	// NonEmptyLevel returns a level of the warehouse holding or owing stock, if any.
	NonEmptyLevel(warehouse string) (Level, bool, error)
}

// Tx is Reader plus the writes of one atomic update.
type Tx interface {
	Reader
	PutWarehouse(w Warehouse) error
	PutLevel(l Level) error
	SetSellable(variantID string, n int64) error
	PutItem(it Item) error
	AddMovement(m Movement) error
	// PutReservation writes r (prev is the stored one it replaces, nil for a new one) and
	// keeps an active reservation in the index of active reservations by expiry.
	PutReservation(r Reservation, prev *Reservation) error
	DefaultLowStock() int64 // the configured low-stock threshold; 0 is off
	Emit(ev commerce.Event)
}

// VariantInfo names a variant.
type VariantInfo struct {
	ID        string `json:"variant_id"`
	SKU       string `json:"sku"`
	ProductID string `json:"product_id"`
	Title     string `json:"title"`
}

// Book applies level changes inside one update: it reads each variant's levels once, and
// Flush writes the changed levels, their movements, the variant's sellable units and, when
// they cross the low-stock threshold downwards, inventory.low_stock — all in the update.
type Book struct {
	tx    Tx
	now   time.Time
	actor string
	whs   []Warehouse
	vs    map[string]*stockState
	order []string
}

type stockState struct {
	variantID, sku string
	levels         []Level // per warehouse, in whs order
	changed        []bool
	item           Item
	before         int64 // sum of available before the book's changes
	moves          []Movement
}

// NewBook starts a book of changes made by actor at now.
func NewBook(tx Tx, now time.Time, actor string) (*Book, error) {
	whs, err := tx.Warehouses()
	if err != nil {
		return nil, err
	}
	if actor == "" {
		actor = "system"
	}
	return &Book{tx: tx, now: now, actor: actor, whs: whs}, nil
}

// warehouse returns the index of a warehouse code, or -1.
func (b *Book) warehouse(code string) int {
	for i, w := range b.whs {
		if w.Code == code {
			return i
		}
	}
	return -1
}

// load reads a variant's levels and settings (once per book).
func (b *Book) load(variantID, sku string) (*stockState, error) {
	if s, ok := b.vs[variantID]; ok {
		if s.sku == "" {
			s.sku = sku
		}
		return s, nil
	}
	levels, err := b.tx.Levels(variantID, b.whs)
	if err != nil {
		return nil, err
	}
	item, _, err := b.tx.Item(variantID)
	if err != nil {
		return nil, err
	}
	s := &stockState{variantID: variantID, sku: sku, levels: levels, changed: make([]bool, len(levels)), item: item, before: total(levels)}
	for i, l := range levels {
		// A level read but not stored holding units (stock from before warehouses) is
		// written with the first change of the variant.
		if !l.Stored && (l.OnHand != 0 || l.Reserved != 0) {
			s.changed[i] = true
		}
	}
	if b.vs == nil {
		b.vs = make(map[string]*stockState)
	}
	b.vs[variantID] = s
	b.order = append(b.order, variantID)
	return s, nil
}

// total is the sum of available units over levels.
func total(levels []Level) int64 {
	var n int64
	for _, l := range levels {
		n += l.Available()
	}
	return n
}

// sellable is what catalog and carts see: total available, never below zero.
func sellable(n int64) int64 { return max(n, 0) }

// change moves warehouse wi's on-hand and reserved units of s and records the movement m
// (its reason, note and references; the rest is filled here).
func (b *Book) change(s *stockState, wi int, onHand, reserved int64, m Movement) {
	if onHand == 0 && reserved == 0 {
		return
	}
	l := &s.levels[wi]
	l.OnHand += onHand
	l.Reserved += reserved
	s.changed[wi] = true
	m.VariantID, m.Warehouse = s.variantID, l.Warehouse
	m.OnHandChange, m.ReservedChange = onHand, reserved
	m.OnHand, m.Reserved = l.OnHand, l.Reserved
	m.Actor, m.At = b.actor, b.now
	s.moves = append(s.moves, m)
}

// Flush writes everything the book changed.
func (b *Book) Flush() error {
	for _, id := range b.order {
		s := b.vs[id]
		dirty := false
		for i, l := range s.levels {
			if !s.changed[i] {
				continue
			}
			dirty = true
			if err := b.tx.PutLevel(l); err != nil {
				return err
			}
			s.levels[i].Stored = true
			s.changed[i] = false
		}
		for _, m := range s.moves {
			m.ID = commerce.NewID()
			if err := b.tx.AddMovement(m); err != nil {
				return err
			}
		}
		s.moves = s.moves[:0]
		if !dirty {
			continue
		}
		after := total(s.levels)
		if err := b.tx.SetSellable(id, sellable(after)); err != nil {
			return err
		}
		before, now := sellable(s.before), sellable(after)
		if t := s.item.threshold(b.tx.DefaultLowStock()); t > 0 && before >= t && now < t {
			ev, err := commerce.NewEvent(EventLowStock, id, b.now, map[string]any{
				"variant_id": id, "sku": s.sku, "available": now, "threshold": t,
			})
			if err != nil {
				return err
			}
			b.tx.Emit(ev)
		}
		s.before = after
	}
	return nil
}
