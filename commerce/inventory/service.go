package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Store runs the inventory's updates and reads.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Reader) error) error
	// WarehouseLevels lists a warehouse's stored levels by variant ID.
	WarehouseLevels(ctx context.Context, warehouse string, page commerce.Page) (commerce.List[Level], error)
	// Movements lists the movements of a variant or of a warehouse, newest first.
	Movements(ctx context.Context, f MovementFilter, page commerce.Page) (commerce.List[Movement], error)
	// ActiveReservations lists active reservations, soonest expiry first (those that do not
	// expire last).
	ActiveReservations(ctx context.Context, page commerce.Page) (commerce.List[Reservation], error)
	// DueReservations returns up to limit order IDs whose active reservation expired at now.
	DueReservations(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// MovementFilter selects movements of one variant or of one warehouse.
type MovementFilter struct {
	VariantID string
	Warehouse string
}

// Service runs the inventory's staff use cases and the reservation sweeper.
type Service struct {
	store Store
	clock commerce.Clock
}

// NewService returns the inventory service; a nil clock means the system clock.
func NewService(store Store, clock commerce.Clock) *Service {
	return &Service{store: store, clock: commerce.OrSystemClock(clock)}
}

func actorOf(ctx context.Context) string {
	if a, ok := commerce.ActorFrom(ctx); ok && a.ID != "" {
		return a.ID
	}
	return "system"
}

func emit(tx Tx, typ, aggregate string, now time.Time, data any) error {
	ev, err := commerce.NewEvent(typ, aggregate, now, data)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

// Warehouses.

// WarehouseInput is a warehouse to create or the new state of one (its code cannot change).
type WarehouseInput struct {
	Code     string            `json:"code,omitempty"` // on create: 1-32 of a-z 0-9 - _
	Name     string            `json:"name"`
	Address  *commerce.Address `json:"address,omitempty"`
	Priority *int              `json:"priority,omitempty"` // allocation order, lower first (default 100; kept on update)
	Active   *bool             `json:"active,omitempty"`   // default true; kept on update
}

func (in *WarehouseInput) validate(create bool) error {
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	var v commerce.Validator
	if create {
		v.Check(ValidCode(in.Code), "code", "must be 1-32 characters of a-z, 0-9, '-' and '_', starting with a letter or digit")
	}
	v.Text("name", in.Name, 100, true)
	if in.Address != nil {
		a := in.Address.Normalize()
		in.Address = &a
		a.Validate(&v, "address.")
	}
	if in.Priority != nil {
		v.Check(*in.Priority >= 0 && *in.Priority <= 1_000_000, "priority", "must be 0-1000000")
	}
	return v.Err()
}

func findWarehouse(ws []Warehouse, code string) (Warehouse, bool) {
	for _, w := range ws {
		if w.Code == code {
			return w, true
		}
	}
	return Warehouse{}, false
}

// Warehouses returns every warehouse in allocation order.
func (s *Service) Warehouses(ctx context.Context) ([]Warehouse, error) {
	var ws []Warehouse
	err := s.store.View(ctx, func(r Reader) (err error) { ws, err = r.Warehouses(); return err })
	return ws, err
}

// Warehouse returns one warehouse, or ErrWarehouseNotFound.
func (s *Service) Warehouse(ctx context.Context, code string) (Warehouse, error) {
	ws, err := s.Warehouses(ctx)
	if err != nil {
		return Warehouse{}, err
	}
	w, ok := findWarehouse(ws, code)
	if !ok {
		return Warehouse{}, ErrWarehouseNotFound
	}
	return w, nil
}

// CreateWarehouse adds a warehouse; a taken code is ErrWarehouseExists.
func (s *Service) CreateWarehouse(ctx context.Context, in WarehouseInput) (Warehouse, error) {
	if err := in.validate(true); err != nil {
		return Warehouse{}, err
	}
	now := s.clock.Now()
	w := Warehouse{Code: in.Code, Name: in.Name, Address: in.Address, Priority: 100, Active: true, Version: 1, CreatedAt: now, UpdatedAt: now}
	if in.Priority != nil {
		w.Priority = *in.Priority
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		ws, err := tx.Warehouses()
		if err != nil {
			return err
		}
		if _, ok := findWarehouse(ws, w.Code); ok {
			return ErrWarehouseExists.WithDetails(map[string]any{"code": w.Code})
		}
		if err := tx.PutWarehouse(w); err != nil {
			return err
		}
		return emit(tx, EventWarehouseCreated, w.Code, now, w)
	})
	return w, err
}

// UpdateWarehouse replaces a warehouse's name, address and (when given) priority and active
// flag; ifVersion, when not 0, must be its current version.
func (s *Service) UpdateWarehouse(ctx context.Context, code string, in WarehouseInput, ifVersion int64) (Warehouse, error) {
	if in.Code != "" && strings.ToLower(strings.TrimSpace(in.Code)) != code {
		return Warehouse{}, commerce.Invalid(commerce.FieldError{Field: "code", Message: "cannot change"})
	}
	if err := in.validate(false); err != nil {
		return Warehouse{}, err
	}
	return s.changeWarehouse(ctx, code, ifVersion, func(w *Warehouse) {
		w.Name, w.Address = in.Name, in.Address
		if in.Priority != nil {
			w.Priority = *in.Priority
		}
		if in.Active != nil {
			w.Active = *in.Active
		}
	})
}

// DeactivateWarehouse stops allocating from a warehouse. It must hold no stock (transfer it
// first: ErrWarehouseNotEmpty) and cannot be the default one (ErrDefaultWarehouse).
func (s *Service) DeactivateWarehouse(ctx context.Context, code string, ifVersion int64) (Warehouse, error) {
	return s.changeWarehouse(ctx, code, ifVersion, func(w *Warehouse) { w.Active = false })
}

func (s *Service) changeWarehouse(ctx context.Context, code string, ifVersion int64, change func(*Warehouse)) (Warehouse, error) {
	var out Warehouse
	err := s.store.Update(ctx, func(tx Tx) error {
		ws, err := tx.Warehouses()
		if err != nil {
			return err
		}
		prev, ok := findWarehouse(ws, code)
		if !ok {
			return ErrWarehouseNotFound
		}
		if ifVersion != 0 && ifVersion != prev.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": prev.Version})
		}
		w := prev
		change(&w)
		if prev.Active && !w.Active {
			if w.Code == DefaultWarehouse {
				return ErrDefaultWarehouse
			}
			if l, held, err := tx.NonEmptyLevel(w.Code); err != nil {
				return err
			} else if held {
				return ErrWarehouseNotEmpty.WithDetails(map[string]any{"variant_id": l.VariantID, "on_hand": l.OnHand, "reserved": l.Reserved})
			}
		}
		now := s.clock.Now()
		w.Version++
		w.UpdatedAt = now
		if w.CreatedAt.IsZero() {
			w.CreatedAt = now
		}
		if err := tx.PutWarehouse(w); err != nil {
			return err
		}
		out = w
		return emit(tx, EventWarehouseUpdated, w.Code, now, w)
	})
	return out, err
}

