package inventory

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestAllocate(t *testing.T) {
	scenarios := []struct {
		name  string
		avail []int64
		q     int64
		take  []int64
		short int64
	}{
		{"first warehouse fills it", []int64{5, 9}, 3, []int64{3, 0}, 0},
		{"prefer one warehouse that can fill it alone", []int64{2, 9}, 5, []int64{0, 5}, 0},
		{"split when none can", []int64{2, 3, 1}, 5, []int64{2, 3, 0}, 0},
		{"split skips empty and owing ones", []int64{0, -2, 4, 3}, 6, []int64{0, 0, 4, 2}, 0},
		{"short when all together lack it", []int64{1, 2}, 5, []int64{1, 2}, 2},
		{"nothing anywhere", []int64{0}, 1, []int64{0}, 1},
		{"no warehouses", nil, 1, []int64{}, 1},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			take, short := Allocate(s.avail, s.q)
			if !slices.Equal(take, s.take) || short != s.short {
				t.Errorf("Allocate(%v, %d) = %v, %d; want %v, %d", s.avail, s.q, take, short, s.take, s.short)
			}
		})
	}
}

// memTx is an in-memory Tx.
type memTx struct {
	whs      []Warehouse
	levels   map[[2]string]Level
	items    map[string]Item
	sellable map[string]int64
	res      map[string]Reservation
	moves    []Movement
	events   []commerce.Event
	lowStock int64
}

func newMemTx(whs ...Warehouse) *memTx {
	if len(whs) == 0 {
		whs = []Warehouse{DefaultWarehouseRecord()}
	}
	return &memTx{whs: whs, levels: map[[2]string]Level{}, items: map[string]Item{}, sellable: map[string]int64{}, res: map[string]Reservation{}}
}

func (m *memTx) Warehouses() ([]Warehouse, error) {
	ws := slices.Clone(m.whs)
	SortWarehouses(ws)
	return ws, nil
}
func (m *memTx) Levels(v string, ws []Warehouse) ([]Level, error) {
	out := make([]Level, len(ws))
	for i, w := range ws {
		l, ok := m.levels[[2]string{v, w.Code}]
		if !ok {
			l = Level{VariantID: v, Warehouse: w.Code}
		}
		l.Stored = ok
		out[i] = l
	}
	return out, nil
}
func (m *memTx) Item(v string) (Item, bool, error) {
	it, ok := m.items[v]
	if !ok {
		it = Item{VariantID: v, Backorder: BackorderDeny}
	}
	return it, ok, nil
}
func (m *memTx) Variant(v string) (VariantInfo, error) {
	if _, ok := m.sellable[v]; !ok {
		return VariantInfo{}, ErrVariantNotFound
	}
	return VariantInfo{ID: v, SKU: "SKU-" + v}, nil
}
func (m *memTx) VariantExists(v string) (bool, error) { _, ok := m.sellable[v]; return ok, nil }
func (m *memTx) Sellable(v string) (int64, error)     { return m.sellable[v], nil }
func (m *memTx) Reservation(id string) (Reservation, bool, error) {
	r, ok := m.res[id]
	return r, ok, nil
}
func (m *memTx) NonEmptyLevel(w string) (Level, bool, error) {
	for k, l := range m.levels {
		if k[1] == w && (l.OnHand != 0 || l.Reserved != 0) {
			return l, true, nil
		}
	}
	return Level{}, false, nil
}
func (m *memTx) PutWarehouse(w Warehouse) error {
	for i := range m.whs {
		if m.whs[i].Code == w.Code {
			m.whs[i] = w
			return nil
		}
	}
	m.whs = append(m.whs, w)
	return nil
}
func (m *memTx) PutLevel(l Level) error {
	l.Stored = false
	m.levels[[2]string{l.VariantID, l.Warehouse}] = l
	return nil
}
func (m *memTx) SetSellable(v string, n int64) error {
	if n < 0 {
		return errors.New("negative sellable")
	}
	m.sellable[v] = n
	return nil
}
func (m *memTx) PutItem(it Item) error                              { m.items[it.VariantID] = it; return nil }
func (m *memTx) AddMovement(mv Movement) error                      { m.moves = append(m.moves, mv); return nil }
func (m *memTx) PutReservation(r Reservation, _ *Reservation) error { m.res[r.OrderID] = r; return nil }
func (m *memTx) DefaultLowStock() int64                             { return m.lowStock }
func (m *memTx) Emit(ev commerce.Event)                             { m.events = append(m.events, ev) }

