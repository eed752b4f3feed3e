package store

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

func TestPaymentRecordKeepsItsSource(t *testing.T) {
	db := openMem(t, vfs.NewMem())
	p := payments.Payment{ID: commerce.NewID(), OrderID: commerce.NewID(), Method: "gift_card", Status: payments.StatusCaptured,
		ExternalID: "ext-1", Source: &payments.Source{GiftCardCode: "GC-123"}, Amount: commerce.Money{Amount: 5, Currency: "USD"}}
	must(t, db.Update(context.Background(), func(tx *Tx) error { return putPayment(tx, p, nil) }))
	got, err := NewPayments(db).Payment(context.Background(), p.ID)
	if err != nil || got.Source == nil || got.Source.GiftCardCode != "GC-123" {
		t.Fatalf("payment %+v %v", got, err)
	}
	must(t, db.Update(context.Background(), func(tx *Tx) error {
		q, err := paymentTx{ledgerTx{tx}}.PaymentByExternal("gift_card", "ext-1")
		if err != nil || q.ID != p.ID {
			t.Errorf("by external: %v %v", q.ID, err)
		}
		return nil
	}))
	list, err := NewPayments(db).OrderPayments(context.Background(), p.OrderID)
	if err != nil || len(list) != 1 || list[0].ID != p.ID {
		t.Errorf("order payments %+v %v", list, err)
	}
}

// withPayments makes the shop's checkout take payments through a payments service on its
// store with the gateways given (cfg's other steps as they are) and returns the service.
func (s *shop) withPayments(t testing.TB, cfg checkout.Config, gateways ...payments.Gateway) *payments.Service {
	t.Helper()
	svc, err := payments.New(payments.Config{Store: NewPayments(s.db), Gateways: gateways})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pay.Payments = svc
	s.checkout = checkout.NewService(NewCheckout(s.db), nil, nil, cfg)
	return svc
}

func TestCashCheckoutThenCaptureAndNotify(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	svc := s.withPayments(t, checkout.Config{})
	v := s.product(t, 10)
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1", Actor: "user:u1"}, input(s.cartWith(t, "u1", map[string]int64{v[0]: 2})), checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Order
	if o.PaymentStatus != orders.PaymentUnpaid || o.PaymentID == "" || countKeys(t, s.db, prefixPaymentByOrder) != 1 {
		t.Fatalf("order payment %q %q", o.PaymentStatus, o.PaymentID)
	}
	p, err := svc.Get(ctx, o.PaymentID)
	if err != nil || p.Status != payments.StatusPending || p.Method != "cash" || p.Amount != o.Total || p.OrderNumber != o.Number {
		t.Fatalf("payment %+v %v", p, err)
	}

	// A notification for a cash payment is not the gateway's to send: not found, nothing kept.
	if _, err := svc.Notify(ctx, payments.Notification{Provider: "stripe", EventID: "e1", PaymentID: p.ID, Kind: payments.NotifyCaptured, Amount: p.Amount}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "payment_not_found" {
		t.Errorf("foreign notification: %v", err)
	}
	if n := countKeys(t, s.db, prefixPaymentNotified); n != 0 {
		t.Errorf("%d notification rows after a refused notification", n)
	}

	seq := s.db.LastSeq()
	p, err = svc.Capture(ctx, "user:staff", p.ID)
	if err != nil || p.Status != payments.StatusCaptured {
		t.Fatalf("capture: %+v %v", p, err)
	}
	got, err := s.store.Order(ctx, o.ID)
	if err != nil || got.Status != orders.StatusConfirmed || got.PaymentStatus != orders.PaymentPaid || got.Version != o.Version+1 {
		t.Fatalf("order after capture: %s %s v%d %v", got.Status, got.PaymentStatus, got.Version, err)
	}
	evs, err := s.db.Outbox(ctx, seq, 10)
	types := map[string]int{}
	for _, ev := range evs {
		types[ev.Type]++
	}
	if err != nil || types[payments.EventCaptured] != 1 || types[orders.EventStatusChanged] != 1 {
		t.Errorf("events %v %v", types, err)
	}
	if list, _ := s.store.ListOrders(ctx, orders.Filter{Status: orders.StatusConfirmed}, commerce.Page{}); len(list.Items) != 1 {
		t.Errorf("the status index does not list the confirmed order")
	}
}
