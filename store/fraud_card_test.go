package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/fraud"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// cardShop is a shop paying through a fake Stripe gateway, with the fraud rules given to
// both the checkout's screening step and the store (Fraud.SetRules), as the app does.
type cardShop struct {
	*shop
	svc     *payments.Service
	fraud   *Fraud
	variant string
}

func newCardShop(t *testing.T, rules fraud.Rules) *cardShop {
	s := &cardShop{shop: newShop(t, openMem(t, vfs.NewMem()))}
	s.svc = s.withPayments(t, checkout.Config{Screen: checkout.ScreenConfig{Rules: rules}}, &cancelGateway{})
	s.fraud = NewFraud(s.db)
	if rules.Enabled {
		s.fraud.SetRules(rules)
	}
	s.variant = s.product(t, 100)[0]
	return s
}

// payByCard places an order of qty units paid through the gateway and captures it with a
// notification naming the card's fingerprint ("" for none); it returns the order after.
func (s *cardShop) payByCard(t *testing.T, qty int64, fingerprint string) orders.Order {
	t.Helper()
	ctx := context.Background()
	in := input(s.cartWith(t, "u1", map[string]int64{s.variant: qty}))
	in.PaymentMethod = "stripe"
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: "u1", Actor: "user:u1"}, in, checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: res.Order.ID, Payer: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	n := payments.Notification{Provider: "stripe", EventID: "evt-" + p.ID, ExternalID: p.ExternalID, Kind: payments.NotifyCaptured, Amount: p.Amount,
		Gateway: map[string]string{"charge_id": "ch-" + p.ID}}
	if fingerprint != "" {
		n.Gateway["card_fingerprint"] = fingerprint
	}
	for range 2 { // the gateway's retry is applied once: counted once
		if got, err := s.svc.Notify(ctx, n); err != nil || got.Status != payments.StatusCaptured {
			t.Fatalf("capture: %+v %v", got, err)
		}
	}
	o, err := s.store.Order(ctx, res.Order.ID)
	if err != nil || o.PaymentStatus != orders.PaymentPaid || o.Status != orders.StatusConfirmed {
		t.Fatalf("order after the capture: %+v %v", o, err)
	}
	return o
}

func (s *cardShop) held(t *testing.T) []string {
	t.Helper()
	l, err := s.fraud.Held(context.Background(), commerce.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range l.Items {
		ids = append(ids, o.ID)
	}
	return ids
}

// TestFraudGatewayCardVelocity: with max_orders_per_card = 2 the third order paid by one gateway
// card in the window is held for review when its payment is captured (Review pending,
// on the review queue), the first two and another card's are not; an order held at
// checkout already keeps one hold with the rule added to its reasons; a capture without a
// fingerprint counts nothing.
func TestFraudGatewayCardVelocity(t *testing.T) {
	rules := fraud.Rules{Enabled: true, Window: time.Hour, MaxOrdersPerCard: 2, MaxOrderAmount: map[string]int64{"USD": 1500}}
	s := newCardShop(t, rules)
	first := s.payByCard(t, 1, "fp_A")
	second := s.payByCard(t, 1, "fp_A")
	other := s.payByCard(t, 1, "fp_B")
	none := s.payByCard(t, 1, "")
	for _, o := range []orders.Order{first, second, other, none} {
		if o.Review != nil {
			t.Fatalf("order %d held: %+v", o.Number, o.Review)
		}
	}
	if h := s.held(t); len(h) != 0 {
		t.Fatalf("held %v", h)
	}
	third := s.payByCard(t, 1, "fp_A")
	if third.Review == nil || third.Review.Status != orders.ReviewPending || !slices.Equal(third.Review.Reasons, []string{fraud.RuleOrdersPerCard}) {
		t.Fatalf("third order by the card: review %+v", third.Review)
	}
	if h := s.held(t); !slices.Equal(h, []string{third.ID}) {
		t.Fatalf("held %v, want the third order %s", h, third.ID)
	}
	// Held until staff approve: it cannot start fulfilment.
	if _, err := s.orders.SetStatus(context.Background(), "user:staff", third.ID, orders.StatusInput{Status: orders.StatusProcessing}); commerce.AsError(err) == nil || commerce.AsError(err).Code != "order_under_review" {
		t.Fatalf("processing a held order: %v", err)
	}

	// An order held at checkout (over max_order_amount) paid by the same card: one hold,
	// both reasons.
	big := s.payByCard(t, 2, "fp_A")
	if big.Review == nil || big.Review.Status != orders.ReviewPending || !slices.Equal(big.Review.Reasons, []string{fraud.RuleOrderAmount, fraud.RuleOrdersPerCard}) {
		t.Fatalf("order held at checkout: review %+v", big.Review)
	}
	if h := s.held(t); len(h) != 2 || !slices.Contains(h, big.ID) {
		t.Fatalf("held %v", h)
	}
	if n := len(rowsUnder(t, s.db, prefixFraudVelocity)); n != 2 {
		t.Fatalf("%d velocity rows, want one per card", n)
	}
}

// TestFraudGatewayCardVelocityOff: without rules (or with the card rule off) a capture with a
// fingerprint counts and holds nothing.
func TestFraudGatewayCardVelocityOff(t *testing.T) {
	for _, rules := range []fraud.Rules{{}, {Enabled: true, Window: time.Hour, MaxOrdersPerAccount: 100}} {
		s := newCardShop(t, rules)
		for range 3 {
			if o := s.payByCard(t, 1, "fp_A"); o.Review != nil {
				t.Fatalf("held with rules %+v: %+v", rules, o.Review)
			}
		}
		if n := len(rowsUnder(t, s.db, string(Key(prefixFraudVelocity, fraud.RuleOrdersPerCard, "")))); n != 0 {
			t.Fatalf("%d card velocity rows with rules %+v", n, rules)
		}
	}
}
