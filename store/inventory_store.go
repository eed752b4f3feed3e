package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/inventory"
)

// Warehouses, stock levels per variant and warehouse, movements, per-SKU settings and
// reservations (keys.go, inventory block). A level change always rewrites the variant's
// aggregate stock row (inventory.go) in the same update.

func warehouseKey(code string) []byte             { return Key(prefixWarehouse, code) }
func levelKey(variantID, warehouse string) []byte { return Key(prefixLevel, variantID, warehouse) }
func warehouseLevelKey(warehouse, variantID string) []byte {
	return Key(prefixWarehouseLevel, warehouse, variantID)
}
func moveByVariantKey(variantID, id string) []byte { return Key(prefixMoveByVariant, variantID, id) }
func moveByWarehouseKey(warehouse, id string) []byte {
	return Key(prefixMoveByWarehouse, warehouse, id)
}
func invItemKey(variantID string) []byte   { return Key(prefixInvItem, variantID) }
func reservationKey(orderID string) []byte { return Key(prefixReservation, orderID) }

// reservationActiveKey orders active reservations by expiry (unix ns, big-endian; those
// that do not expire sort last).
func reservationActiveKey(r inventory.Reservation) []byte {
	exp := uint64(math.MaxUint64)
	if r.ExpiresAt != nil {
		exp = uint64(max(r.ExpiresAt.UnixNano(), 0))
	}
	k := Uint64Key(prefixReservationActive, exp)
	return append(append(k, '/'), r.OrderID...)
}

// InventoryOptions configure the inventory's store side.
type InventoryOptions struct {
	LowStockThreshold int64 // the default low-stock threshold of a SKU; 0 is off
}

// invState is the inventory's in-memory state of one DB: its options and the warehouse list,
// read once and dropped whenever an update writes a warehouse.
type invState struct {
	lowStock atomic.Int64
	mu       sync.Mutex
	gen      uint64
	whs      []inventory.Warehouse // nil: not read yet
}

var invStates sync.Map // weak.Pointer[DB] → *invState

func invStateOf(db *DB) *invState {
	k := weak.Make(db)
	if s, ok := invStates.Load(k); ok {
		return s.(*invState)
	}
	s, loaded := invStates.LoadOrStore(k, &invState{})
	if !loaded {
		runtime.AddCleanup(db, func(k weak.Pointer[DB]) { invStates.Delete(k) }, k)
	}
	return s.(*invState)
}

// Inventory is the Pebble implementation of inventory.Store.
type Inventory struct{ db *DB }

// NewInventory returns the inventory store on db with its options.
func NewInventory(db *DB, o InventoryOptions) *Inventory {
	invStateOf(db).lowStock.Store(o.LowStockThreshold)
	return &Inventory{db: db}
}

var _ inventory.Store = (*Inventory)(nil)

// Update runs fn as one atomic, durable update.
func (s *Inventory) Update(ctx context.Context, fn func(inventory.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(newInvTx(tx)) })
}

// View runs fn on a consistent snapshot.
func (s *Inventory) View(ctx context.Context, fn func(inventory.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(invReader{r: r, db: s.db}) })
}

// rangeReader is what both *Reader and *Tx offer.
type rangeReader interface {
	Get([]byte) ([]byte, error)
	Scan(lower, upper []byte, fn func(key, value []byte) error) error
	ScanReverse(lower, upper []byte, fn func(key, value []byte) error) error
}

type invReader struct {
	r  rangeReader
	db *DB
	tx *Tx // nil outside an update
}

type invTx struct{ invReader }

func newInvTx(tx *Tx) invTx { return invTx{invReader{r: tx, db: tx.db, tx: tx}} }

