package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memStore is an in-memory Store: each Update works on copies and commits them only when
// fn succeeds, like the real one.
type memStore struct {
	mu       sync.Mutex
	orders   map[string]Order
	stock    map[string]int64 // restocked and released units per variant
	commits  int
	invoices map[int]int64
	events   []commerce.Event
}

func newMem(os ...Order) *memStore {
	m := &memStore{orders: map[string]Order{}, stock: map[string]int64{}, invoices: map[int]int64{}}
	for _, o := range os {
		m.orders[o.ID] = o
	}
	return m
}

func (m *memStore) Order(_ context.Context, id string) (Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return o, ErrNotFound
	}
	return o.clone(), nil
}

func (m *memStore) ListOrders(context.Context, Filter, commerce.Page) (commerce.List[Order], error) {
	return commerce.List[Order]{}, nil
}

type memTx struct {
	m        *memStore
	orders   map[string]Order
	stock    map[string]int64
	commits  int
	invoices map[int]int64
	events   []commerce.Event
}

func (m *memStore) Update(_ context.Context, fn func(Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memTx{m: m, orders: map[string]Order{}, stock: map[string]int64{}, invoices: map[int]int64{}}
	if err := fn(tx); err != nil {
		return err
	}
	for k, v := range tx.orders {
		m.orders[k] = v
	}
	for k, v := range tx.stock {
		m.stock[k] += v
	}
	for k, v := range tx.invoices {
		m.invoices[k] = v
	}
	m.commits += tx.commits
	m.events = append(m.events, tx.events...)
	return nil
}

func (t *memTx) Order(id string) (Order, error) {
	if o, ok := t.orders[id]; ok {
		return o, nil
	}
	o, ok := t.m.orders[id]
	if !ok {
		return o, ErrNotFound
	}
	return o.clone(), nil
}
func (t *memTx) PutOrder(o, _ Order) error { t.orders[o.ID] = o; return nil }
func (t *memTx) ReleaseStock(o Order, _ string) error {
	for _, l := range o.Lines {
		t.stock[l.VariantID] += l.Quantity
	}
	return nil
}
func (t *memTx) Restock(_ Order, v string, n int64, _ string) error { t.stock[v] += n; return nil }
func (t *memTx) ReleasePromotions(Order) error                      { return nil }
func (t *memTx) CommitStock(Order) error                            { t.commits++; return nil }
func (t *memTx) NextInvoiceNumber(year int, _ string) (int64, error) {
	n, ok := t.invoices[year]
	if !ok {
		n = t.m.invoices[year]
	}
	n++
	t.invoices[year] = n
	return n, nil
}
func (t *memTx) Emit(ev commerce.Event) { t.events = append(t.events, ev) }

type fixedClock struct{ t *time.Time }

func (c fixedClock) Now() time.Time { return *c.t }

func usd(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }

// testOrder has two lines: 3 × A at 1000 (discount 300, tax 270) and 1 × B at 500 (tax 50),
// taxes added on top, shipping 700: total 3000−300+500+320+700 = 4220.
func testOrder() Order {
	return Order{ID: commerce.NewID(), Number: 7, UserID: "u1", Status: StatusPending, PaymentStatus: PaymentPaid, PaymentID: "pay1",
		Lines: []Line{
			{VariantID: "A", SKU: "SKU-A", Quantity: 3, UnitPrice: usd(1000), LineTotal: usd(3000), Discount: usd(300), Tax: usd(270)},
			{VariantID: "B", SKU: "SKU-B", Quantity: 1, UnitPrice: usd(500), LineTotal: usd(500), Tax: usd(50)},
		},
		ShippingAddress: Address{Name: "Ann", Line1: "1 Main", City: "Tashkent", Country: "UZ"},
		Total:           usd(4220), Version: 1}
}

func qty(pairs ...any) []Qty {
	var out []Qty
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Qty{VariantID: pairs[i].(string), Quantity: int64(pairs[i+1].(int))})
	}
	return out
}

func TestFulfilmentLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	o := testOrder()
	m := newMem(o)
	s := NewService(m, fixedClock{&now})

	scenarios := []struct {
		name     string
		in       FulfilInput
		status   string // the order's status after, "" when refused
		errCode  string
		errField string
	}{
		{name: "a variant the order does not have", in: FulfilInput{Lines: qty("Z", 1)}, errField: "lines[0].variant_id"},
		{name: "more than ordered", in: FulfilInput{Lines: qty("A", 4)}, errField: "lines[0].quantity"},
		{name: "zero units", in: FulfilInput{Lines: qty("A", 0)}, errField: "lines[0].quantity"},
		{name: "a variant twice", in: FulfilInput{Lines: qty("A", 1, "A", 1)}, errField: "lines[1].variant_id"},
		{name: "first part: PENDING → PROCESSING", in: FulfilInput{Lines: qty("A", 2), Carrier: "ups", TrackingNumber: "1Z"}, status: StatusProcessing},
		{name: "more than left", in: FulfilInput{Lines: qty("A", 2)}, errField: "lines[0].quantity"},
		{name: "the rest by default: SHIPPED", in: FulfilInput{}, status: StatusShipped},
		{name: "nothing left", in: FulfilInput{}, errCode: "illegal_transition"},
	}
	for _, sc := range scenarios {
		before := len(m.events)
		got, _, err := s.Fulfil(ctx, "user:staff", o.ID, sc.in)
		if sc.status != "" {
			if err != nil || got.Status != sc.status {
				t.Fatalf("%s: %v, status %s, want %s", sc.name, err, got.Status, sc.status)
			}
			continue
		}
		e := commerce.AsError(err)
		if e == nil || (sc.errCode != "" && e.Code != sc.errCode) || (sc.errField != "" && (len(e.Fields) == 0 || e.Fields[0].Field != sc.errField)) {
			t.Errorf("%s: %v, want %s%s", sc.name, err, sc.errCode, sc.errField)
		}
		if len(m.events) != before {
			t.Errorf("%s: a refused fulfilment emitted events", sc.name)
		}
	}
	got, _ := m.Order(ctx, o.ID)
	if len(got.Fulfilments) != 2 || got.Fulfilments[1].Lines[0] != (Qty{"A", 1}) || got.Fulfilments[1].Lines[1] != (Qty{"B", 1}) {
		t.Fatalf("fulfilments %+v", got.Fulfilments)
	}
	if m.commits != 2 {
		t.Errorf("CommitStock called %d times, want once per fulfilment", m.commits)
	}
	var statuses []string
	for _, h := range got.History {
		if h.Event == "" {
			statuses = append(statuses, h.Status)
		}
	}
	if fmt.Sprint(statuses) != "[CONFIRMED PROCESSING SHIPPED]" {
		t.Errorf("history %v", statuses)
	}
	// A shipped order cannot be cancelled; delivering both shipments delivers the order.
	if _, err := s.SetStatus(ctx, "user:staff", o.ID, StatusInput{Status: StatusCancelled}); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("cancel a shipped order: %v", err)
	}
	if _, err := s.Deliver(ctx, "user:staff", o.ID, "nope", 0); !errors.Is(err, ErrFulfilmentNotFound) {
		t.Errorf("deliver a missing fulfilment: %v", err)
	}
	got, _ = s.Deliver(ctx, "user:staff", o.ID, got.Fulfilments[0].ID, 0)
	if got.Status != StatusShipped {
		t.Errorf("one of two delivered: %s", got.Status)
	}
	v := got.Version
	if again, _ := s.Deliver(ctx, "user:staff", o.ID, got.Fulfilments[0].ID, 0); again.Version != v {
		t.Errorf("delivering twice changed the order")
	}
	got, _ = s.Deliver(ctx, "user:staff", o.ID, got.Fulfilments[1].ID, 0)
	if got.Status != StatusDelivered {
		t.Errorf("both delivered: %s", got.Status)
	}
}

