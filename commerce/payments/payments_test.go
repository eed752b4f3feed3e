package payments_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// memState is everything the in-memory store holds; Update works on a copy and keeps it
// only when fn succeeds, like the real store.
type memState struct {
	payments map[string]payments.Payment
	external map[string]string
	notified map[string]string
	orders   map[string]payments.OrderRef
	balance  map[string]int64 // "user:<id>" or "card:<code>"
	events   []commerce.Event
	recorded []string // order payment statuses recorded, in order
	due      map[payments.DueRefund]bool
}

func (s memState) clone() memState {
	return memState{payments: maps.Clone(s.payments), external: maps.Clone(s.external), notified: maps.Clone(s.notified),
		orders: maps.Clone(s.orders), balance: maps.Clone(s.balance), events: slices.Clone(s.events), recorded: slices.Clone(s.recorded), due: maps.Clone(s.due)}
}

type memStore struct{ st memState }

func newMem() *memStore {
	return &memStore{st: memState{payments: map[string]payments.Payment{}, external: map[string]string{}, notified: map[string]string{},
		orders: map[string]payments.OrderRef{}, balance: map[string]int64{}, due: map[payments.DueRefund]bool{}}}
}

func (m *memStore) Payment(_ context.Context, id string) (payments.Payment, error) {
	p, ok := m.st.payments[id]
	if !ok {
		return p, payments.ErrNotFound
	}
	return p, nil
}

func (m *memStore) OrderPayments(_ context.Context, orderID string) ([]payments.Payment, error) {
	var out []payments.Payment
	for _, p := range m.st.payments {
		if p.OrderID == orderID {
			out = append(out, p)
		}
	}
	return out, nil
}

func (t *memTx) SetDueRefund(d payments.DueRefund, due bool) error {
	if due {
		t.st.due[d] = true
	} else {
		delete(t.st.due, d)
	}
	return nil
}

func (m *memStore) DueRefunds(_ context.Context, paymentID string) ([]payments.DueRefund, error) {
	var out []payments.DueRefund
	for d := range maps.Keys(m.st.due) {
		if paymentID == "" || d.PaymentID == paymentID {
			out = append(out, d)
		}
	}
	return out, nil
}

func (m *memStore) Update(_ context.Context, fn func(payments.Tx) error) error {
	tx := &memTx{st: m.st.clone()}
	if err := fn(tx); err != nil {
		return err
	}
	m.st = tx.st
	return nil
}

type memTx struct{ st memState }

func srcKey(s payments.Source) string {
	if s.UserID != "" {
		return "user:" + s.UserID
	}
	return "card:" + s.GiftCardCode
}

func (t *memTx) Spend(src payments.Source, amount commerce.Money, _ string) error {
	k := srcKey(src)
	b, ok := t.st.balance[k]
	if !ok {
		return &commerce.Error{Kind: commerce.ENotFound, Code: "gift_card_not_found"}
	}
	if b < amount.Amount {
		return &commerce.Error{Kind: commerce.EConflict, Code: "insufficient_funds"}
	}
	t.st.balance[k] = b - amount.Amount
	return nil
}

func (t *memTx) Credit(dst payments.Source, amount commerce.Money, _ string) error {
	t.st.balance[srcKey(dst)] += amount.Amount
	return nil
}

func (t *memTx) Payment(id string) (payments.Payment, error) {
	p, ok := t.st.payments[id]
	if !ok {
		return p, payments.ErrNotFound
	}
	return p, nil
}

func (t *memTx) PaymentByExternal(method, ext string) (payments.Payment, error) {
	id, ok := t.st.external[method+"/"+ext]
	if !ok {
		return payments.Payment{}, payments.ErrNotFound
	}
	return t.Payment(id)
}

func (t *memTx) PutPayment(p payments.Payment, prev *payments.Payment) error {
	t.st.payments[p.ID] = p
	if p.ExternalID != "" {
		t.st.external[p.Method+"/"+p.ExternalID] = p.ID
	}
	return nil
}

