package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/inventory"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// staffCtx is a context of a staff actor (its writes are audited).
func staffCtx() context.Context {
	return commerce.WithActor(context.Background(), commerce.Actor{ID: "user:staff", Staff: true})
}

// rawCart writes an open guest cart holding the lines straight into the store (the cart
// service would refuse lines beyond the stock left).
func rawCart(t testing.TB, db *DB, lines map[string]int64) string {
	t.Helper()
	now := time.Now().UTC()
	c := cart.Cart{ID: commerce.NewSecret(16), Ref: commerce.NewID(), Currency: "USD", Status: cart.StatusOpen,
		Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(cart.TTL)}
	for vid, q := range lines {
		c.Lines = append(c.Lines, cart.Line{ID: commerce.NewID(), VariantID: vid, Quantity: q, AddedAt: now})
	}
	if err := db.Update(context.Background(), func(tx *Tx) error { return putCart(tx, c) }); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// levelsOf reads a variant's levels in every warehouse.
func levelsOf(t testing.TB, db *DB, vid string) map[string]inventory.Level {
	t.Helper()
	out := map[string]inventory.Level{}
	err := NewInventory(db, InventoryOptions{}).View(context.Background(), func(r inventory.Reader) error {
		ws, err := r.Warehouses()
		if err != nil {
			return err
		}
		ls, err := r.Levels(vid, ws)
		for i, l := range ls {
			out[ws[i].Code] = l
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Concurrent checkouts of the same few SKUs, on the real disk, never sell more than there
// is: sold + remaining = initial for every variant, no level ever shows negative available,
// and cancelling or committing the orders afterwards keeps the books straight.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: t.TempDir(), DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newShop(t, db)
	const initial = 40
	vids := s.product(t, initial, initial, initial)
	inv := inventory.NewService(NewInventory(db, InventoryOptions{}), nil)
	if _, err := inv.CreateWarehouse(staffCtx(), inventory.WarehouseInput{Code: "east", Name: "East"}); err != nil {
		t.Fatal(err)
	}
	// Half of the first variant moves to the second warehouse: lines split between them.
	if _, err := inv.Transfer(staffCtx(), inventory.TransferInput{From: "main", To: "east", Lines: []inventory.TransferLine{{VariantID: vids[0], Quantity: initial / 2}}}); err != nil {
		t.Fatal(err)
	}

	const buyers, tries = 24, 12
	var mu sync.Mutex
	sold := map[string]int64{}
	var placed []string
	var wg sync.WaitGroup
	for b := range buyers {
		rng := rand.New(rand.NewPCG(uint64(b), 99))
		carts := make([]map[string]int64, tries)
		ids := make([]string, tries)
		for i := range carts {
			carts[i] = map[string]int64{vids[rng.IntN(len(vids))]: 1 + rng.Int64N(3)}
			if rng.IntN(2) == 0 {
				carts[i][vids[rng.IntN(len(vids))]] += 1 + rng.Int64N(2)
			}
			ids[i] = rawCart(t, db, carts[i])
		}
		wg.Go(func() {
			for i, id := range ids {
				res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(id), checkout.Idempotency{})
				if errors.Is(err, checkout.ErrOutOfStock) {
					continue
				} else if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for vid, q := range carts[i] {
					sold[vid] += q
				}
				placed = append(placed, res.Order.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	check := func(when string, wantReserved func(vid string) int64) {
		t.Helper()
		for _, vid := range vids {
			var onHand, reserved int64
			for w, l := range levelsOf(t, db, vid) {
				if l.Available() < 0 || l.OnHand < 0 || l.Reserved < 0 {
					t.Errorf("%s: %s in %s: %+v", when, vid, w, l)
				}
				onHand += l.OnHand
				reserved += l.Reserved
			}
			if got := s.stock(t, vid); got != onHand-reserved {
				t.Errorf("%s: stock row of %s = %d, levels say %d", when, vid, got, onHand-reserved)
			}
			if reserved != wantReserved(vid) {
				t.Errorf("%s: %s reserved %d, want %d", when, vid, reserved, wantReserved(vid))
			}
		}
	}
	total := int64(0)
	for _, vid := range vids {
		if sold[vid]+s.stock(t, vid) != initial {
			t.Errorf("%s: sold %d + remaining %d != %d", vid, sold[vid], s.stock(t, vid), initial)
		}
		total += sold[vid]
	}
	if total < initial {
		t.Fatalf("only %d units sold: the test did not drain the stock", total)
	}
	check("after checkout", func(vid string) int64 { return sold[vid] })

	// Commit the first half (paid), cancel the rest: sellable goes back up by what was
	// cancelled, on hand down by what was committed.
	committed := map[string]int64{}
	for i, id := range placed {
		o, err := s.store.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := db.Update(ctx, func(tx *Tx) error { return commitOrderStock(tx, o) }); err != nil {
				t.Fatal(err)
			}
			for _, l := range o.Lines {
				committed[l.VariantID] += l.Quantity
			}
		} else if _, err := s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "CANCELLED"}); err != nil {
			t.Fatal(err)
		}
	}
	check("after commit and cancel", func(string) int64 { return 0 })
	for _, vid := range vids {
		if got := s.stock(t, vid); got != initial-committed[vid] {
			t.Errorf("%s: sellable %d after commit/cancel, want %d", vid, got, initial-committed[vid])
		}
	}
}

// A refused transfer, adjustment or checkout moves nothing and emits nothing.
func TestInventoryRefusalsChangeNothing(t *testing.T) {
	ctx := staffCtx()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	vids := s.product(t, 5, 1)
	inv := inventory.NewService(NewInventory(db, InventoryOptions{}), nil)
	if _, err := inv.CreateWarehouse(ctx, inventory.WarehouseInput{Code: "east", Name: "East"}); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]int {
		return map[string]int{"level": countKeys(t, db, prefixLevel), "move": countKeys(t, db, prefixMoveByVariant), "outbox": countKeys(t, db, prefixOutbox), "audit": countKeys(t, db, prefixAuditEntry)}
	}
	before, seq := snapshot(), db.LastSeq()
	scenarios := []struct {
		name string
		run  func() error
		code string
	}{
		{"transfer more than the source has", func() error {
			_, err := inv.Transfer(ctx, inventory.TransferInput{From: "main", To: "east", Lines: []inventory.TransferLine{{VariantID: vids[0], Quantity: 2}, {VariantID: vids[1], Quantity: 2}}})
			return err
		}, "insufficient_stock"},
		{"transfer from a warehouse without stock", func() error {
			_, err := inv.Transfer(ctx, inventory.TransferInput{From: "east", To: "main", Lines: []inventory.TransferLine{{VariantID: vids[0], Quantity: 1}}})
			return err
		}, "insufficient_stock"},
		{"transfer from an unknown warehouse", func() error {
			_, err := inv.Transfer(ctx, inventory.TransferInput{From: "nowhere", To: "main", Lines: []inventory.TransferLine{{VariantID: vids[0], Quantity: 1}}})
			return err
		}, "validation_failed"},
		{"adjust below zero", func() error {
			_, err := inv.Adjust(ctx, inventory.AdjustInput{VariantID: vids[0], Quantity: -6, Reason: "lost"})
			return err
		}, "insufficient_stock"},
		{"adjust an unknown variant", func() error {
			_, err := inv.Adjust(ctx, inventory.AdjustInput{VariantID: "nope", Quantity: 1, Reason: "received"})
			return err
		}, "validation_failed"},
		{"zero adjustment", func() error {
			_, err := inv.Adjust(ctx, inventory.AdjustInput{VariantID: vids[0], Quantity: 0, Reason: "received"})
			return err
		}, "validation_failed"},
		{"deactivate the default warehouse", func() error {
			_, err := inv.DeactivateWarehouse(ctx, "main", 0)
			return err
		}, "default_warehouse"},
		{"checkout beyond stock", func() error {
			_, err := s.checkout.PlaceOrder(context.Background(), checkout.Buyer{}, input(rawCart(t, db, map[string]int64{vids[0]: 1, vids[1]: 2})), checkout.Idempotency{})
			return err
		}, "out_of_stock"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := sc.run()
			if e := commerce.AsError(err); e == nil || e.Code != sc.code {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
			if got := snapshot(); got["level"] != before["level"] || got["move"] != before["move"] || got["outbox"] != before["outbox"] || got["audit"] != before["audit"] || db.LastSeq() != seq {
				t.Fatalf("state moved: %v -> %v", before, got)
			}
			if s.stock(t, vids[0]) != 5 || s.stock(t, vids[1]) != 1 {
				t.Fatal("stock moved")
			}
		})
	}
}

// Stock rows from before warehouses are the default warehouse's on-hand units, written as a
// level with the variant's first change.
func TestLegacyStockBecomesTheDefaultWarehouse(t *testing.T) {
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	vid := s.product(t, 0)[0]
	// What a store from before warehouses holds: a stock row and no level.
	if err := db.Update(context.Background(), func(tx *Tx) error {
		tx.Delete(levelKey(vid, "main"))
		tx.Delete(warehouseLevelKey("main", vid))
		return setStock(tx, vid, 7)
	}); err != nil {
		t.Fatal(err)
	}
	if l := levelsOf(t, db, vid)["main"]; l.OnHand != 7 || l.Stored {
		t.Fatalf("legacy level %+v", l)
	}
	inv := inventory.NewService(NewInventory(db, InventoryOptions{}), nil)
	if _, err := inv.CreateWarehouse(staffCtx(), inventory.WarehouseInput{Code: "east", Name: "East"}); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Adjust(staffCtx(), inventory.AdjustInput{VariantID: vid, Warehouse: "east", Quantity: 3, Reason: "received"}); err != nil {
		t.Fatal(err)
	}
	ls := levelsOf(t, db, vid)
	if ls["main"].OnHand != 7 || !ls["main"].Stored || ls["east"].OnHand != 3 || s.stock(t, vid) != 10 {
		t.Fatalf("after the first change: %+v, stock %d", ls, s.stock(t, vid))
	}
}

// Reservations expire by their index; offline ones do not; commit and release drop them
// from it. The catalog's stock field sets the default warehouse.
func TestReservationIndexAndCatalogStock(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	s.checkout = checkout.NewService(NewCheckout(db), nil, nil, checkout.Config{Reserve: checkout.ReserveConfig{
		TTL: time.Minute, Expires: func(m string) bool { return m != "cash" },
	}})
	vid := s.product(t, 10)[0]
	invStore := NewInventory(db, InventoryOptions{LowStockThreshold: 3})
	place := func(method string, q int64) string {
		in := input(rawCart(t, db, map[string]int64{vid: q}))
		in.PaymentMethod = method
		res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Order.ID
	}
	seq := db.LastSeq()
	cash := place("cash", 2)
	card := place("manual", 6) // 8 -> 2: below 3
	evs, _ := db.Outbox(ctx, seq, 20)
	low := 0
	for _, ev := range evs {
		if ev.Type == inventory.EventLowStock {
			low++
		}
	}
	if low != 1 {
		t.Errorf("%d low-stock events, want 1", low)
	}
	due, err := invStore.DueReservations(ctx, time.Now().Add(2*time.Minute), 10)
	if err != nil || len(due) != 1 || due[0] != card {
		t.Fatalf("due %v %v, want only the card order", due, err)
	}
	list, err := invStore.ActiveReservations(ctx, commerce.Page{Limit: 1})
	if err != nil || len(list.Items) != 1 || list.Items[0].OrderID != card || list.NextCursor == "" {
		t.Fatalf("active page 1: %+v %v", list, err)
	}
	list, err = invStore.ActiveReservations(ctx, commerce.Page{Limit: 1, Cursor: list.NextCursor})
	if err != nil || len(list.Items) != 1 || list.Items[0].OrderID != cash || list.Items[0].ExpiresAt != nil {
		t.Fatalf("active page 2: %+v %v", list, err)
	}
	o, _ := s.store.Order(ctx, card)
	if err := db.Update(ctx, func(tx *Tx) error { return commitOrderStock(tx, o) }); err != nil {
		t.Fatal(err)
	}
	if due, _ := invStore.DueReservations(ctx, time.Now().Add(2*time.Minute), 10); len(due) != 0 {
		t.Fatalf("a committed reservation is still due: %v", due)
	}
	if l := levelsOf(t, db, vid)["main"]; l.OnHand != 4 || l.Reserved != 2 || s.stock(t, vid) != 2 {
		t.Fatalf("after commit: %+v stock %d", l, s.stock(t, vid))
	}
	// The catalog's stock field: sellable becomes what was given, on the default warehouse.
	p, err := NewCatalog(db).Product(ctx, o.Lines[0].ProductID)
	if err != nil {
		t.Fatal(err)
	}
	p.Variants[0].Stock = 9
	if err := NewCatalog(db).SaveProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	if l := levelsOf(t, db, vid)["main"]; l.OnHand != 11 || l.Reserved != 2 || s.stock(t, vid) != 9 {
		t.Fatalf("after the catalog set 9: %+v stock %d", l, s.stock(t, vid))
	}
	mv, err := invStore.Movements(ctx, inventory.MovementFilter{VariantID: vid}, commerce.Page{Limit: 2})
	if err != nil || len(mv.Items) != 2 || mv.Items[0].Reason != inventory.ReasonCatalog || mv.Items[1].Reason != inventory.ReasonSale || mv.NextCursor == "" {
		t.Fatalf("movements newest first: %+v %v", mv, err)
	}
}
