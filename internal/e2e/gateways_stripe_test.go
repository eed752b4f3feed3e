package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/stripe"
	"github.com/ultramarket/ultramarket/gateways/stripe/stripetest"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// paymentBody is the part of a payment answer the gateway tests read.
type paymentBody struct {
	ID         string         `json:"id"`
	OrderID    string         `json:"order_id"`
	Method     string         `json:"method"`
	Status     string         `json:"status"`
	Amount     commerce.Money `json:"amount"`
	Captured   commerce.Money `json:"captured"`
	Refunded   commerce.Money `json:"refunded"`
	ExternalID string         `json:"external_id"`
	Action     *struct {
		ExternalID   string `json:"external_id"`
		ClientSecret string `json:"client_secret"`
		RedirectURL  string `json:"redirect_url"`
	} `json:"action"`
	Refunds []struct {
		ID         string         `json:"id"`
		Amount     commerce.Money `json:"amount"`
		Status     string         `json:"status"`
		ExternalID string         `json:"external_id"`
	} `json:"refunds"`
}

type orderBody struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	PaymentStatus string         `json:"payment_status"`
	PaymentID     string         `json:"payment_id"`
	Total         commerce.Money `json:"total"`
}

// shop is an app with one product in stock, a customer and an admin.
type shop struct {
	*apptest.App
	variant  string
	customer apptest.User
	admin    apptest.User
}

func newShop(t *testing.T, opts ...apptest.Option) *shop {
	t.Helper()
	a := apptest.New(t, opts...)
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: "Green tea", Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	p.Slug = strings.ToLower("green-tea-" + p.ID)
	v := catalog.Variant{ID: commerce.NewID(), SKU: "TEA-" + p.ID, Price: commerce.Money{Amount: 1234, Currency: "USD"}, Stock: 10,
		Options: map[string]string{"Size": "M"}}
	p.Variants = []catalog.Variant{v}
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return &shop{App: a, variant: v.ID, customer: a.NewUser(t, auth.RoleCustomer), admin: a.NewUser(t, auth.RoleAdmin)}
}