func (t *memTx) Order(id string) (payments.OrderRef, error) {
	o, ok := t.st.orders[id]
	if !ok {
		return o, &commerce.Error{Kind: commerce.ENotFound, Code: "order_not_found"}
	}
	return o, nil
}

func (t *memTx) RecordOrderPayment(orderID, paymentID, status string, _ time.Time, _ string) error {
	o := t.st.orders[orderID]
	o.PaymentID, o.PaymentStatus = paymentID, status
	t.st.orders[orderID] = o
	t.st.recorded = append(t.st.recorded, status)
	return nil
}

func (t *memTx) Notified(provider, eventID string) (string, bool, error) {
	id, ok := t.st.notified[provider+"/"+eventID]
	return id, ok, nil
}

func (t *memTx) PutNotified(provider, eventID, paymentID string) error {
	t.st.notified[provider+"/"+eventID] = paymentID
	return nil
}

func (t *memTx) Emit(ev commerce.Event) { t.st.events = append(t.st.events, ev) }

// fakeGateway is a gateway that answers an action and records refunds.
type fakeGateway struct {
	id      string
	starts  int
	refunds []commerce.Money
	pending bool
	fail    error
}

func (g *fakeGateway) Method() payments.Method {
	return payments.Method{ID: g.id, Name: "Fake", Currencies: []string{"USD"}}
}

func (g *fakeGateway) Start(_ context.Context, p payments.Payment, _ payments.StartInput) (payments.Action, error) {
	g.starts++
	return payments.Action{ExternalID: "ext-" + p.ID, RedirectURL: "https://pay.example/" + p.ID}, nil
}

func (g *fakeGateway) Refund(_ context.Context, _ payments.Payment, amount commerce.Money, refundID string) (payments.RefundResult, error) {
	if g.fail != nil {
		return payments.RefundResult{}, g.fail
	}
	g.refunds = append(g.refunds, amount)
	return payments.RefundResult{ExternalID: "re-" + refundID, Pending: g.pending}, nil
}

type fixture struct {
	mem *memStore
	gw  *fakeGateway
	svc *payments.Service
}

