package inventory

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Allocate splits q units over warehouses whose available units are avail (in allocation
// order): the first that can fill q alone takes it all; otherwise each in turn gives what it
// has available. take[i] is what warehouse i gives; short is what none had.
func Allocate(avail []int64, q int64) (take []int64, short int64) {
	take = make([]int64, len(avail))
	for i, a := range avail {
		if a >= q {
			take[i] = q
			return take, 0
		}
	}
	short = q
	for i, a := range avail {
		if short == 0 {
			break
		}
		if a > 0 {
			t := min(a, short)
			take[i] = t
			short -= t
		}
	}
	return take, short
}

// Want is units of a variant an order asks for.
type Want struct {
	VariantID string
	SKU       string
	Quantity  int64
}

// ReserveRequest is an order's reservation to make.
type ReserveRequest struct {
	OrderID       string
	PaymentMethod string
	Lines         []Want
	ExpiresAt     *time.Time // nil: held until paid, shipped or cancelled
	Now           time.Time
	Actor         string
}

// Reserve allocates every line of an order to warehouses (see Allocate; active warehouses
// only) and reserves the units there, in tx. A line the warehouses cannot fill refuses the
// whole order with ErrOutOfStock (details variant_id, sku, requested, available), unless its
// SKU allows backorders down to what the line would take: then the part no warehouse has is
// reserved in the first active warehouse beyond its stock.
func Reserve(tx Tx, req ReserveRequest) (Reservation, error) {
	b, err := NewBook(tx, req.Now, req.Actor)
	if err != nil {
		return Reservation{}, err
	}
	r := Reservation{OrderID: req.OrderID, Status: ReservationActive, PaymentMethod: req.PaymentMethod,
		Lines: make([]Allocation, 0, len(req.Lines)), ExpiresAt: req.ExpiresAt, CreatedAt: req.Now, UpdatedAt: req.Now}
	var active []int
	for i, w := range b.whs {
		if w.Active {
			active = append(active, i)
		}
	}
	avail := make([]int64, len(active))
	for _, want := range req.Lines {
		s, err := b.load(want.VariantID, want.SKU)
		if err != nil {
			return Reservation{}, err
		}
		for j, wi := range active {
			avail[j] = s.levels[wi].Available()
		}
		take, short := Allocate(avail, want.Quantity)
		if short > 0 {
			var have int64 // what the active warehouses have
			for _, a := range avail {
				have += a
			}
			if len(active) == 0 || !s.item.backorders(have-want.Quantity) {
				return Reservation{}, ErrOutOfStock.WithDetails(map[string]any{
					"variant_id": want.VariantID, "sku": want.SKU, "requested": want.Quantity, "available": sellable(have),
				})
			}
			take[0] += short // backordered in the first active warehouse
		}
		for j, t := range take {
			if t == 0 {
				continue
			}
			b.change(s, active[j], 0, t, Movement{Reason: ReasonReserved, OrderID: req.OrderID})
			r.Lines = append(r.Lines, Allocation{VariantID: want.VariantID, SKU: want.SKU, Warehouse: b.whs[active[j]].Code, Quantity: t})
		}
	}
	if err := b.Flush(); err != nil {
		return Reservation{}, err
	}
	return r, tx.PutReservation(r, nil)
}

// Commit makes an order's active reservation sold: each allocation's units leave on-hand
// and reserved (sellable units do not move). An order without an active reservation (already
// committed, released, or placed before reservations) is left alone.
func Commit(tx Tx, orderID string, now time.Time, actor string) error {
	r, ok, err := tx.Reservation(orderID)
	if err != nil || !ok || r.Status != ReservationActive {
		return err
	}
	b, err := NewBook(tx, now, actor)
	if err != nil {
		return err
	}
	for _, a := range r.Lines {
		s, wi, err := b.allocated(a)
		if err != nil || s == nil {
			return err
		}
		b.change(s, wi, -a.Quantity, -a.Quantity, Movement{Reason: ReasonSale, OrderID: orderID})
	}
	if err := b.Flush(); err != nil {
		return err
	}
	return putStatus(tx, r, ReservationCommitted, now)
}

// Release gives back what an order holds: an active reservation's units stop being reserved;
// units already committed come back on hand in the warehouse they left. An order placed
// before reservations (lines given) gets its units back on hand in the default warehouse.
// A released reservation is left alone.
func Release(tx Tx, orderID string, legacy []Want, reason string, now time.Time, actor string) error {
	r, ok, err := tx.Reservation(orderID)
	if err != nil {
		return err
	}
	b, err := NewBook(tx, now, actor)
	if err != nil {
		return err
	}
	if !ok {
		wi := b.warehouse(DefaultWarehouse)
		for _, w := range legacy {
			if exists, err := tx.VariantExists(w.VariantID); err != nil {
				return err
			} else if !exists || wi < 0 {
				continue
			}
			s, err := b.load(w.VariantID, w.SKU)
			if err != nil {
				return err
			}
			b.change(s, wi, w.Quantity, 0, Movement{Reason: ReasonReleased, Note: reason, OrderID: orderID})
		}
		return b.Flush()
	}
	if r.Status == ReservationReleased {
		return nil
	}
	for _, a := range r.Lines {
		s, wi, err := b.allocated(a)
		if err != nil {
			return err
		} else if s == nil {
			continue
		}
		if r.Status == ReservationActive {
			b.change(s, wi, 0, -a.Quantity, Movement{Reason: ReasonReleased, Note: reason, OrderID: orderID})
		} else {
			b.change(s, wi, a.Quantity, 0, Movement{Reason: ReasonUnsold, Note: reason, OrderID: orderID})
		}
	}
	if err := b.Flush(); err != nil {
		return err
	}
	return putStatus(tx, r, ReservationReleased, now)
}

// Restock puts n units of an order's variant back on hand (a received return), in the
// warehouse the order took it from (the default warehouse when it does not know).
func Restock(tx Tx, orderID, variantID, sku string, n int64, note string, now time.Time, actor string) error {
	if n <= 0 {
		return nil
	}
	if exists, err := tx.VariantExists(variantID); err != nil || !exists {
		return err
	}
	b, err := NewBook(tx, now, actor)
	if err != nil {
		return err
	}
	code := DefaultWarehouse
	if r, ok, err := tx.Reservation(orderID); err != nil {
		return err
	} else if ok {
		for _, a := range r.Lines {
			if a.VariantID == variantID {
				code = a.Warehouse
				break
			}
		}
	}
	wi := b.warehouse(code)
	if wi < 0 {
		wi = b.warehouse(DefaultWarehouse)
	}
	s, err := b.load(variantID, sku)
	if err != nil {
		return err
	}
	b.change(s, wi, n, 0, Movement{Reason: ReasonReturned, Note: note, OrderID: orderID})
	return b.Flush()
}

// SetSellable makes a variant's sellable units n (the catalog's "stock" field) by changing
// on-hand units: the default warehouse takes what is added; what is taken comes from the
// default warehouse first, then the others in allocation order, never below what each has
// available. fresh says the variant is new (nothing to read).
func SetSellable(tx Tx, variantID, sku string, n int64, fresh bool, now time.Time, actor string) error {
	if fresh {
		l := Level{VariantID: variantID, Warehouse: DefaultWarehouse, OnHand: n}
		if err := tx.PutLevel(l); err != nil {
			return err
		}
		if n != 0 {
			if err := tx.AddMovement(Movement{ID: commerce.NewID(), VariantID: variantID, Warehouse: DefaultWarehouse, Reason: ReasonCatalog,
				OnHandChange: n, OnHand: n, Actor: actorOr(actor), At: now}); err != nil {
				return err
			}
		}
		return tx.SetSellable(variantID, sellable(n))
	}
	b, err := NewBook(tx, now, actor)
	if err != nil {
		return err
	}
	s, err := b.load(variantID, sku)
	if err != nil {
		return err
	}
	have := total(s.levels)
	delta := n - have
	if have < 0 && n == 0 {
		delta = 0 // backordered: sellable shows 0 already
	}
	mv := Movement{Reason: ReasonCatalog}
	main := b.warehouse(DefaultWarehouse)
	switch {
	case delta > 0:
		b.change(s, main, delta, 0, mv)
	case delta < 0:
		need := -delta
		order := append([]int{main}, others(len(b.whs), main)...)
		for _, wi := range order {
			if need == 0 {
				break
			}
			if a := s.levels[wi].Available(); a > 0 {
				t := min(a, need)
				b.change(s, wi, -t, 0, mv)
				need -= t
			}
		}
	}
	if err := b.Flush(); err != nil {
		return err
	}
	// Written even when nothing changed: a variant without a stock row yet gets one.
	return tx.SetSellable(variantID, sellable(total(s.levels)))
}

func others(n, skip int) []int {
	out := make([]int, 0, n)
	for i := range n {
		if i != skip {
			out = append(out, i)
		}
	}
	return out
}

func actorOr(a string) string {
	if a == "" {
		return "system"
	}
	return a
}

// allocated loads the variant of an allocation and finds its warehouse; s is nil when the
// variant is gone (its product was deleted) or the warehouse unknown.
func (b *Book) allocated(a Allocation) (*stockState, int, error) {
	wi := b.warehouse(a.Warehouse)
	if wi < 0 {
		return nil, 0, nil
	}
	if exists, err := b.tx.VariantExists(a.VariantID); err != nil || !exists {
		return nil, 0, err
	}
	s, err := b.load(a.VariantID, a.SKU)
	return s, wi, err
}

// putStatus moves a reservation to status. No inventory event is emitted: the order's own
// event (orders.placed, payment, orders.cancelled) says it, and the movements record it.
func putStatus(tx Tx, r Reservation, status string, now time.Time) error {
	prev := r
	r.Status, r.UpdatedAt = status, now
	return tx.PutReservation(r, &prev)
}
