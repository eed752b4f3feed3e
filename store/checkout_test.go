package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// shop is a store with the cart, checkout and order services on it.
type shop struct {
	db       *DB
	carts    *cart.Service
	checkout *checkout.Service
	orders   *orders.Service
	store    *Orders
}

func newShop(t testing.TB, db *DB) *shop {
	return &shop{
		db: db, carts: cart.NewService(NewCarts(db), nil), checkout: checkout.NewService(NewCheckout(db), nil, nil, checkout.Config{}),
		orders: orders.NewService(NewOrders(db), nil), store: NewOrders(db),
	}
}

// product saves an active product whose variants have the given stocks (price 1000+i USD)
// and returns the variant IDs.
func (s *shop) product(t testing.TB, stocks ...int64) []string {
	t.Helper()
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: "Tea", Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now}
	p.Slug = "tea-" + p.ID
	var ids []string
	for i, n := range stocks {
		v := catalog.Variant{ID: commerce.NewID(), SKU: fmt.Sprintf("SKU-%s-%d", p.ID, i),
			Price: commerce.Money{Amount: int64(1000 + i), Currency: "USD"}, Stock: n, Options: map[string]string{"Size": fmt.Sprint(i)}}
		p.Variants = append(p.Variants, v)
		ids = append(ids, v.ID)
	}
	if err := NewCatalog(s.db).SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return ids
}

// cartWith creates a guest cart (or userID's) holding qty units of each variant.
func (s *shop) cartWith(t testing.TB, userID string, lines map[string]int64) string {
	t.Helper()
	ctx := context.Background()
	v := cart.Viewer{UserID: userID}
	c, err := s.carts.Create(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	for vid, q := range lines {
		if _, err := s.carts.AddItem(ctx, v, c.ID, cart.AddItemInput{VariantID: vid, Quantity: q}); err != nil {
			t.Fatalf("add %s x%d: %v", vid, q, err)
		}
	}
	return c.ID
}

func (s *shop) stock(t testing.TB, vid string) int64 {
	t.Helper()
	var n int64
	if err := s.db.View(context.Background(), func(r *Reader) (err error) { n, err = stockOf(r, vid); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

func input(cartID string) checkout.Input {
	return checkout.Input{CartID: cartID, Email: "buyer@example.com", PaymentMethod: "cash",
		ShippingAddress: orders.Address{Name: "Ann", Line1: "1 Main St", City: "Tashkent", Country: "UZ"}}
}

// countKeys counts the keys under prefix.
func countKeys(t testing.TB, db *DB, prefix string) int {
	t.Helper()
	n := 0
	err := db.View(context.Background(), func(r *Reader) error {
		return r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCheckoutOutOfStockWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 5, 2)
	cartID := s.cartWith(t, "", map[string]int64{v[0]: 3, v[1]: 2})
	// Someone else buys one unit of v[1] first: the cart's second line no longer fits.
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWith(t, "", map[string]int64{v[1]: 1})), checkout.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	seq := s.db.LastSeq()
	orderKeys := countKeys(t, s.db, "orders/")
	_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(cartID), checkout.Idempotency{Scope: "anon", Key: "k1"})
	e := commerce.AsError(err)
	if e == nil || e.Code != "out_of_stock" || e.Details["variant_id"] != v[1] || e.Details["requested"] != int64(2) || e.Details["available"] != int64(1) {
		t.Fatalf("err %v %+v, want out_of_stock naming %s", err, e, v[1])
	}
	if got := s.stock(t, v[0]); got != 5 {
		t.Errorf("stock of the line that fitted = %d, want 5 (nothing written)", got)
	}
	if s.db.LastSeq() != seq || countKeys(t, s.db, "orders/") != orderKeys || countKeys(t, s.db, prefixIdemCheckout) != 0 {
		t.Error("a refused checkout wrote events, order rows or a receipt")
	}
	c, _ := s.carts.Get(ctx, cart.Viewer{}, cartID)
	if c.Status != cart.StatusOpen {
		t.Errorf("cart status %s after a refused checkout", c.Status)
	}
}

func TestCheckoutPlacesOrderAtomically(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 10, 10)
	cartID := s.cartWith(t, "u1", map[string]int64{v[0]: 2, v[1]: 3})
	seq := s.db.LastSeq()
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1", Actor: "user:u1"}, input(cartID), checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Order
	if o.Number != 1 || o.Status != orders.StatusPending || o.UserID != "u1" || len(o.Lines) != 2 || o.Total != (commerce.Money{Amount: 2*1000 + 3*1001, Currency: "USD"}) {
		t.Fatalf("order %+v", o)
	}
	if s.stock(t, v[0]) != 8 || s.stock(t, v[1]) != 7 {
		t.Errorf("stock %d %d, want 8 7", s.stock(t, v[0]), s.stock(t, v[1]))
	}
	if !o.KeyMatches(res.AccessKey) || o.KeyMatches("nope") || len(res.AccessKey) < 22 {
		t.Error("access key does not open the order")
	}
	byNum, err := s.store.OrderByNumber(ctx, 1)
	if err != nil || byNum.ID != o.ID {
		t.Errorf("by number: %v %v", byNum.ID, err)
	}
	list, err := s.store.ListOrders(ctx, orders.Filter{UserID: "u1"}, commerce.Page{})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != o.ID {
		t.Errorf("user list %+v %v", list, err)
	}
	c, _ := s.carts.Get(ctx, cart.Viewer{UserID: "u1"}, cartID)
	if c.Status != cart.StatusCheckedOut || c.OrderID != o.ID {
		t.Errorf("cart %s %s", c.Status, c.OrderID)
	}
	evs, err := s.db.Outbox(ctx, seq, 10)
	if err != nil || len(evs) != 1 || evs[0].Type != orders.EventPlaced || evs[0].Actor != "user:u1" {
		t.Fatalf("events %+v %v", evs, err)
	}
	var data orders.EventData
	qty := map[string]int64{}
	if err := json.Unmarshal(evs[0].Data, &data); err != nil || len(data.Lines) != 2 || data.Lines[0].SKU == "" || data.Lines[0].ProductID == "" {
		t.Errorf("placed data %s", evs[0].Data)
	}
	for _, l := range data.Lines {
		qty[l.VariantID] = l.Quantity
	}
	if qty[v[0]] != 2 || qty[v[1]] != 3 {
		t.Errorf("placed data %s", evs[0].Data)
	}
	// A second checkout of the same cart, and changes to it, are refused.
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1"}, input(cartID), checkout.Idempotency{}); !errors.Is(err, cart.ErrCheckedOut) {
		t.Errorf("second checkout: %v", err)
	}
	if _, err := s.carts.AddItem(ctx, cart.Viewer{UserID: "u1"}, cartID, cart.AddItemInput{VariantID: v[0], Quantity: 1}); !errors.Is(err, cart.ErrCheckedOut) {
		t.Errorf("add to a checked-out cart: %v", err)
	}
	// Another user may not check out u1's cart.
	other := s.cartWith(t, "u1", map[string]int64{v[0]: 1})
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u2"}, input(other), checkout.Idempotency{}); !errors.Is(err, cart.ErrNotFound) {
		t.Errorf("someone else's cart: %v", err)
	}
}