func usd(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{mem: newMem(), gw: &fakeGateway{id: "stripe"}}
	var err error
	f.svc, err = payments.New(payments.Config{Store: f.mem, Gateways: []payments.Gateway{f.gw}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// order adds an unpaid order of user (guest for "") paying method.
func (f *fixture) order(user, method string, total int64) payments.OrderRef {
	o := payments.OrderRef{ID: commerce.NewID(), Number: int64(len(f.mem.st.orders) + 1), UserID: user, Total: usd(total),
		PaymentMethod: method, PaymentStatus: payments.OrderUnpaid}
	f.mem.st.orders[o.ID] = o
	return o
}

func code(err error) string {
	if e := commerce.AsError(err); e != nil {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestTransitions(t *testing.T) {
	scenarios := []struct {
		from, to string
		ok       bool
	}{
		{payments.StatusPending, payments.StatusCaptured, true},
		{payments.StatusPending, payments.StatusAuthorized, true},
		{payments.StatusAuthorized, payments.StatusCaptured, true},
		{payments.StatusPending, payments.StatusFailed, true},
		{payments.StatusAuthorized, payments.StatusCancelled, true},
		{payments.StatusCaptured, payments.StatusPartiallyRefunded, true},
		{payments.StatusCaptured, payments.StatusRefunded, true},
		{payments.StatusPartiallyRefunded, payments.StatusRefunded, true},
		{payments.StatusCaptured, payments.StatusCancelled, false},
		{payments.StatusCaptured, payments.StatusPending, false},
		{payments.StatusRefunded, payments.StatusCaptured, false},
		{payments.StatusFailed, payments.StatusCaptured, false},
		{payments.StatusCancelled, payments.StatusCaptured, false},
		{payments.StatusPending, payments.StatusRefunded, false},
	}
	for _, s := range scenarios {
		if got := payments.CanTransition(s.from, s.to); got != s.ok {
			t.Errorf("%s → %s: %v, want %v", s.from, s.to, got, s.ok)
		}
	}
}

func TestMethods(t *testing.T) {
	f := newFixture(t)
	ids := func(ms []payments.Method) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	if got := ids(f.svc.Methods("")); !slices.Equal(got, []string{"cash", "manual", "wallet", "gift_card", "stripe"}) {
		t.Errorf("Methods = %v", got)
	}
	if got := ids(f.svc.Methods("UZS")); slices.Contains(got, "stripe") {
		t.Errorf("Methods(UZS) = %v: the gateway takes USD only", got)
	}
	for id, want := range map[string]payments.Kind{"cash": payments.KindOffline, "manual": payments.KindOffline, "wallet": payments.KindStored,
		"gift_card": payments.KindStored, "stripe": payments.KindGateway} {
		if k, ok := f.svc.MethodKind(id); !ok || k != want {
			t.Errorf("MethodKind(%s) = %v %v, want %v", id, k, ok, want)
		}
	}
	if _, ok := f.svc.MethodKind("payme"); ok {
		t.Error("an unconfigured gateway is enabled")
	}
	only, err := payments.New(payments.Config{Methods: []string{"cash"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(only.Methods("USD")); !slices.Equal(got, []string{"cash"}) {
		t.Errorf("configured methods = %v", got)
	}
	if _, err := payments.New(payments.Config{Methods: []string{"barter"}}); err == nil {
		t.Error("an unknown method is accepted")
	}
	if err := f.svc.Register(&fakeGateway{id: "stripe"}); err == nil {
		t.Error("a gateway registered twice")
	}
}

func TestProcessGatewayRetrySafe(t *testing.T) {
	f := newFixture(t)
	o := f.order("u1", "stripe", 1500)
	p, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID, ReturnURL: "https://shop.example/ok"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payments.StatusPending || p.Action == nil || p.Action.RedirectURL == "" || p.ExternalID != "ext-"+p.ID {
		t.Fatalf("payment = %+v", p)
	}
	again, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID})
	if err != nil || again.ID != p.ID || f.gw.starts != 1 {
		t.Fatalf("retry: %v %s (starts %d), want the same payment started once", err, again.ID, f.gw.starts)
	}
	if f.mem.st.orders[o.ID].PaymentID != p.ID {
		t.Error("the order does not name its payment")
	}
	// Another method cancels the open payment.
	cash, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID, Method: "cash"})
	if err != nil || cash.ID == p.ID || cash.Status != payments.StatusPending {
		t.Fatalf("switch to cash: %v %+v", err, cash)
	}
	if st := f.mem.st.payments[p.ID].Status; st != payments.StatusCancelled {
		t.Errorf("the stripe payment is %s, want cancelled", st)
	}
	_, err = f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID, Method: "bitcoin"})
	if code(err) != "invalid" && commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("an unknown method: %v", err)
	}
}

func TestProcessStoredValue(t *testing.T) {
	f := newFixture(t)
	f.mem.st.balance["user:u1"] = 1000
	o := f.order("u1", "cash", 1500)
	_, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID, Method: "wallet", Payer: "u1"})
	if code(err) != "insufficient_funds" {
		t.Fatalf("short wallet: %v", err)
	}
	if len(f.mem.st.payments) != 0 || f.mem.st.balance["user:u1"] != 1000 {
		t.Fatal("a refused payment changed something")
	}
	f.mem.st.balance["user:u1"] = 2000
	if _, err := f.svc.Process(context.Background(), "user:u2", payments.ProcessInput{OrderID: o.ID, Method: "wallet", Payer: "u2"}); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("someone else's wallet: %v", err)
	}
	p, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID, Method: "wallet", Payer: "u1"})
	if err != nil || p.Status != payments.StatusCaptured || f.mem.st.balance["user:u1"] != 500 {
		t.Fatalf("wallet: %v %+v balance %d", err, p, f.mem.st.balance["user:u1"])
	}
	if f.mem.st.orders[o.ID].PaymentStatus != payments.OrderPaid {
		t.Error("the order is not paid")
	}
	if _, err := f.svc.Process(context.Background(), "user:u1", payments.ProcessInput{OrderID: o.ID}); code(err) != "order_paid" {
		t.Errorf("paying a paid order: %v", err)
	}
	// Refund to the original method goes back to the wallet.
	if _, err := f.svc.Refund(context.Background(), "user:admin", p.ID, payments.RefundInput{Amount: usd(500)}); err != nil {
		t.Fatal(err)
	}
	if f.mem.st.balance["user:u1"] != 1000 {
		t.Errorf("wallet after refund = %d, want 1000", f.mem.st.balance["user:u1"])
	}
}