func (m *memTx) level(v, w string) Level { return m.levels[[2]string{v, w}] }

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// stock sets a variant's on-hand units per warehouse.
func (m *memTx) stock(v string, onHand map[string]int64) {
	var sum int64
	for w, n := range onHand {
		m.levels[[2]string{v, w}] = Level{VariantID: v, Warehouse: w, OnHand: n}
		sum += n
	}
	m.sellable[v] = sum
}

func TestReservationLifecycle(t *testing.T) {
	east := Warehouse{Code: "east", Name: "East", Priority: 10, Active: true}
	closed := Warehouse{Code: "closed", Name: "Closed", Priority: 5, Active: false}
	scenarios := []struct {
		name    string
		onHand  map[string]int64
		item    *Item
		q       int64
		wantErr bool
		alloc   map[string]int64 // reserved per warehouse
	}{
		{name: "one warehouse fills it", onHand: map[string]int64{"main": 5, "east": 5}, q: 3, alloc: map[string]int64{"main": 3}},
		{name: "the one that can fill it alone", onHand: map[string]int64{"main": 2, "east": 5}, q: 4, alloc: map[string]int64{"east": 4}},
		{name: "split", onHand: map[string]int64{"main": 2, "east": 3}, q: 5, alloc: map[string]int64{"main": 2, "east": 3}},
		{name: "inactive warehouse is skipped", onHand: map[string]int64{"main": 1, "closed": 9}, q: 2, wantErr: true},
		{name: "out of stock", onHand: map[string]int64{"main": 2, "east": 1}, q: 4, wantErr: true},
		{name: "backorder allowed", onHand: map[string]int64{"main": 1}, item: &Item{Backorder: BackorderAllow}, q: 4, alloc: map[string]int64{"main": 4}},
		{name: "backorder within limit", onHand: map[string]int64{"main": 1}, item: &Item{Backorder: BackorderAllow, BackorderLimit: ptr(int64(3))}, q: 4, alloc: map[string]int64{"main": 4}},
		{name: "backorder beyond limit", onHand: map[string]int64{"main": 1}, item: &Item{Backorder: BackorderAllow, BackorderLimit: ptr(int64(2))}, q: 4, wantErr: true},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			m := newMemTx(DefaultWarehouseRecord(), east, closed)
			m.stock("v1", s.onHand)
			if s.item != nil {
				it := *s.item
				it.VariantID = "v1"
				m.items["v1"] = it
			}
			before := m.sellable["v1"]
			exp := t0.Add(time.Minute)
			r, err := Reserve(m, ReserveRequest{OrderID: "o1", Lines: []Want{{VariantID: "v1", SKU: "S1", Quantity: s.q}}, ExpiresAt: &exp, Now: t0})
			if s.wantErr {
				e := commerce.AsError(err)
				if !errors.Is(err, ErrOutOfStock) || e.Details["requested"] != s.q || e.Details["sku"] != "S1" {
					t.Fatalf("err %v, want out_of_stock with details", err)
				}
				if len(m.moves) != 0 || len(m.res) != 0 || m.sellable["v1"] != before {
					t.Fatal("a refused reservation wrote something")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, a := range r.Lines {
				got[a.Warehouse] += a.Quantity
				if m.level("v1", a.Warehouse).Reserved != a.Quantity {
					t.Errorf("%s reserved %d, want %d", a.Warehouse, m.level("v1", a.Warehouse).Reserved, a.Quantity)
				}
			}
			if len(got) != len(s.alloc) {
				t.Fatalf("allocation %v, want %v", got, s.alloc)
			}
			for w, n := range s.alloc {
				if got[w] != n {
					t.Fatalf("allocation %v, want %v", got, s.alloc)
				}
			}
			if want := max(before-s.q, 0); m.sellable["v1"] != want {
				t.Errorf("sellable %d, want %d", m.sellable["v1"], want)
			}
			// Commit: on-hand and reserved drop; sellable stays.
			sell := m.sellable["v1"]
			if err := Commit(m, "o1", t0, "system"); err != nil {
				t.Fatal(err)
			}
			if m.res["o1"].Status != ReservationCommitted || m.sellable["v1"] != sell {
				t.Fatalf("after commit: status %s sellable %d", m.res["o1"].Status, m.sellable["v1"])
			}
			for w, n := range s.alloc {
				if l := m.level("v1", w); l.Reserved != 0 || l.OnHand != s.onHand[w]-n {
					t.Errorf("after commit %s: %+v", w, l)
				}
			}
			if err := Commit(m, "o1", t0, "system"); err != nil { // twice: no-op
				t.Fatal(err)
			}
			// Release after commit: units come back on hand where they left.
			if err := Release(m, "o1", nil, "cancelled", t0, "system"); err != nil {
				t.Fatal(err)
			}
			for w := range s.onHand {
				if l := m.level("v1", w); l.OnHand != s.onHand[w] || l.Reserved != 0 {
					t.Errorf("after release %s: %+v, want on hand %d", w, l, s.onHand[w])
				}
			}
			if m.sellable["v1"] != before || m.res["o1"].Status != ReservationReleased {
				t.Errorf("after release: sellable %d (want %d) status %s", m.sellable["v1"], before, m.res["o1"].Status)
			}
			n := len(m.moves)
			if err := Release(m, "o1", nil, "again", t0, "system"); err != nil || len(m.moves) != n {
				t.Errorf("a second release moved stock: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestReleaseActiveAndLegacy(t *testing.T) {
	m := newMemTx()
	m.stock("v1", map[string]int64{"main": 5})
	if _, err := Reserve(m, ReserveRequest{OrderID: "o1", Lines: []Want{{VariantID: "v1", Quantity: 2}}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if err := Release(m, "o1", nil, "expired", t0, "system"); err != nil {
		t.Fatal(err)
	}
	if l := m.level("v1", "main"); l.OnHand != 5 || l.Reserved != 0 || m.sellable["v1"] != 5 {
		t.Fatalf("after releasing an active reservation: %+v sellable %d", l, m.sellable["v1"])
	}
	// An order from before reservations gets its lines back in the default warehouse.
	if err := Release(m, "old", []Want{{VariantID: "v1", Quantity: 3}, {VariantID: "gone", Quantity: 1}}, "cancelled", t0, "system"); err != nil {
		t.Fatal(err)
	}
	if m.sellable["v1"] != 8 {
		t.Fatalf("legacy release: sellable %d, want 8", m.sellable["v1"])
	}
	// A return goes back where the order took it from.
	if err := Restock(m, "o1", "v1", "S", 2, "rma", t0, "system"); err != nil {
		t.Fatal(err)
	}
	if m.moves[len(m.moves)-1].Reason != ReasonReturned || m.sellable["v1"] != 10 {
		t.Fatalf("restock: %+v sellable %d", m.moves[len(m.moves)-1], m.sellable["v1"])
	}
}

func TestLowStockOncePerCrossing(t *testing.T) {
	m := newMemTx()
	m.lowStock = 5
	m.stock("v1", map[string]int64{"main": 7})
	reserve := func(id string, q int64) {
		t.Helper()
		if _, err := Reserve(m, ReserveRequest{OrderID: id, Lines: []Want{{VariantID: "v1", SKU: "S", Quantity: q}}, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	reserve("a", 1) // 7 → 6
	reserve("b", 2) // 6 → 4: crosses
	reserve("c", 1) // 4 → 3: already below
	low := 0
	for _, ev := range m.events {
		if ev.Type == EventLowStock {
			low++
		}
	}
	if low != 1 {
		t.Fatalf("%d low-stock events, want 1", low)
	}
	if err := Release(m, "b", nil, "", t0, ""); err != nil { // 3 → 5: back above
		t.Fatal(err)
	}
	reserve("d", 1) // 5 → 4: crosses again
	low = 0
	for _, ev := range m.events {
		if ev.Type == EventLowStock {
			low++
		}
	}
	if low != 2 {
		t.Fatalf("%d low-stock events after a second crossing, want 2", low)
	}
}

func TestSetSellable(t *testing.T) {
	east := Warehouse{Code: "east", Name: "East", Priority: 10, Active: true}
	scenarios := []struct {
		name   string
		onHand map[string]int64
		n      int64
		want   map[string]int64
	}{
		{"adds to main", map[string]int64{"main": 2, "east": 3}, 9, map[string]int64{"main": 6, "east": 3}},
		{"takes from main first", map[string]int64{"main": 4, "east": 3}, 5, map[string]int64{"main": 2, "east": 3}},
		{"then from the others", map[string]int64{"main": 1, "east": 3}, 2, map[string]int64{"main": 0, "east": 2}},
		{"unchanged", map[string]int64{"main": 1, "east": 3}, 4, map[string]int64{"main": 1, "east": 3}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			m := newMemTx(DefaultWarehouseRecord(), east)
			m.stock("v1", s.onHand)
			if err := SetSellable(m, "v1", "S", s.n, false, t0, "staff"); err != nil {
				t.Fatal(err)
			}
			for w, n := range s.want {
				if m.level("v1", w).OnHand != n {
					t.Errorf("%s on hand %d, want %d", w, m.level("v1", w).OnHand, n)
				}
			}
			if m.sellable["v1"] != s.n {
				t.Errorf("sellable %d, want %d", m.sellable["v1"], s.n)
			}
		})
	}
}