// Warehouses returns every warehouse in allocation order. Inside an update that has not
// written a warehouse the DB's cached list serves.
func (r invReader) Warehouses() ([]inventory.Warehouse, error) {
	st := invStateOf(r.db)
	cacheable := r.tx != nil && !r.tx.wroteWarehouse()
	var gen uint64
	if cacheable {
		st.mu.Lock()
		whs, g := st.whs, st.gen
		st.mu.Unlock()
		if whs != nil {
			return append([]inventory.Warehouse(nil), whs...), nil
		}
		gen = g
	}
	var whs []inventory.Warehouse
	hasDefault := false
	err := r.r.Scan([]byte(prefixWarehouse), PrefixEnd([]byte(prefixWarehouse)), func(k, v []byte) error {
		var w inventory.Warehouse
		if err := decode(v, &w); err != nil {
			return fmt.Errorf("store: warehouse %s: %w", k, err)
		}
		hasDefault = hasDefault || w.Code == inventory.DefaultWarehouse
		whs = append(whs, w)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !hasDefault {
		whs = append(whs, inventory.DefaultWarehouseRecord())
	}
	inventory.SortWarehouses(whs)
	if cacheable {
		st.mu.Lock()
		if st.gen == gen {
			st.whs = append([]inventory.Warehouse(nil), whs...)
		}
		st.mu.Unlock()
	}
	return whs, nil
}

// wroteWarehouse reports whether the update wrote a warehouse row.
func (tx *Tx) wroteWarehouse() bool {
	for k := range tx.writes {
		if strings.HasPrefix(k, prefixWarehouse) {
			return true
		}
	}
	return false
}

// Levels reads the variant's level in each warehouse. A variant with no level stored
// anywhere but a stock row (stock from before warehouses) has it on hand in the default
// warehouse (unstored, so the first change writes it).
func (r invReader) Levels(variantID string, ws []inventory.Warehouse) ([]inventory.Level, error) {
	out := make([]inventory.Level, len(ws))
	stored := false
	for i, w := range ws {
		out[i] = inventory.Level{VariantID: variantID, Warehouse: w.Code}
		err := getJSON(r.r, levelKey(variantID, w.Code), &out[i])
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("store: level %s/%s: %w", variantID, w.Code, err)
		default:
			out[i].Stored, stored = true, true
		}
	}
	if !stored {
		n, err := stockOf(r.r, variantID)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if out[i].Warehouse == inventory.DefaultWarehouse {
				out[i].OnHand = n
			}
		}
	}
	return out, nil
}

func (r invReader) Item(variantID string) (inventory.Item, bool, error) {
	it := inventory.Item{VariantID: variantID, Backorder: inventory.BackorderDeny}
	ok, err := findJSON(r.r, invItemKey(variantID), &it)
	return it, ok, err
}

func (r invReader) Variant(variantID string) (inventory.VariantInfo, error) {
	ref, err := variantTx(r.r, variantID)
	if errors.Is(err, catalog.ErrVariantNotFound) {
		return inventory.VariantInfo{}, inventory.ErrVariantNotFound
	} else if err != nil {
		return inventory.VariantInfo{}, err
	}
	return inventory.VariantInfo{ID: ref.Variant.ID, SKU: ref.Variant.SKU, ProductID: ref.ProductID, Title: ref.ProductTitle}, nil
}

func (r invReader) VariantExists(variantID string) (bool, error) {
	if variantID == "" {
		return false, nil
	}
	_, err := r.r.Get(variantKey(variantID))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r invReader) Sellable(variantID string) (int64, error) { return stockOf(r.r, variantID) }

func (r invReader) Reservation(orderID string) (inventory.Reservation, bool, error) {
	var res inventory.Reservation
	ok, err := findJSON(r.r, reservationKey(orderID), &res)
	return res, ok, err
}

func (r invReader) NonEmptyLevel(warehouse string) (inventory.Level, bool, error) {
	var found inventory.Level
	ok := false
	prefix := Key(prefixWarehouseLevel, warehouse, "")
	err := r.r.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
		var l inventory.Level
		if err := getJSON(r.r, levelKey(string(k[len(prefix):]), warehouse), &l); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if l.OnHand != 0 || l.Reserved != 0 {
			found, ok = l, true
			return ErrStop
		}
		return nil
	})
	return found, ok, err
}

func (t invTx) PutWarehouse(w inventory.Warehouse) error {
	if err := putJSON(t.tx, warehouseKey(w.Code), w); err != nil {
		return err
	}
	st := invStateOf(t.db)
	st.mu.Lock()
	st.gen++
	st.whs = nil
	st.mu.Unlock()
	return nil
}

func (t invTx) PutLevel(l inventory.Level) error {
	if err := putJSON(t.tx, levelKey(l.VariantID, l.Warehouse), l); err != nil {
		return err
	}
	if !l.Stored {
		t.tx.Set(warehouseLevelKey(l.Warehouse, l.VariantID), nil)
	}
	return nil
}

func (t invTx) SetSellable(variantID string, n int64) error { return setStock(t.tx, variantID, n) }

func (t invTx) PutItem(it inventory.Item) error { return putJSON(t.tx, invItemKey(it.VariantID), it) }

func (t invTx) AddMovement(m inventory.Movement) error {
	b, err := encode(m)
	if err != nil {
		return err
	}
	t.tx.Set(moveByVariantKey(m.VariantID, m.ID), b)
	t.tx.Set(moveByWarehouseKey(m.Warehouse, m.ID), []byte(m.VariantID)) // the movement is read from the variant's row
	return nil
}