// captured returns a captured stripe payment of a new order of user.
func (f *fixture) captured(t *testing.T, user string, total int64) payments.Payment {
	t.Helper()
	o := f.order(user, "stripe", total)
	p, err := f.svc.Process(context.Background(), "user:"+user, payments.ProcessInput{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	p, err = f.svc.Notify(context.Background(), payments.Notification{Provider: "stripe", EventID: "cap-" + p.ID, PaymentID: p.ID, Kind: payments.NotifyCaptured, Amount: usd(total)})
	if err != nil || p.Status != payments.StatusCaptured {
		t.Fatalf("capture: %v %+v", err, p)
	}
	return p
}

func TestNotify(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	o := f.order("u1", "stripe", 2000)
	p, err := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := payments.Notification{Provider: "stripe", EventID: "evt1", ExternalID: p.ExternalID, Kind: payments.NotifyCaptured, Amount: usd(2000)}

	bad := n
	bad.Amount = usd(1999)
	before := f.mem.st.clone()
	if _, err := f.svc.Notify(ctx, bad); code(err) != "amount_mismatch" {
		t.Fatalf("amount mismatch: %v", err)
	}
	if len(f.mem.st.notified) != len(before.notified) || f.mem.st.payments[p.ID].Status != payments.StatusPending || len(f.mem.st.events) != len(before.events) {
		t.Fatal("a mismatched notification changed something")
	}
	unknown := n
	unknown.ExternalID, unknown.EventID = "nope", "evt-x"
	if _, err := f.svc.Notify(ctx, unknown); code(err) != "payment_not_found" {
		t.Fatalf("unknown payment: %v", err)
	}
	other := n
	other.Provider = "click"
	other.PaymentID = p.ID
	if _, err := f.svc.Notify(ctx, other); code(err) != "payment_not_found" {
		t.Fatalf("another gateway's notification: %v", err)
	}

	got, err := f.svc.Notify(ctx, n)
	if err != nil || got.Status != payments.StatusCaptured || got.Captured != usd(2000) {
		t.Fatalf("captured: %v %+v", err, got)
	}
	if f.mem.st.orders[o.ID].PaymentStatus != payments.OrderPaid {
		t.Fatal("the order is not paid")
	}
	events := len(f.mem.st.events)
	dup, err := f.svc.Notify(ctx, n)
	if err != nil || dup.Version != got.Version || len(f.mem.st.events) != events {
		t.Fatalf("duplicate: %v version %d→%d events %d→%d", err, got.Version, dup.Version, events, len(f.mem.st.events))
	}
	again := n
	again.EventID = "evt2"
	if re, err := f.svc.Notify(ctx, again); err != nil || re.Version != got.Version || re.Captured != got.Captured {
		t.Fatalf("captured again: %v %+v", err, re)
	}
	failed := n
	failed.EventID, failed.Kind = "evt3", payments.NotifyFailed
	if re, err := f.svc.Notify(ctx, failed); err != nil || re.Status != payments.StatusCaptured {
		t.Fatalf("failed after capture: %v %+v", err, re)
	}

	// Refunds the gateway tells of.
	r1 := payments.Notification{Provider: "stripe", EventID: "re1", PaymentID: p.ID, Kind: payments.NotifyRefunded, Amount: usd(500), Gateway: map[string]string{"refund_id": "re_1"}}
	got, err = f.svc.Notify(ctx, r1)
	if err != nil || got.Status != payments.StatusPartiallyRefunded || got.Refunded != usd(500) {
		t.Fatalf("partial refund: %v %+v", err, got)
	}
	tooMuch := r1
	tooMuch.EventID, tooMuch.Amount, tooMuch.Gateway = "re2", usd(1501), nil
	if _, err := f.svc.Notify(ctx, tooMuch); code(err) != "amount_mismatch" {
		t.Fatalf("refund above what is left: %v", err)
	}
	cancel := r1
	cancel.EventID, cancel.Kind, cancel.Amount, cancel.Gateway = "c1", payments.NotifyCancelled, commerce.Money{}, nil
	got, err = f.svc.Notify(ctx, cancel)
	if err != nil || got.Status != payments.StatusRefunded || got.Refunded != usd(2000) {
		t.Fatalf("cancel after capture: %v %+v", err, got)
	}
	if st := f.mem.st.orders[o.ID].PaymentStatus; st != payments.OrderRefunded {
		t.Errorf("order payment status %s", st)
	}
	cancel.EventID = "c2"
	if re, err := f.svc.Notify(ctx, cancel); err != nil || re.Version != got.Version {
		t.Fatalf("cancel after refund: %v %+v", err, re)
	}

	// A failed open payment leaves the order unpaid; a new process starts another payment.
	o2 := f.order("u1", "stripe", 700)
	p2, _ := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o2.ID})
	fail := payments.Notification{Provider: "stripe", EventID: "f1", PaymentID: p2.ID, Kind: payments.NotifyFailed}
	if got, err := f.svc.Notify(ctx, fail); err != nil || got.Status != payments.StatusFailed {
		t.Fatalf("failed: %v %+v", err, got)
	}
	if st := f.mem.st.orders[o2.ID].PaymentStatus; st != payments.OrderUnpaid {
		t.Errorf("order payment status after failure %s", st)
	}
	p3, err := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o2.ID})
	if err != nil || p3.ID == p2.ID || p3.Status != payments.StatusPending {
		t.Fatalf("retry after failure: %v %+v", err, p3)
	}
}

