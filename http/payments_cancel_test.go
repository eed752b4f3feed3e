package http_test

import (
	"context"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/stripe/stripetest"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// cancelShop is an app with the Stripe fake and a product of 10 units.
type cancelShop struct {
	a        *apptest.App
	fake     *stripetest.Server
	variant  string
	staff    map[string]string
	customer map[string]string
}

func newCancelShop(t *testing.T, opts ...apptest.Option) *cancelShop {
	t.Helper()
	const key, whsec = "sk_test_cancel", "whsec_cancel"
	fake := stripetest.Start(t, key, whsec)
	a := apptest.New(t, append([]apptest.Option{func(c *config.Config) {
		c.Payments.Stripe = config.Stripe{Enabled: true, SecretKey: key, WebhookSecret: whsec, APIBaseURL: fake.URL,
			Timeout: config.Dur(5 * time.Second), WebhookTolerance: config.Dur(5 * time.Minute)}
	}}, opts...)...)
	fake.WebhookURL = a.BaseURL + "/api/v1/payments/webhooks/stripe"
	return &cancelShop{a: a, fake: fake, variant: seedProduct(t, a, catalog.StatusActive, "USD", 10)[0],
		staff: a.NewUser(t, auth.RoleAdmin).Bearer(), customer: a.NewUser(t, auth.RoleCustomer).Bearer()}
}

func (s *cancelShop) payment(t testing.TB, id string) paymentBody {
	t.Helper()
	r := s.a.Do(t, "GET", "/api/v1/payments/"+id, nil, s.staff)
	if r.Status != 200 {
		t.Fatalf("read payment: %d %s", r.Status, r.Body)
	}
	var p paymentBody
	r.JSON(t, &p)
	return p
}

func (s *cancelShop) order(t testing.TB, id string) expiryOrder {
	t.Helper()
	r := s.a.Do(t, "GET", "/api/v1/orders/"+id, nil, s.staff)
	if r.Status != 200 {
		t.Fatalf("read order: %d %s", r.Status, r.Body)
	}
	var o expiryOrder
	r.JSON(t, &o)
	return o
}

func (s *cancelShop) stock(t testing.TB) variantStockBody {
	t.Helper()
	return variantStock(t, s.a, s.staff, s.variant)
}

// process starts the Stripe payment of an order: our payment ID and the PaymentIntent.
func (s *cancelShop) process(t testing.TB, orderID string) (string, string) {
	t.Helper()
	r := s.a.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": orderID, "method": "stripe"}, s.customer)
	if r.Status != 200 {
		t.Fatalf("process: %d %s", r.Status, r.Body)
	}
	var p struct {
		ID         string `json:"id"`
		ExternalID string `json:"external_id"`
	}
	r.JSON(t, &p)
	return p.ID, p.ExternalID
}

func (s *cancelShop) cancel(t testing.TB, orderID string) {
	t.Helper()
	if r := s.a.Do(t, "PUT", "/api/v1/orders/"+orderID+"/status", map[string]any{"status": "CANCELLED", "note": "out of stock"}, s.staff); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
}

// eventsSince are the types of the events emitted after seq about aggregate.
func (s *cancelShop) eventsSince(t testing.TB, seq uint64, aggregate string) []string {
	t.Helper()
	var out []string
	for _, ev := range s.a.EventsAfter(t, seq, s.a.DB.LastSeq()) {
		if ev.Aggregate == aggregate {
			out = append(out, ev.Type)
		}
	}
	return out
}

// TestLateStripePaymentOfAnExpiredOrderIsRefunded: the reservation sweeper cancels an unpaid
// Stripe order and its payment with it; when the shopper pays the PaymentIntent anyway, the
// webhook is applied (200), the money is recorded on the still CANCELLED order without
// taking stock, and refunded in full at Stripe at once.
func TestLateStripePaymentOfAnExpiredOrderIsRefunded(t *testing.T) {
	const ttl = 3 * time.Second
	s := newCancelShop(t, func(c *config.Config) {
		c.Inventory.ReservationTTL = config.Dur(ttl)
		c.Inventory.SweepInterval = config.Dur(50 * time.Millisecond)
	})
	o := payOrder(t, s.a, s.variant, "stripe", s.customer)
	payID, intent := s.process(t, o.ID)
	if p := s.payment(t, payID); p.Status != payments.StatusPending || p.Action == nil || p.Action.ClientSecret == "" {
		t.Fatalf("payment before the expiry: %+v", p)
	}
	seq := s.a.DB.LastSeq()
	poll.Within(t, ttl+20*time.Second, "the sweeper to cancel the unpaid Stripe order", func() bool {
		return s.order(t, o.ID).Status == "CANCELLED"
	})
	if p := s.payment(t, payID); p.Status != payments.StatusCancelled || p.Action != nil {
		t.Fatalf("payment of the expired order: %+v", p)
	}
	// The cancelled order can be read a moment before its events are counted: wait for them.
	poll.Within(t, 10*time.Second, "payments.cancelled", func() bool {
		ev := s.eventsSince(t, seq, payID)
		return len(ev) == 1 && ev[0] == payments.EventCancelled
	})
	before := s.stock(t)
	seq = s.a.DB.LastSeq()

	if st, body, err := s.fake.Send(s.fake.Succeed(intent)); err != nil || st != 200 {
		t.Fatalf("late payment_intent.succeeded: %d %s %v", st, body, err)
	}
	p := s.payment(t, payID)
	if p.Status != payments.StatusRefunded || p.Captured != o.Total || p.Refunded != o.Total || len(p.Refunds) != 1 {
		t.Fatalf("payment after the late capture: %+v", p)
	}
	if r := p.Refunds[0]; r.Status != payments.RefundSucceeded || r.ID != payments.AutoRefundID(payID) || r.ExternalID == "" ||
		r.Reason != payments.ReasonOrderCancelled || r.Amount != o.Total {
		t.Fatalf("refund %+v", r)
	}
	refunds := s.fake.Refunds()
	if len(refunds) != 1 || refunds[0].PaymentIntent != intent || refunds[0].Amount != o.Total.Amount || refunds[0].Metadata["refund_id"] != payments.AutoRefundID(payID) {
		t.Fatalf("refunds at Stripe: %+v", refunds)
	}
	if got := s.order(t, o.ID); got.Status != "CANCELLED" || got.PaymentStatus != "refunded" || got.PaymentID != payID {
		t.Fatalf("order after the late capture: %+v", got)
	}
	if after := s.stock(t); after.Sellable != before.Sellable || after.Levels[0].OnHand != before.Levels[0].OnHand || after.Levels[0].Reserved != before.Levels[0].Reserved {
		t.Fatalf("stock moved: %+v then %+v", before, after)
	}
	var types []string
	poll.Within(t, 10*time.Second, "payments.refunded", func() bool {
		types = s.eventsSince(t, seq, payID)
		return len(types) >= 2
	})
	if len(types) != 2 || types[0] != payments.EventCaptured || types[1] != payments.EventRefunded {
		t.Fatalf("payment events %v", types)
	}
	// Stripe sends the event again: nothing more moves.
	if st, body, err := s.fake.Send(s.fake.Succeed(intent)); err != nil || st != 200 || len(s.fake.Refunds()) != 1 {
		t.Fatalf("a repeated late capture: %d %s %v, %d refunds", st, body, err, len(s.fake.Refunds()))
	}
}

// TestLateStripeRefundRetried: when Stripe fails the automatic refund (5xx) the webhook is
// still applied, the refund stays pending, and the retry completes it.
func TestLateStripeRefundRetried(t *testing.T) {
	s := newCancelShop(t)
	o := payOrder(t, s.a, s.variant, "stripe", s.customer)
	payID, intent := s.process(t, o.ID)
	s.cancel(t, o.ID)
	if p := s.payment(t, payID); p.Status != payments.StatusCancelled {
		t.Fatalf("payment of the cancelled order: %+v", p)
	}
	event := s.fake.Succeed(intent)
	s.fake.FailNext(500, "api_error", "Stripe is down")
	if st, body, err := s.fake.Send(event); err != nil || st != 200 {
		t.Fatalf("late payment_intent.succeeded: %d %s %v", st, body, err)
	}
	p := s.payment(t, payID)
	if p.Status != payments.StatusRefunded || len(p.Refunds) != 1 || p.Refunds[0].Status != payments.RefundPending || p.Refunds[0].ExternalID != "" {
		t.Fatalf("payment after a failed refund: %+v", p)
	}
	if n := len(s.fake.Refunds()); n != 0 {
		t.Fatalf("%d refunds at Stripe", n)
	}
	if got := s.order(t, o.ID); got.Status != "CANCELLED" || got.PaymentStatus != "refunded" {
		t.Fatalf("order: %+v", got)
	}
	seq := s.a.DB.LastSeq()
	if n, err := s.a.Payments.RetryDueRefunds(context.Background()); n != 1 || err != nil {
		t.Fatalf("retry: %d %v", n, err)
	}
	p = s.payment(t, payID)
	if p.Refunds[0].Status != payments.RefundSucceeded || p.Refunds[0].ExternalID == "" {
		t.Fatalf("payment after the retry: %+v", p)
	}
	if refunds := s.fake.Refunds(); len(refunds) != 1 || refunds[0].Amount != o.Total.Amount {
		t.Fatalf("refunds at Stripe: %+v", refunds)
	}
	poll.Within(t, 10*time.Second, "payments.refunded", func() bool {
		ev := s.eventsSince(t, seq, payID)
		return len(ev) == 1 && ev[0] == payments.EventRefunded
	})
	if n, err := s.a.Payments.RetryDueRefunds(context.Background()); n != 0 || err != nil || len(s.fake.Refunds()) != 1 {
		t.Fatalf("a second retry: %d %v", n, err)
	}
}

// TestCancelledCashPaymentNotCaptured: cancelling a cash order cancels its payment; staff
// can then no longer record the cash (409), and nothing changes.
func TestCancelledCashPaymentNotCaptured(t *testing.T) {
	s := newCancelShop(t)
	o := payOrder(t, s.a, s.variant, "cash", s.customer)
	payID := paidOrder(t, s.a, o.ID).PaymentID
	seq := s.a.DB.LastSeq()
	s.cancel(t, o.ID)
	if p := s.payment(t, payID); p.Status != payments.StatusCancelled {
		t.Fatalf("cash payment of the cancelled order: %+v", p)
	}
	poll.Within(t, 10*time.Second, "payments.cancelled", func() bool {
		ev := s.eventsSince(t, seq, payID)
		return len(ev) == 1 && ev[0] == payments.EventCancelled
	})
	seq = s.a.DB.LastSeq()
	r := s.a.Do(t, "POST", "/api/v1/payments/"+payID+"/capture", nil, s.staff)
	if r.Status != 409 {
		t.Fatalf("capture of a cancelled cash payment: %d %s", r.Status, r.Body)
	}
	if p := s.payment(t, payID); p.Status != payments.StatusCancelled || p.Captured.Amount != 0 {
		t.Fatalf("payment after a refused capture: %+v", p)
	}
	if got := s.order(t, o.ID); got.Status != "CANCELLED" || got.PaymentStatus != "unpaid" || s.a.DB.LastSeq() != seq {
		t.Fatalf("a refused capture changed something: %+v", got)
	}
}