func TestOrderNumbersAreGapFree(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 3)
	var got []int64
	for _, q := range []int64{1, 3, 1, 5, 1} { // the 3 and the 5 do not fit when their turn comes
		res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWithLoose(t, v[0], q)), checkout.Idempotency{})
		if err == nil {
			got = append(got, res.Order.Number)
		}
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("numbers %v, want [1 2 3]", got)
	}
}

// cartWithLoose makes a cart holding q units of vid even when the stock is short now, by
// adding while the stock is high enough and writing the line directly otherwise.
func (s *shop) cartWithLoose(t testing.TB, vid string, q int64) string {
	t.Helper()
	id := s.cartWith(t, "", nil)
	err := s.db.Update(context.Background(), func(tx *Tx) error {
		c, err := cartOf(tx, id)
		if err != nil {
			return err
		}
		c.Lines = append(c.Lines, cart.Line{ID: commerce.NewID(), VariantID: vid, Quantity: q})
		c.Currency = "USD"
		return putCart(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCheckoutIdempotentRetry(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 10)
	cartID := s.cartWith(t, "", map[string]int64{v[0]: 2})
	idem := checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: "retry-1"}
	first, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(cartID), idem)
	if err != nil {
		t.Fatal(err)
	}
	// The retry (as after a crash that lost the response) gets the same order and key.
	again, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(cartID), idem)
	if err != nil || again.Order.ID != first.Order.ID || again.AccessKey != first.AccessKey || !again.Replayed || first.Replayed {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if s.stock(t, v[0]) != 8 || countKeys(t, s.db, prefixOrder) != 1 {
		t.Errorf("stock %d, orders %d after a retry", s.stock(t, v[0]), countKeys(t, s.db, prefixOrder))
	}
	changed := input(cartID)
	changed.Email = "other@example.com"
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, changed, idem); !errors.Is(err, checkout.ErrKeyReused) {
		t.Errorf("same key, other body: %v", err)
	}
	// The same key in another scope is another request.
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(cartID), checkout.Idempotency{Scope: "user:x", Key: "retry-1"}); !errors.Is(err, cart.ErrCheckedOut) {
		t.Errorf("other scope: %v", err)
	}
}