func TestRefund(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := f.captured(t, "u1", 3000)

	scenarios := []struct {
		name string
		in   payments.RefundInput
		code string
	}{
		{"zero", payments.RefundInput{Amount: usd(0)}, "invalid"},
		{"larger than paid", payments.RefundInput{Amount: usd(3001)}, "refund_too_large"},
		{"other currency", payments.RefundInput{Amount: commerce.Money{Amount: 100, Currency: "EUR"}}, "invalid"},
		{"bad destination", payments.RefundInput{Amount: usd(100), To: "cash"}, "invalid"},
	}
	for _, s := range scenarios {
		before := f.mem.st.clone()
		_, err := f.svc.Refund(ctx, "user:admin", p.ID, s.in)
		if c := code(err); c != s.code && !(s.code == "invalid" && commerce.KindOf(err) == commerce.EInvalid) {
			t.Errorf("%s: %v, want %s", s.name, err, s.code)
		}
		if len(f.gw.refunds) != 0 || f.mem.st.payments[p.ID].Version != before.payments[p.ID].Version {
			t.Errorf("%s: a refused refund changed something", s.name)
		}
	}
	if _, err := f.svc.Refund(ctx, "user:admin", commerce.NewID(), payments.RefundInput{Amount: usd(1)}); code(err) != "payment_not_found" {
		t.Errorf("unknown payment: %v", err)
	}

	got, err := f.svc.Refund(ctx, "user:admin", p.ID, payments.RefundInput{Amount: usd(1000), Reason: "damaged", ReturnID: "rma1"})
	if err != nil || got.Status != payments.StatusPartiallyRefunded || got.Refunded != usd(1000) || len(f.gw.refunds) != 1 {
		t.Fatalf("partial: %v %+v", err, got)
	}
	again, err := f.svc.Refund(ctx, "user:admin", p.ID, payments.RefundInput{Amount: usd(1000), ReturnID: "rma1"})
	if err != nil || again.Refunded != usd(1000) || len(f.gw.refunds) != 1 {
		t.Fatalf("same return twice: %v %+v (gateway refunds %d)", err, again, len(f.gw.refunds))
	}
	// Store credit to the owner's wallet, then the rest pending at the gateway.
	got, err = f.svc.Refund(ctx, "user:admin", p.ID, payments.RefundInput{Amount: usd(500), To: "store_credit"})
	if err != nil || f.mem.st.balance["user:u1"] != 500 || len(f.gw.refunds) != 1 {
		t.Fatalf("store credit: %v balance %d", err, f.mem.st.balance["user:u1"])
	}
	f.gw.pending = true
	got, err = f.svc.Refund(ctx, "user:admin", p.ID, payments.RefundInput{Amount: usd(1500)})
	if err != nil || got.Status != payments.StatusRefunded || got.Refunds[len(got.Refunds)-1].Status != payments.RefundPending {
		t.Fatalf("full (pending): %v %+v", err, got)
	}
	if st := f.mem.st.orders[p.OrderID].PaymentStatus; st != payments.OrderRefunded {
		t.Errorf("order payment status %s", st)
	}
	if _, err := f.svc.Refund(ctx, "user:admin", p.ID, payments.RefundInput{Amount: usd(1)}); code(err) != "refund_too_large" {
		t.Errorf("refund after full refund: %v", err)
	}
	// The gateway's confirmation settles the pending refund without counting it twice.
	last := got.Refunds[len(got.Refunds)-1]
	conf, err := f.svc.Notify(ctx, payments.Notification{Provider: "stripe", EventID: "re-conf", PaymentID: p.ID, Kind: payments.NotifyRefunded,
		Amount: usd(1500), Gateway: map[string]string{"refund_id": last.ExternalID}})
	if err != nil || conf.Refunded != usd(3000) || conf.Refunds[len(conf.Refunds)-1].Status != payments.RefundSucceeded {
		t.Fatalf("confirmation: %v %+v", err, conf)
	}

	// A guest order cannot get store credit; a gateway refusal records nothing.
	g := f.captured(t, "", 800)
	if _, err := f.svc.Refund(ctx, "user:admin", g.ID, payments.RefundInput{Amount: usd(100), To: "store_credit"}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("store credit for a guest: %v", err)
	}
	f.gw.fail = errors.New("gateway down")
	if _, err := f.svc.Refund(ctx, "user:admin", g.ID, payments.RefundInput{Amount: usd(100)}); err == nil {
		t.Error("a failed gateway refund succeeded")
	}
	if r := f.mem.st.payments[g.ID]; r.Refunded.Amount != 0 || len(r.Refunds) != 0 {
		t.Errorf("a failed gateway refund was recorded: %+v", r)
	}
}

func TestCapture(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	o := f.order("u1", "cash", 900)
	p, err := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Capture(ctx, "user:admin", p.ID)
	if err != nil || got.Status != payments.StatusCaptured || got.Captured != usd(900) {
		t.Fatalf("capture: %v %+v", err, got)
	}
	if f.mem.st.orders[o.ID].PaymentStatus != payments.OrderPaid {
		t.Error("the order is not paid")
	}
	if again, err := f.svc.Capture(ctx, "user:admin", p.ID); err != nil || again.Version != got.Version {
		t.Errorf("capture again: %v", err)
	}
	s := f.captured(t, "u1", 100)
	if _, err := f.svc.Capture(ctx, "user:admin", s.ID); code(err) != "capture_not_supported" {
		t.Errorf("capture of a gateway payment: %v", err)
	}
	closed := f.order("u1", "cash", 100)
	cp, _ := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: closed.ID})
	c := f.mem.st.orders[closed.ID]
	c.Closed = true
	f.mem.st.orders[closed.ID] = c
	if _, err := f.svc.Capture(ctx, "user:admin", cp.ID); code(err) != "order_closed" {
		t.Errorf("capture for a cancelled order: %v", err)
	}
}