// order places the customer's order of qty units paid with method and returns it.
func (s *shop) order(t *testing.T, method string, qty int64) orderBody {
	t.Helper()
	h := s.customer.Bearer()
	r := s.Do(t, "POST", "/api/v1/carts", nil, h)
	if r.Status != 201 {
		t.Fatalf("create cart: %d %s", r.Status, r.Body)
	}
	var c struct{ ID string }
	r.JSON(t, &c)
	if r = s.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": s.variant, "quantity": qty}, h); r.Status != 200 {
		t.Fatalf("add item: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, "POST", "/api/v1/orders", map[string]any{"cart_id": c.ID, "payment_method": method,
		"shipping_address": map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Tashkent", "country": "uz", "postal_code": "100000"}}, h)
	if r.Status != 201 {
		t.Fatalf("place order: %d %s", r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	return o
}

func (s *shop) process(t *testing.T, orderID, method string) paymentBody {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": orderID, "method": method,
		"return_url": "https://shop.example/paid", "cancel_url": "https://shop.example/cart"}, s.customer.Bearer())
	if r.Status != 200 {
		t.Fatalf("process: %d %s", r.Status, r.Body)
	}
	var p paymentBody
	r.JSON(t, &p)
	return p
}

func (s *shop) payment(t *testing.T, id string) paymentBody {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/payments/"+id, nil, s.customer.Bearer())
	if r.Status != 200 {
		t.Fatalf("read payment: %d %s", r.Status, r.Body)
	}
	var p paymentBody
	r.JSON(t, &p)
	return p
}

func (s *shop) readOrder(t *testing.T, id string) orderBody {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/orders/"+id, nil, s.customer.Bearer())
	if r.Status != 200 {
		t.Fatalf("read order: %d %s", r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	return o
}

func (s *shop) refund(t *testing.T, paymentID string, amount int64, wantStatus int) paymentBody {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/payments/"+paymentID+"/refund", map[string]any{"amount": map[string]any{"amount": amount, "currency": "USD"},
		"reason": "customer asked"}, s.admin.Bearer())
	if r.Status != wantStatus {
		t.Fatalf("refund: %d %s, want %d", r.Status, r.Body, wantStatus)
	}
	var p paymentBody
	if wantStatus == 200 {
		r.JSON(t, &p)
	}
	return p
}

// countEvents counts recorded bus events of type typ about a subject ID, after waiting for
// every event up to the store's last sequence.
func countEvents(t *testing.T, a *apptest.App, typ string) int {
	t.Helper()
	n := 0
	for _, ev := range a.EventsAfter(t, 0, a.DB.LastSeq()) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func TestStripeEndToEnd(t *testing.T) {
	const key, whsec = "sk_test_e2e", "whsec_e2e"
	fake := stripetest.Start(t, key, whsec)
	s := newShop(t, func(c *config.Config) {
		c.Payments.Stripe = config.Stripe{Enabled: true, SecretKey: key, WebhookSecret: whsec, APIBaseURL: fake.URL,
			Timeout: config.Dur(time.Second), WebhookTolerance: config.Dur(5 * time.Minute)}
	})
	fake.WebhookURL = s.BaseURL + "/api/v1/payments/webhooks/stripe"

	r := s.Do(t, "GET", "/api/v1/payments/methods", nil, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"id":"stripe"`) {
		t.Fatalf("methods: %d %s", r.Status, r.Body)
	}
	o := s.order(t, "stripe", 2)
	// Stripe does not answer within payments.stripe.timeout: 503, retryable, nothing started.
	fake.Delay(10 * time.Second)
	began := time.Now()
	r = s.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": o.ID, "method": "stripe"}, s.customer.Bearer())
	if r.Status != 503 || time.Since(began) > 5*time.Second {
		t.Fatalf("process with Stripe stalled: %d %s after %s", r.Status, r.Body, time.Since(began))
	}
	fake.Delay(0)
	p := s.process(t, o.ID, "stripe")
	if p.Status != payments.StatusPending || p.Action == nil || p.Action.ClientSecret == "" || !strings.HasPrefix(p.ExternalID, "pi_") {
		t.Fatalf("processed payment = %+v", p)
	}
	pi, ok := fake.Intent(p.ExternalID)
	if !ok || pi.Amount != o.Total.Amount || pi.Currency != "usd" || pi.Metadata["payment_id"] != p.ID {
		t.Fatalf("PaymentIntent = %+v (order total %v)", pi, o.Total)
	}
	if c := fake.CallsTo("POST", "/v1/payment_intents"); len(c) != 1 || c[0].IdempotencyKey != p.ID {
		t.Fatalf("PaymentIntent calls = %+v", c)
	}
	// Processing again answers the same payment, without a second PaymentIntent.
	if again := s.process(t, o.ID, "stripe"); again.ID != p.ID || len(fake.CallsTo("POST", "/v1/payment_intents")) != 1 {
		t.Fatalf("retry = %+v", again)
	}

	// A forged webhook and a replayed old one change nothing.
	succeeded := fake.Succeed(p.ExternalID)
	if st, body, _ := fake.SendSigned(succeeded, stripe.Sign("whsec_wrong", time.Now(), succeeded)); st != 400 {
		t.Fatalf("forged webhook: %d %s", st, body)
	}
	if st, body, _ := fake.SendSigned(succeeded, stripe.Sign(whsec, time.Now().Add(-time.Hour), succeeded)); st != 400 {
		t.Fatalf("old webhook: %d %s", st, body)
	}
	if got := s.payment(t, p.ID); got.Status != payments.StatusPending {
		t.Fatalf("a refused webhook moved the payment: %+v", got)
	}

	// Stripe's signed payment_intent.succeeded: captured, the order paid and confirmed; its
	// retries apply nothing more.
	for i := 0; i < 3; i++ {
		if st, body, err := fake.Send(succeeded); err != nil || st != 200 {
			t.Fatalf("webhook %d: %d %s %v", i, st, body, err)
		}
	}
	got := s.payment(t, p.ID)
	if got.Status != payments.StatusCaptured || got.Captured != o.Total {
		t.Fatalf("payment after the webhook = %+v", got)
	}
	if ord := s.readOrder(t, o.ID); ord.Status != "CONFIRMED" || ord.PaymentStatus != "paid" || ord.PaymentID != p.ID {
		t.Fatalf("order after the webhook = %+v", ord)
	}
	if n := countEvents(t, s.App, payments.EventCaptured); n != 1 {
		t.Fatalf("%d %s events, want 1", n, payments.EventCaptured)
	}

	// A refund through the API reaches Stripe (our refund ID as its idempotency key); Stripe's
	// charge.refunded then confirms it without counting it twice.
	s.refund(t, p.ID, o.Total.Amount+1, 422)
	if len(fake.Refunds()) != 0 {
		t.Fatalf("a refused refund reached Stripe: %+v", fake.Refunds())
	}
	after := s.refund(t, p.ID, 500, 200)
	refunds := fake.Refunds()
	if len(refunds) != 1 || refunds[0].Amount != 500 || refunds[0].PaymentIntent != p.ExternalID || refunds[0].Metadata["payment_id"] != p.ID {
		t.Fatalf("Stripe refunds = %+v", refunds)
	}
	if len(after.Refunds) != 1 || after.Refunds[0].ExternalID != refunds[0].ID || after.Refunded.Amount != 500 || after.Status != payments.StatusPartiallyRefunded {
		t.Fatalf("payment after the refund = %+v", after)
	}
	if c := fake.CallsTo("POST", "/v1/refunds"); c[len(c)-1].IdempotencyKey != after.Refunds[0].ID {
		t.Fatalf("refund idempotency key %q, want our refund ID %q", c[len(c)-1].IdempotencyKey, after.Refunds[0].ID)
	}
	for _, ev := range [][]byte{fake.ChargeRefunded(p.ExternalID), fake.Event("refund.updated", refunds[0])} {
		if st, body, _ := fake.Send(ev); st != 200 {
			t.Fatalf("refund webhook: %d %s", st, body)
		}
	}
	if got := s.payment(t, p.ID); got.Refunded.Amount != 500 || len(got.Refunds) != 1 {
		t.Fatalf("payment after the refund webhooks = %+v", got)
	}
	if ord := s.readOrder(t, o.ID); ord.PaymentStatus != "partially_refunded" {
		t.Fatalf("order after the refund = %+v", ord)
	}
}