// Levels.

// WarehouseLevel is a variant's level in one warehouse, with the warehouse's state.
type WarehouseLevel struct {
	Warehouse string `json:"warehouse"`
	Active    bool   `json:"active"`
	OnHand    int64  `json:"on_hand"`
	Reserved  int64  `json:"reserved"`
	Available int64  `json:"available"`
}

// VariantStock is a variant's stock over every warehouse.
type VariantStock struct {
	VariantInfo
	Sellable  int64            `json:"sellable"` // what the catalog shows: available, not below 0
	OnHand    int64            `json:"on_hand"`
	Reserved  int64            `json:"reserved"`
	Available int64            `json:"available"`
	Item      Item             `json:"settings"`
	Levels    []WarehouseLevel `json:"levels"`
}

// VariantStock returns a variant's levels in every warehouse.
func (s *Service) VariantStock(ctx context.Context, variantID string) (VariantStock, error) {
	var out VariantStock
	err := s.store.View(ctx, func(r Reader) error {
		info, err := r.Variant(variantID)
		if err != nil {
			return err
		}
		ws, err := r.Warehouses()
		if err != nil {
			return err
		}
		levels, err := r.Levels(variantID, ws)
		if err != nil {
			return err
		}
		item, _, err := r.Item(variantID)
		if err != nil {
			return err
		}
		out = VariantStock{VariantInfo: info, Item: item, Levels: make([]WarehouseLevel, len(ws))}
		for i, l := range levels {
			out.Levels[i] = WarehouseLevel{Warehouse: ws[i].Code, Active: ws[i].Active, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available()}
			out.OnHand += l.OnHand
			out.Reserved += l.Reserved
		}
		out.Available = out.OnHand - out.Reserved
		out.Sellable = sellable(out.Available)
		return nil
	})
	return out, err
}