func (t invTx) PutReservation(r inventory.Reservation, prev *inventory.Reservation) error {
	if err := putJSON(t.tx, reservationKey(r.OrderID), r); err != nil {
		return err
	}
	if prev != nil && prev.Status == inventory.ReservationActive {
		t.tx.Delete(reservationActiveKey(*prev))
	}
	if r.Status == inventory.ReservationActive {
		t.tx.Set(reservationActiveKey(r), nil)
	}
	return nil
}

func (t invTx) DefaultLowStock() int64 { return invStateOf(t.db).lowStock.Load() }
func (t invTx) Emit(ev commerce.Event) { t.tx.Emit(ev) }

// txActor is the ID of the actor an update runs for ("system" without one).
func txActor(tx *Tx) string {
	if a, ok := commerce.ActorFrom(tx.ctx); ok && a.ID != "" {
		return a.ID
	}
	return "system"
}

// setCatalogStock makes a variant's sellable units n for the catalog (a product's "stock"
// field): see inventory.SetSellable. fresh says the variant is new.
func setCatalogStock(tx *Tx, variantID, sku string, n int64, fresh bool) error {
	if n < 0 {
		return fmt.Errorf("store: stock of %s would be negative (%d)", variantID, n)
	}
	return inventory.SetSellable(newInvTx(tx), variantID, sku, n, fresh, time.Now().UTC(), txActor(tx))
}

// dropVariantStock deletes a deleted variant's stock row and levels (its movements stay).
func dropVariantStock(tx *Tx, variantID string) error {
	tx.Delete(stockKey(variantID))
	whs, err := newInvTx(tx).Warehouses()
	if err != nil {
		return err
	}
	for _, w := range whs {
		tx.Delete(levelKey(variantID, w.Code))
		tx.Delete(warehouseLevelKey(w.Code, variantID))
	}
	return nil
}

// Lists.

func (s *Inventory) WarehouseLevels(ctx context.Context, warehouse string, page commerce.Page) (commerce.List[inventory.Level], error) {
	return pageRows(ctx, s.db, Key(prefixWarehouseLevel, warehouse, ""), page, false, inventory.ErrInvalidCursor,
		func(last []byte) bool { return len(last) > 0 },
		func(r *Reader, vid, _ []byte) (inventory.Level, bool, error) {
			l := inventory.Level{VariantID: string(vid), Warehouse: warehouse}
			if err := getJSON(r, levelKey(string(vid), warehouse), &l); err != nil && !errors.Is(err, ErrNotFound) {
				return l, false, err
			}
			return l, true, nil
		})
}

func (s *Inventory) Movements(ctx context.Context, f inventory.MovementFilter, page commerce.Page) (commerce.List[inventory.Movement], error) {
	prefix := Key(prefixMoveByVariant, f.VariantID, "")
	if f.Warehouse != "" {
		prefix = Key(prefixMoveByWarehouse, f.Warehouse, "")
	}
	return pageRows(ctx, s.db, prefix, page, true, inventory.ErrInvalidCursor,
		func(last []byte) bool { return commerce.ValidID(string(last)) },
		func(r *Reader, id, v []byte) (inventory.Movement, bool, error) {
			var m inventory.Movement
			if f.Warehouse != "" { // the row names the variant whose row holds the movement
				var err error
				if v, err = r.Get(moveByVariantKey(string(v), string(id))); err != nil {
					return m, false, fmt.Errorf("store: movement %s%s: %w", prefix, id, err)
				}
			}
			if err := decode(v, &m); err != nil {
				return m, false, fmt.Errorf("store: movement %s%s: %w", prefix, id, err)
			}
			return m, true, nil
		})
}

func (s *Inventory) ActiveReservations(ctx context.Context, page commerce.Page) (commerce.List[inventory.Reservation], error) {
	return pageRows(ctx, s.db, []byte(prefixReservationActive), page, false, inventory.ErrInvalidCursor,
		func(last []byte) bool { return len(last) >= 10 },
		func(r *Reader, k, _ []byte) (inventory.Reservation, bool, error) { // <expiry BE>/<order ID>
			return invReader{r: r, db: s.db}.Reservation(string(k[9:]))
		})
}

func (s *Inventory) DueReservations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	prefix := []byte(prefixReservationActive)
	upper := Uint64Key(prefixReservationActive, uint64(max(now.UnixNano(), 0))+1)
	var ids []string
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, upper, func(k, _ []byte) error {
			if len(ids) == limit {
				return ErrStop
			}
			if len(k) > len(prefix)+9 && binary.BigEndian.Uint64(k[len(prefix):]) != math.MaxUint64 {
				ids = append(ids, string(k[len(prefix)+9:]))
			}
			return nil
		})
	})
	return ids, err
}
