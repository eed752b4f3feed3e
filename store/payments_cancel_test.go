package store

import (
	"context"
	"maps"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// cancelGateway is a gateway whose refunds fail while fail is set.
type cancelGateway struct {
	fail    error
	refunds []string
}

func (g *cancelGateway) Method() payments.Method { return payments.Method{ID: "stripe", Name: "Fake"} }
func (g *cancelGateway) Start(_ context.Context, p payments.Payment, _ payments.StartInput) (payments.Action, error) {
	return payments.Action{ExternalID: "pi-" + p.ID, ClientSecret: "secret"}, nil
}
func (g *cancelGateway) Refund(_ context.Context, _ payments.Payment, _ commerce.Money, refundID string) (payments.RefundResult, error) {
	if g.fail != nil {
		return payments.RefundResult{}, g.fail
	}
	g.refunds = append(g.refunds, refundID)
	return payments.RefundResult{ExternalID: "re-" + refundID}, nil
}

// rowsUnder is every key and value under prefix.
func rowsUnder(t testing.TB, db *DB, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(context.Background(), func(r *Reader) error {
		return r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(k, v []byte) error { out[string(k)] = string(v); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// paymentEventTypes counts the event types emitted after seq.
func paymentEventTypes(t testing.TB, db *DB, seq uint64) map[string]int {
	t.Helper()
	evs, err := db.Outbox(context.Background(), seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, ev := range evs {
		types[ev.Type]++
	}
	return types
}

// TestCancellingAnOrderCancelsItsPayments: every way an order is cancelled (staff status
// change, draft deletion, fraud rejection is the same change.cancel) cancels its open
// payment in the same update; a cancelled cash payment can no longer be captured.
func TestCancellingAnOrderCancelsItsPayments(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name   string
		cancel func(s *shop, o orders.Order) error
	}{
		{"status CANCELLED", func(s *shop, o orders.Order) error {
			_, err := s.orders.SetStatus(ctx, "user:staff", o.ID, orders.StatusInput{Status: orders.StatusCancelled, Note: "no stock"})
			return err
		}},
		{"draft deleted", func(s *shop, o orders.Order) error {
			return s.orders.Delete(ctx, orders.Viewer{Staff: true}, "user:staff", o.ID)
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newShop(t, openMem(t, vfs.NewMem()))
			svc := s.withPayments(t, checkout.Config{})
			v := s.product(t, 10)
			res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1", Actor: "user:u1"}, input(s.cartWith(t, "u1", map[string]int64{v[0]: 2})), checkout.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			o := res.Order
			seq := s.db.LastSeq()
			if err := sc.cancel(s, o); err != nil {
				t.Fatal(err)
			}
			p, err := svc.Get(ctx, o.PaymentID)
			if err != nil || p.Status != payments.StatusCancelled || p.Version != 2 {
				t.Fatalf("payment after the cancellation: %+v %v", p, err)
			}
			if types := paymentEventTypes(t, s.db, seq); types[payments.EventCancelled] != 1 || types[orders.EventCancelled] != 1 {
				t.Fatalf("events %v", types)
			}
			before := rowsUnder(t, s.db, "payments/")
			seq = s.db.LastSeq()
			if _, err := svc.Capture(ctx, "user:staff", p.ID); commerce.KindOf(err) != commerce.EConflict {
				t.Fatalf("capturing a cancelled order's cash: %v", err)
			}
			if !maps.Equal(before, rowsUnder(t, s.db, "payments/")) || s.db.LastSeq() != seq {
				t.Fatal("a refused capture changed something")
			}
		})
	}
}

// TestLateGatewayCaptureOfACancelledOrder: the money a gateway captures after the order
// was cancelled is recorded on the order (which stays CANCELLED, no stock taken) and
// refunded; while the gateway is down the refund stays due and the retry settles it.
func TestLateGatewayCaptureOfACancelledOrder(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	gw := &cancelGateway{}
	svc := s.withPayments(t, checkout.Config{}, gw)
	v := s.product(t, 10)
	in := input(s.cartWith(t, "u1", map[string]int64{v[0]: 2}))
	in.PaymentMethod = "stripe"
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1", Actor: "user:u1"}, in, checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Order
	p, err := svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o.ID, Payer: "u1"})
	if err != nil || p.Action == nil {
		t.Fatalf("process: %+v %v", p, err)
	}
	if _, err := s.orders.SetStatus(ctx, "system", o.ID, orders.StatusInput{Status: orders.StatusCancelled, Note: "reservation expired"}); err != nil {
		t.Fatal(err)
	}
	if p, _ = svc.Get(ctx, p.ID); p.Status != payments.StatusCancelled || p.Action != nil {
		t.Fatalf("payment after the cancellation: %+v", p)
	}
	levels, reservations := rowsUnder(t, s.db, prefixLevel), rowsUnder(t, s.db, prefixReservation)

	gw.fail = &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable", Message: "502"}
	seq := s.db.LastSeq()
	got, err := svc.Notify(ctx, payments.Notification{Provider: "stripe", EventID: "evt-late", ExternalID: p.ExternalID, Kind: payments.NotifyCaptured, Amount: p.Amount})
	if err != nil || got.Captured != p.Amount || got.Refunded != p.Amount || len(got.Refunds) != 1 || got.Refunds[0].Status != payments.RefundPending {
		t.Fatalf("late capture: %+v %v", got, err)
	}
	cur, err := s.store.Order(ctx, o.ID)
	if err != nil || cur.Status != orders.StatusCancelled || cur.PaymentStatus != orders.PaymentRefunded || cur.PaymentID != p.ID {
		t.Fatalf("order after the late capture: %s %s %v", cur.Status, cur.PaymentStatus, err)
	}
	if !maps.Equal(levels, rowsUnder(t, s.db, prefixLevel)) || !maps.Equal(reservations, rowsUnder(t, s.db, prefixReservation)) {
		t.Fatal("the late capture moved stock")
	}
	if due := rowsUnder(t, s.db, prefixPaymentRefundDue); len(due) != 1 {
		t.Fatalf("due rows %v", due)
	}
	if types := paymentEventTypes(t, s.db, seq); types[payments.EventCaptured] != 1 || types[payments.EventRefunded] != 0 || types[orders.EventStatusChanged] != 0 {
		t.Fatalf("events %v", types)
	}

	gw.fail = nil
	seq = s.db.LastSeq()
	if n, err := svc.RetryDueRefunds(ctx); n != 1 || err != nil {
		t.Fatalf("retry: %d %v", n, err)
	}
	got, _ = svc.Get(ctx, p.ID)
	if got.Status != payments.StatusRefunded || got.Refunds[0].Status != payments.RefundSucceeded || got.Refunds[0].ExternalID == "" || len(gw.refunds) != 1 || gw.refunds[0] != payments.AutoRefundID(p.ID) {
		t.Fatalf("after the retry: %+v gateway %v", got, gw.refunds)
	}
	if due := rowsUnder(t, s.db, prefixPaymentRefundDue); len(due) != 0 {
		t.Fatalf("due rows left %v", due)
	}
	if types := paymentEventTypes(t, s.db, seq); types[payments.EventRefunded] != 1 || len(types) != 1 {
		t.Fatalf("retry events %v", types)
	}
}