// WarehouseLevels lists a warehouse's levels by variant ID.
func (s *Service) WarehouseLevels(ctx context.Context, code string, page commerce.Page) (commerce.List[Level], error) {
	if _, err := s.Warehouse(ctx, code); err != nil {
		return commerce.List[Level]{}, err
	}
	return s.store.WarehouseLevels(ctx, code, page)
}

// Adjustments.

// AdjustInput changes a variant's on-hand units in a warehouse by Quantity (negative takes
// away): received and returned add, damaged and lost take away, count_correction and other
// go either way.
type AdjustInput struct {
	VariantID string `json:"variant_id"`
	Warehouse string `json:"warehouse,omitempty"` // default "main"
	Quantity  int64  `json:"quantity"`
	Reason    string `json:"reason"`
	Note      string `json:"note,omitempty"`
}

// AdjustResult is an adjustment made.
type AdjustResult struct {
	Movement Movement       `json:"movement"`
	Level    WarehouseLevel `json:"level"`
	Sellable int64          `json:"sellable"`
}

// Adjust changes on-hand units with a reason. It refuses to take on-hand below zero, or
// below what is reserved unless the SKU allows backorders (ErrInsufficientStock, 409).
func (s *Service) Adjust(ctx context.Context, in AdjustInput) (AdjustResult, error) {
	in.VariantID, in.Warehouse = strings.TrimSpace(in.VariantID), strings.ToLower(strings.TrimSpace(in.Warehouse))
	in.Reason, in.Note = strings.ToLower(strings.TrimSpace(in.Reason)), strings.TrimSpace(in.Note)
	if in.Warehouse == "" {
		in.Warehouse = DefaultWarehouse
	}
	var v commerce.Validator
	v.Check(in.VariantID != "", "variant_id", "is required")
	switch {
	case in.Quantity == 0:
		v.Add("quantity", "must not be zero")
	case (in.Reason == ReasonReceived || in.Reason == ReasonReturned) && in.Quantity < 0:
		v.Add("quantity", "must be positive for "+in.Reason)
	case (in.Reason == ReasonDamaged || in.Reason == ReasonLost) && in.Quantity > 0:
		v.Add("quantity", "must be negative for "+in.Reason)
	}
	v.Check(slices.Contains(AdjustReasons, in.Reason), "reason", "must be one of "+strings.Join(AdjustReasons, ", "))
	v.Check(len(in.Note) <= 500, "note", "is too long")
	if err := v.Err(); err != nil {
		return AdjustResult{}, err
	}
	var out AdjustResult
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		info, err := tx.Variant(in.VariantID)
		if errors.Is(err, ErrVariantNotFound) {
			return commerce.Invalid(commerce.FieldError{Field: "variant_id", Message: "no such variant"})
		} else if err != nil {
			return err
		}
		b, err := NewBook(tx, now, actorOf(ctx))
		if err != nil {
			return err
		}
		wi := b.warehouse(in.Warehouse)
		if wi < 0 {
			return commerce.Invalid(commerce.FieldError{Field: "warehouse", Message: "no such warehouse"})
		}
		w := b.whs[wi]
		if !w.Active && in.Quantity > 0 {
			return ErrWarehouseInactive.WithDetails(map[string]any{"warehouse": w.Code})
		}
		st, err := b.load(info.ID, info.SKU)
		if err != nil {
			return err
		}
		l := st.levels[wi]
		onHand := l.OnHand + in.Quantity
		if in.Quantity < 0 && (onHand < 0 || (onHand < l.Reserved && !st.item.backorders(total(st.levels)+in.Quantity))) {
			return ErrInsufficientStock.WithDetails(map[string]any{"variant_id": info.ID, "sku": info.SKU, "warehouse": w.Code,
				"on_hand": l.OnHand, "reserved": l.Reserved, "available": l.Available(), "requested": -in.Quantity})
		}
		b.change(st, wi, in.Quantity, 0, Movement{Reason: in.Reason, Note: in.Note})
		out.Movement = st.moves[len(st.moves)-1]
		if err := b.Flush(); err != nil {
			return err
		}
		l = st.levels[wi]
		out.Level = WarehouseLevel{Warehouse: w.Code, Active: w.Active, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available()}
		out.Sellable = sellable(total(st.levels))
		return emit(tx, EventAdjusted, info.ID, now, map[string]any{"variant_id": info.ID, "sku": info.SKU, "warehouse": w.Code,
			"quantity": in.Quantity, "reason": in.Reason, "note": in.Note, "on_hand": l.OnHand, "sellable": out.Sellable})
	})
	if err != nil {
		return AdjustResult{}, err
	}
	out.Movement.Actor, out.Movement.At = actorOf(ctx), now
	return out, nil
}

