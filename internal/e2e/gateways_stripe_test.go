package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/stripe"
	"github.com/ultramarket/ultramarket/gateways/stripe/stripetest"
)

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
	s.wantCaptured(t, p.ID, o, "the webhook")

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