func TestCancelAfterPartialFulfilment(t *testing.T) {
	now := time.Now()
	o := testOrder()
	m := newMem(o)
	s := NewService(m, fixedClock{&now})
	if _, _, err := s.Fulfil(context.Background(), "a", o.ID, FulfilInput{Lines: qty("B", 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(context.Background(), "a", o.ID, StatusInput{Status: StatusCancelled}); !errors.Is(err, ErrFulfilled) {
		t.Errorf("cancel after a shipment: %v", err)
	}
	if len(m.stock) != 0 {
		t.Errorf("stock moved: %v", m.stock)
	}
}

func delivered(t *testing.T, s *Service, id string) Order {
	t.Helper()
	o, err := s.SetStatus(context.Background(), "staff", id, StatusInput{Status: StatusConfirmed})
	for _, st := range []string{StatusProcessing, StatusShipped, StatusDelivered} {
		if err == nil {
			o, err = s.SetStatus(context.Background(), "staff", id, StatusInput{Status: st})
		}
	}
	if err != nil || o.Status != StatusDelivered {
		t.Fatalf("deliver: %v %s", err, o.Status)
	}
	return o
}

func TestReturns(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	o := testOrder()
	m := newMem(o)
	s := NewService(m, fixedClock{&now})
	owner, stranger, staff := Viewer{UserID: "u1"}, Viewer{UserID: "u2"}, Viewer{Staff: true}

	if _, _, err := s.RequestReturn(ctx, owner, "user:u1", o.ID, ReturnInput{Reason: "too big"}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "nothing_delivered" {
		t.Fatalf("return before delivery: %v", err)
	}
	delivered(t, s, o.ID)
	scenarios := []struct {
		name  string
		v     Viewer
		in    ReturnInput
		after time.Duration
		code  string // "" for success
		field string
	}{
		{name: "no reason", v: owner, in: ReturnInput{Lines: qty("A", 1)}, field: "reason"},
		{name: "another customer", v: stranger, in: ReturnInput{Lines: qty("A", 1), Reason: "x"}, code: "order_not_found"},
		{name: "more than delivered", v: owner, in: ReturnInput{Lines: qty("A", 4), Reason: "x"}, field: "lines[0].quantity"},
		{name: "after the window", v: owner, in: ReturnInput{Lines: qty("A", 1), Reason: "x"}, after: ReturnWindow + time.Second, code: "return_window_closed"},
		{name: "one A", v: owner, in: ReturnInput{Lines: qty("A", 1), Reason: "too big"}},
		{name: "staff after the window", v: staff, in: ReturnInput{Lines: qty("A", 1), Reason: "late"}, after: ReturnWindow + time.Hour},
		{name: "more A than left", v: owner, in: ReturnInput{Lines: qty("A", 2), Reason: "x"}, field: "lines[0].quantity"},
	}
	start := now
	for _, sc := range scenarios {
		now = start.Add(sc.after)
		before := len(m.events)
		_, _, err := s.RequestReturn(ctx, sc.v, "actor", o.ID, sc.in)
		e := commerce.AsError(err)
		switch {
		case sc.code == "" && sc.field == "":
			if err != nil {
				t.Errorf("%s: %v", sc.name, err)
			}
		case e == nil || (sc.code != "" && e.Code != sc.code) || (sc.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != sc.field)):
			t.Errorf("%s: %v, want %s%s", sc.name, err, sc.code, sc.field)
		case len(m.events) != before:
			t.Errorf("%s: refused but emitted", sc.name)
		}
	}
	now = start
	got, _ := m.Order(ctx, o.ID)
	r1, r2 := got.Returns[0].ID, got.Returns[1].ID
	// The rest (1 A, 1 B) by default.
	got, r3, err := s.RequestReturn(ctx, owner, "user:u1", o.ID, ReturnInput{Reason: "all of it"})
	if err != nil || len(r3.Lines) != 2 || r3.Lines[0].Quantity != 1 || r3.Lines[1].VariantID != "B" {
		t.Fatalf("default return: %v %+v", err, r3)
	}
	if _, err := s.ReceiveReturn(ctx, "staff", o.ID, r1, nil); !errors.Is(err, ErrReturnState) {
		t.Errorf("receive before approval: %v", err)
	}
	if _, err := s.RejectReturn(ctx, "staff", o.ID, r2, ""); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("reject without reason: %v", err)
	}
	for _, rid := range []string{r1, r2, r3.ID} {
		if _, err := s.ApproveReturn(ctx, "staff", o.ID, rid); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApproveReturn(ctx, "staff", o.ID, r1); !errors.Is(err, ErrReturnState) {
		t.Errorf("approve twice: %v", err)
	}
	if _, err := s.ReceiveReturn(ctx, "staff", o.ID, r1, map[string]bool{"B": true}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("restock a variant not in the return: %v", err)
	}
	got, _ = s.ReceiveReturn(ctx, "staff", o.ID, r1, nil)
	got, _ = s.ReceiveReturn(ctx, "staff", o.ID, r2, map[string]bool{"A": false})
	if got.Status != StatusDelivered || m.stock["A"] != 1 {
		t.Errorf("after two returns: %s, stock %v", got.Status, m.stock)
	}
	got, err = s.ReceiveReturn(ctx, "staff", o.ID, r3.ID, nil)
	if err != nil || got.Status != StatusReturned || m.stock["A"] != 2 || m.stock["B"] != 1 {
		t.Errorf("every unit back: %v %s, stock %v", err, got.Status, m.stock)
	}
	// Values: A's net is 3000−300+270 = 2970 for 3 units: 990 + 990 + 990; B 550.
	for i, want := range []int64{990, 990, 990 + 550} {
		if v := got.ReturnValue(i); v.Amount != want {
			t.Errorf("return %d value %d, want %d", i, v.Amount, want)
		}
	}
	// Refunds: the default amount, a too large one, and marking twice.
	plan, err := s.PlanRefund(ctx, o.ID, r1, RefundInput{})
	if err != nil || plan.Amount != usd(990) || plan.To != RefundOriginal {
		t.Fatalf("plan %+v %v", plan, err)
	}
	if _, err := s.PlanRefund(ctx, o.ID, r1, RefundInput{Amount: &commerce.Money{Amount: 4221, Currency: "USD"}}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "refund_exceeds_paid" {
		t.Errorf("refund more than paid: %v", err)
	}
	if _, err := s.PlanRefund(ctx, o.ID, r1, RefundInput{Amount: &commerce.Money{Amount: 1, Currency: "EUR"}}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("refund in another currency: %v", err)
	}
	if _, err := s.PlanRefund(ctx, o.ID, r1, RefundInput{To: "cash"}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("refund to nowhere: %v", err)
	}
	a, _ := s.MarkRefunded(ctx, "staff", o.ID, r1, RefundRecord{Amount: plan.Amount, To: plan.To, RefundID: "rf1"})
	b, _ := s.MarkRefunded(ctx, "staff", o.ID, r1, RefundRecord{Amount: plan.Amount, To: plan.To, RefundID: "rf1"})
	if a.Version != b.Version || a.Returns[0].Status != ReturnRefunded {
		t.Errorf("marking twice: versions %d %d", a.Version, b.Version)
	}
	if plan, _ := s.PlanRefund(ctx, o.ID, r1, RefundInput{}); !plan.Done {
		t.Errorf("a refunded return plans again")
	}
	// What is left to refund shrinks by what was refunded.
	if _, err := s.PlanRefund(ctx, o.ID, r2, RefundInput{Amount: &commerce.Money{Amount: 4220 - 990 + 1, Currency: "USD"}}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "refund_exceeds_paid" {
		t.Errorf("second refund over the rest: %v", err)
	}
}

func TestReturnValueSumsToLineValue(t *testing.T) {
	o := Order{Total: usd(0), Lines: []Line{{VariantID: "A", Quantity: 7, LineTotal: usd(1001), Discount: usd(3), Tax: usd(101)}}}
	var sum int64
	for _, q := range []int64{2, 1, 3, 1} {
		o.Returns = append(o.Returns, Return{Status: ReturnReceived, Lines: []ReturnLine{{VariantID: "A", Quantity: q}}})
		sum += o.ReturnValue(len(o.Returns) - 1).Amount
	}
	if sum != 1001-3+101 {
		t.Errorf("returns of every unit sum to %d, want %d", sum, 1001-3+101)
	}
}

func TestDeleteAndUpdate(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	paid, unpaid := testOrder(), testOrder()
	unpaid.PaymentStatus = PaymentUnpaid
	m := newMem(paid, unpaid)
	s := NewService(m, fixedClock{&now})
	owner := Viewer{UserID: "u1"}
	if err := s.Delete(ctx, owner, "u", paid.ID); !errors.Is(err, ErrNotDeletable) {
		t.Errorf("delete a paid order: %v", err)
	}
	if err := s.Delete(ctx, Viewer{UserID: "u2"}, "u", unpaid.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete another's: %v", err)
	}
	if err := s.Delete(ctx, owner, "u", unpaid.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, owner, unpaid.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the owner still reads a deleted order: %v", err)
	}
	if o, _ := s.Get(ctx, Viewer{Staff: true}, unpaid.ID); !o.Deleted || o.Status != StatusCancelled || m.stock["A"] != 3 {
		t.Errorf("deleted order %+v, stock %v", o, m.stock)
	}
	st := StatusConfirmed
	if _, err := s.Update(ctx, owner, "u", paid.ID, UpdateInput{Status: &st}); commerce.KindOf(err) != commerce.EForbidden {
		t.Errorf("owner changes the status: %v", err)
	}
	addr := paid.ShippingAddress
	addr.Line1 = "2 Main"
	if o, err := s.Update(ctx, owner, "u", paid.ID, UpdateInput{ShippingAddress: &addr}); err != nil || o.ShippingAddress.Line1 != "2 Main" {
		t.Errorf("owner changes the address of a PENDING order: %v", err)
	}
	addr.Country = "US"
	if _, err := s.Update(ctx, Viewer{Staff: true}, "u", paid.ID, UpdateInput{ShippingAddress: &addr}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("another country: %v", err)
	}
}

func TestInvoiceNumbersPerYear(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	a, b, c := testOrder(), testOrder(), testOrder()
	c.Status = StatusCancelled
	m := newMem(a, b, c)
	s := NewService(m, fixedClock{&now})
	o, issued, err := s.IssueInvoice(ctx, "staff", a.ID)
	if err != nil || !issued || o.Invoice.Number != "INV-2026-000001" {
		t.Fatalf("%v %v %+v", err, issued, o.Invoice)
	}
	if o2, issued, _ := s.IssueInvoice(ctx, "staff", a.ID); issued || o2.Invoice.Number != o.Invoice.Number {
		t.Errorf("issued twice")
	}
	now = now.Add(2 * time.Hour)
	if o, _, _ := s.IssueInvoice(ctx, "staff", b.ID); o.Invoice.Number != "INV-2027-000001" {
		t.Errorf("new year: %s", o.Invoice.Number)
	}
	if _, _, err := s.IssueInvoice(ctx, "staff", c.ID); commerce.KindOf(err) != commerce.EConflict {
		t.Errorf("cancelled order: %v", err)
	}
}