// Transfers.

// TransferLine is units of a variant to move.
type TransferLine struct {
	VariantID string `json:"variant_id"`
	Quantity  int64  `json:"quantity"`
}

// TransferInput moves units between two warehouses.
type TransferInput struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Lines []TransferLine `json:"lines"`
	Note  string         `json:"note,omitempty"`
}

// Transfer is a move made.
type Transfer struct {
	ID    string         `json:"id"`
	From  string         `json:"from"`
	To    string         `json:"to"`
	Lines []TransferLine `json:"lines"`
	Note  string         `json:"note,omitempty"`
	Actor string         `json:"actor"`
	At    time.Time      `json:"at"`
}

// Transfer moves every line's units from one warehouse's on-hand to another's, atomically: a
// line the source cannot give from what it has available is ErrInsufficientStock (409,
// naming the variant and what is available) and nothing moves.
func (s *Service) Transfer(ctx context.Context, in TransferInput) (Transfer, error) {
	in.From, in.To = strings.ToLower(strings.TrimSpace(in.From)), strings.ToLower(strings.TrimSpace(in.To))
	in.Note = strings.TrimSpace(in.Note)
	var v commerce.Validator
	v.Check(in.From != "", "from", "is required")
	v.Check(in.To != "", "to", "is required")
	v.Check(in.From == "" || in.From != in.To, "to", "must differ from from")
	v.Check(len(in.Lines) > 0 && len(in.Lines) <= 100, "lines", "must hold 1-100 lines")
	v.Check(len(in.Note) <= 500, "note", "is too long")
	seen := map[string]bool{}
	for i, l := range in.Lines {
		in.Lines[i].VariantID = strings.TrimSpace(l.VariantID)
		f := fmt.Sprintf("lines[%d].", i)
		v.Check(in.Lines[i].VariantID != "", f+"variant_id", "is required")
		v.Check(!seen[in.Lines[i].VariantID], f+"variant_id", "is listed twice")
		seen[in.Lines[i].VariantID] = true
		v.Check(l.Quantity > 0, f+"quantity", "must be positive")
	}
	if err := v.Err(); err != nil {
		return Transfer{}, err
	}
	now := s.clock.Now()
	t := Transfer{ID: commerce.NewID(), From: in.From, To: in.To, Lines: in.Lines, Note: in.Note, Actor: actorOf(ctx), At: now}
	err := s.store.Update(ctx, func(tx Tx) error {
		b, err := NewBook(tx, now, t.Actor)
		if err != nil {
			return err
		}
		from, to := b.warehouse(in.From), b.warehouse(in.To)
		var v commerce.Validator
		v.Check(from >= 0, "from", "no such warehouse")
		v.Check(to >= 0, "to", "no such warehouse")
		infos := make([]VariantInfo, len(in.Lines))
		for i, l := range in.Lines {
			info, err := tx.Variant(l.VariantID)
			if errors.Is(err, ErrVariantNotFound) {
				v.Add(fmt.Sprintf("lines[%d].variant_id", i), "no such variant")
				continue
			} else if err != nil {
				return err
			}
			infos[i] = info
		}
		if err := v.Err(); err != nil {
			return err
		}
		if !b.whs[to].Active {
			return ErrWarehouseInactive.WithDetails(map[string]any{"warehouse": in.To})
		}
		for i, l := range in.Lines {
			st, err := b.load(l.VariantID, infos[i].SKU)
			if err != nil {
				return err
			}
			if a := st.levels[from].Available(); a < l.Quantity {
				return ErrInsufficientStock.WithDetails(map[string]any{"variant_id": l.VariantID, "sku": infos[i].SKU,
					"warehouse": in.From, "requested": l.Quantity, "available": max(a, 0)})
			}
			m := Movement{Note: in.Note, TransferID: t.ID}
			m.Reason = ReasonTransferOut
			b.change(st, from, -l.Quantity, 0, m)
			m.Reason = ReasonTransferIn
			b.change(st, to, l.Quantity, 0, m)
		}
		if err := b.Flush(); err != nil {
			return err
		}
		return emit(tx, EventTransferred, t.ID, now, t)
	})
	if err != nil {
		return Transfer{}, err
	}
	return t, nil
}

// Movements lists the movements of a variant or a warehouse, newest first.
func (s *Service) Movements(ctx context.Context, f MovementFilter, page commerce.Page) (commerce.List[Movement], error) {
	if f.Warehouse != "" {
		if _, err := s.Warehouse(ctx, f.Warehouse); err != nil {
			return commerce.List[Movement]{}, err
		}
	} else if err := s.store.View(ctx, func(r Reader) error { return variantFound(r, f.VariantID) }); err != nil {
		return commerce.List[Movement]{}, err
	}
	return s.store.Movements(ctx, f, page)
}