func TestCancelReturnsStockAndMovesIndexes(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 10, 4)
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWith(t, "", map[string]int64{v[0]: 3, v[1]: 4})), checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Order.ID
	if _, err := s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "SHIPPED"}); !errors.Is(err, orders.ErrIllegalTransition) {
		t.Errorf("PENDING → SHIPPED: %v", err)
	}
	if _, err := s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "CONFIRMED", IfVersion: 7}); !errors.Is(err, orders.ErrVersionMismatch) {
		t.Errorf("stale If-Match: %v", err)
	}
	o, err := s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "confirmed", IfVersion: 1})
	if err != nil || o.Status != orders.StatusConfirmed || o.Version != 2 {
		t.Fatalf("confirm: %+v %v", o, err)
	}
	seq := s.db.LastSeq()
	o, err = s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "CANCELLED", Note: "customer asked"})
	if err != nil || len(o.History) != 3 || o.History[2].Actor != "user:admin" || o.History[2].Note != "customer asked" {
		t.Fatalf("cancel: %+v %v", o, err)
	}
	if s.stock(t, v[0]) != 10 || s.stock(t, v[1]) != 4 {
		t.Errorf("stock after cancel %d %d, want 10 4", s.stock(t, v[0]), s.stock(t, v[1]))
	}
	evs, _ := s.db.Outbox(ctx, seq, 10)
	types := map[string]string{}
	for _, ev := range evs {
		types[ev.Type] = ev.Actor
	}
	// The order's cash payment is cancelled with it, by the same actor.
	if len(evs) != 3 || types[orders.EventStatusChanged] != "user:admin" || types[orders.EventCancelled] != "user:admin" ||
		types[payments.EventCancelled] != "user:admin" {
		t.Errorf("events %+v", evs)
	}
	for status, want := range map[string]int{"PENDING": 0, "CONFIRMED": 0, "CANCELLED": 1} {
		l, err := s.store.ListOrders(ctx, orders.Filter{Status: status}, commerce.Page{})
		if err != nil || len(l.Items) != want {
			t.Errorf("status %s lists %d, want %d (%v)", status, len(l.Items), want, err)
		}
	}
	if _, err := s.orders.SetStatus(ctx, "user:admin", id, orders.StatusInput{Status: "CANCELLED"}); !errors.Is(err, orders.ErrIllegalTransition) {
		t.Errorf("cancel twice: %v", err)
	}
	if s.stock(t, v[0]) != 10 {
		t.Error("a refused second cancel returned stock again")
	}
}

func TestListOrdersPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 100)
	var ids []string
	for range 5 {
		res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u"}, input(s.cartWith(t, "u", map[string]int64{v[0]: 1})), checkout.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Order.ID)
	}
	for _, f := range []orders.Filter{{}, {UserID: "u"}, {Status: "PENDING"}, {UserID: "u", Status: "PENDING"}} {
		var got []string
		cursor := ""
		for {
			l, err := s.store.ListOrders(ctx, f, commerce.Page{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range l.Items {
				got = append(got, o.ID)
			}
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("filter %+v: %v, want %v", f, got, want)
		}
	}
	if l, _ := s.store.ListOrders(ctx, orders.Filter{UserID: "someone"}, commerce.Page{}); len(l.Items) != 0 {
		t.Error("another user's list is not empty")
	}
	if _, err := s.store.ListOrders(ctx, orders.Filter{}, commerce.Page{Cursor: "!!"}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "invalid_cursor" {
		t.Errorf("bad cursor: %v", err)
	}
}

// TestCheckoutNeverOversells has many buyers race for a hot variant with little stock.
func TestCheckoutNeverOversells(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	const initial = 150
	v := s.product(t, initial, initial)
	const buyers = 64
	carts := make([]string, buyers*3)
	for i := range carts {
		carts[i] = s.cartWith(t, "", map[string]int64{v[i%2]: int64(1 + i%3), v[(i+1)%2]: 1})
	}
	var sold [2]atomic.Int64
	var placed, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(carts); i += buyers {
				res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(carts[i]), checkout.Idempotency{})
				if e := commerce.AsError(err); e != nil && e.Code == "out_of_stock" {
					refused.Add(1)
					continue
				} else if err != nil {
					t.Error(err)
					return
				}
				placed.Add(1)
				for _, l := range res.Order.Lines {
					for j := range v {
						if l.VariantID == v[j] {
							sold[j].Add(l.Quantity)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if refused.Load() == 0 || placed.Load() == 0 {
		t.Fatalf("placed %d, refused %d: the test did not race for the last units", placed.Load(), refused.Load())
	}
	for j := range v {
		left := s.stock(t, v[j])
		if left < 0 || sold[j].Load() != initial-left {
			t.Errorf("variant %d: sold %d, left %d, initial %d", j, sold[j].Load(), left, initial)
		}
	}
	if n := countKeys(t, s.db, prefixOrder); int64(n) != placed.Load() {
		t.Errorf("%d orders stored, %d placed", n, placed.Load())
	}
}

func TestIdempotencyStoreExpiresAndPurges(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	idem := NewIdempotency(db)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	idem.now = func() time.Time { return now }
	if _, ok, err := idem.Load(ctx, "k"); ok || err != nil {
		t.Fatalf("empty store: %v %v", ok, err)
	}
	if err := idem.Save(ctx, "k", []byte("first"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := idem.Save(ctx, "short", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := idem.Load(ctx, "k"); !ok || err != nil || string(v) != "first" {
		t.Fatalf("load: %q %v %v", v, ok, err)
	}
	now = now.Add(30 * time.Minute)
	if _, ok, _ := idem.Load(ctx, "short"); ok {
		t.Error("an expired row is still served")
	}
	if n, err := idem.Purge(ctx, now); n != 1 || err != nil {
		t.Errorf("purge removed %d (%v), want 1", n, err)
	}
	// "k" is written again with a later expiry: its old expiry entry must not delete it.
	if err := idem.Save(ctx, "k", []byte("second"), time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(45 * time.Minute)
	if n, _ := idem.Purge(ctx, now); n != 0 {
		t.Errorf("purge removed %d rows still valid", n)
	}
	if v, ok, _ := idem.Load(ctx, "k"); !ok || string(v) != "second" {
		t.Errorf("rewritten row: %q %v", v, ok)
	}
	if n, _ := idem.Purge(ctx, now.Add(2*time.Hour)); n != 1 || countKeys(t, db, "idem/") != 0 {
		t.Errorf("final purge removed %d, %d idem keys left", n, countKeys(t, db, "idem/"))
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestCartsExpire(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	clock := &fakeClock{t: time.Now().UTC()}
	s.carts = cart.NewService(NewCarts(db), clock)
	s.checkout = checkout.NewService(NewCheckout(db), nil, clock, checkout.Config{})
	v := s.product(t, 10)
	idle := s.cartWith(t, "", map[string]int64{v[0]: 1})
	busy := s.cartWith(t, "", map[string]int64{v[0]: 1})
	clock.t = clock.t.Add(cart.TTL - time.Hour)
	if _, err := s.carts.AddItem(ctx, cart.Viewer{}, busy, cart.AddItemInput{VariantID: v[0], Quantity: 1}); err != nil {
		t.Fatal(err) // a change pushes the expiry back
	}
	clock.t = clock.t.Add(2 * time.Hour)
	if _, err := s.carts.Get(ctx, cart.Viewer{}, idle); !errors.Is(err, cart.ErrNotFound) {
		t.Errorf("an expired cart: %v", err)
	}
	if _, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(idle), checkout.Idempotency{}); !errors.Is(err, cart.ErrNotFound) {
		t.Errorf("checkout of an expired cart: %v", err)
	}
	if c, err := s.carts.Get(ctx, cart.Viewer{}, busy); err != nil || c.Lines[0].Quantity != 2 {
		t.Errorf("a cart changed within its TTL: %+v %v", c, err)
	}
}