// variantFound returns ErrVariantNotFound for a variant the catalog does not have.
func variantFound(r Reader, variantID string) error {
	ok, err := r.VariantExists(variantID)
	if err == nil && !ok {
		return ErrVariantNotFound
	}
	return err
}

// Item settings.

// ItemInput is a SKU's new stock settings.
type ItemInput struct {
	Backorder         string `json:"backorder"` // deny or allow
	BackorderLimit    *int64 `json:"backorder_limit,omitempty"`
	LowStockThreshold *int64 `json:"low_stock_threshold,omitempty"`
}

// Item returns a variant's stock settings (the defaults when it has none).
func (s *Service) Item(ctx context.Context, variantID string) (Item, error) {
	var it Item
	err := s.store.View(ctx, func(r Reader) error {
		if err := variantFound(r, variantID); err != nil {
			return err
		}
		var err error
		it, _, err = r.Item(variantID)
		return err
	})
	return it, err
}

// PutItem replaces a variant's stock settings; ifVersion, when not 0, must be their current
// version.
func (s *Service) PutItem(ctx context.Context, variantID string, in ItemInput, ifVersion int64) (Item, error) {
	in.Backorder = strings.ToLower(strings.TrimSpace(in.Backorder))
	var v commerce.Validator
	v.Check(in.Backorder == BackorderDeny || in.Backorder == BackorderAllow, "backorder", "must be deny or allow")
	v.Check(in.BackorderLimit == nil || *in.BackorderLimit >= 0, "backorder_limit", "must not be negative")
	v.Check(in.BackorderLimit == nil || in.Backorder == BackorderAllow, "backorder_limit", "applies only with backorder allow")
	v.Check(in.LowStockThreshold == nil || *in.LowStockThreshold >= 0, "low_stock_threshold", "must not be negative")
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := variantFound(tx, variantID); err != nil {
			return err
		}
		prev, _, err := tx.Item(variantID)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != prev.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": prev.Version})
		}
		now := s.clock.Now()
		out = Item{VariantID: variantID, Backorder: in.Backorder, BackorderLimit: in.BackorderLimit,
			LowStockThreshold: in.LowStockThreshold, Version: prev.Version + 1, UpdatedAt: now}
		if err := tx.PutItem(out); err != nil {
			return err
		}
		return emit(tx, EventItemUpdated, variantID, now, out)
	})
	return out, err
}

// Reservations.

// Reservation returns the reservation of an order.
func (s *Service) Reservation(ctx context.Context, orderID string) (Reservation, error) {
	var r Reservation
	err := s.store.View(ctx, func(rd Reader) error {
		var ok bool
		var err error
		r, ok, err = rd.Reservation(orderID)
		if err == nil && !ok {
			return ErrReservationMissing
		}
		return err
	})
	return r, err
}

// ActiveReservations lists the reservations holding stock, soonest expiry first.
func (s *Service) ActiveReservations(ctx context.Context, page commerce.Page) (commerce.List[Reservation], error) {
	return s.store.ActiveReservations(ctx, page)
}

// Canceller cancels the order of an expired reservation. It reports false when the order
// is no longer to be cancelled for it (paid, moved on): the reservation then stops expiring.
type Canceller func(ctx context.Context, orderID string) (cancelled bool, err error)

// SweepBatch is how many expired reservations one Sweep handles.
const SweepBatch = 100

// Sweep cancels, through cancel, the orders whose reservation expired, up to SweepBatch of
// them; it returns how many were cancelled.
func (s *Service) Sweep(ctx context.Context, cancel Canceller) (int, error) {
	ids, err := s.store.DueReservations(ctx, s.clock.Now(), SweepBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		ok, err := cancel(ctx, id)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("order %s: %w", id, err))
		case ok:
			n++
		default:
			if err := s.Hold(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return n, errors.Join(errs...)
}

// Hold stops an order's active reservation from expiring.
func (s *Service) Hold(ctx context.Context, orderID string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		r, ok, err := tx.Reservation(orderID)
		if err != nil || !ok || r.Status != ReservationActive || r.ExpiresAt == nil {
			return err
		}
		prev := r
		r.ExpiresAt, r.UpdatedAt = nil, s.clock.Now()
		return tx.PutReservation(r, &prev)
	})
}
