package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/paypal/paypaltest"
)

func TestPayPalEndToEnd(t *testing.T) {
	const clientID, secret, webhookID = "client-e2e", "secret-e2e", "WHE2E"
	fake := paypaltest.Start(t, clientID, secret, webhookID)
	s := newShop(t, func(c *config.Config) {
		c.Payments.PayPal = config.PayPal{Enabled: true, ClientID: clientID, Secret: secret, WebhookID: webhookID, APIBaseURL: fake.URL,
			Timeout: config.Dur(5 * time.Second)}
	})
	fake.WebhookURL = s.BaseURL + "/api/v1/payments/webhooks/paypal"

	o := s.order(t, "paypal", 1)
	p := s.process(t, o.ID, "paypal")
	if p.Status != payments.StatusPending || p.Action == nil || !strings.Contains(p.Action.RedirectURL, "checkoutnow?token="+p.ExternalID) {
		t.Fatalf("processed payment = %+v", p)
	}
	po, ok := fake.Order(p.ExternalID)
	if !ok || po.CustomID != p.ID || po.Amount != (paypaltest.Amount{CurrencyCode: "USD", Value: "12.34"}) {
		t.Fatalf("PayPal order = %+v (order total %v)", po, o.Total)
	}

	// A webhook PayPal does not vouch for (forged transmission) captures nothing.
	approved := fake.Approve(p.ExternalID)
	if st, body, _ := fake.SendWith(approved, fake.Sign([]byte(`{"id":"WH-other"}`))); st != 400 {
		t.Fatalf("forged webhook: %d %s", st, body)
	}
	if c := fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture"); len(c) != 0 {
		t.Fatalf("a forged approval captured: %+v", c)
	}

	// The shopper approved: the webhook captures the order and the payment is captured, the
	// order paid and confirmed. PayPal's own capture webhook and retries apply nothing more.
	if st, body, _ := fake.Send(approved); st != 200 {
		t.Fatalf("approval webhook: %d %s", st, body)
	}
	s.wantCaptured(t, p.ID, o, "approval")
	completed := fake.CaptureCompleted(p.ExternalID)
	for _, ev := range [][]byte{completed, completed, approved} {
		if st, body, _ := fake.Send(ev); st != 200 {
			t.Fatalf("repeat webhook: %d %s", st, body)
		}
	}
	if c := fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture"); len(c) != 1 {
		t.Fatalf("%d captures, want 1", len(c))
	}
	if n := countEvents(t, s.App, payments.EventCaptured); n != 1 {
		t.Fatalf("%d %s events, want 1", n, payments.EventCaptured)
	}

	// A refund through the API reaches PayPal's capture; PAYMENT.CAPTURE.REFUNDED confirms it once.
	after := s.refund(t, p.ID, 234, 200)
	refunds := fake.Refunds()
	po, _ = fake.Order(p.ExternalID)
	if len(refunds) != 1 || refunds[0].CaptureID != po.CaptureID || refunds[0].Amount.Value != "2.34" {
		t.Fatalf("PayPal refunds = %+v", refunds)
	}
	if len(after.Refunds) != 1 || after.Refunds[0].ExternalID != refunds[0].ID || after.Refunded.Amount != 234 {
		t.Fatalf("payment after the refund = %+v", after)
	}
	if c := fake.CallsTo("POST", "/v2/payments/captures/"+po.CaptureID+"/refund"); c[0].RequestID != after.Refunds[0].ID {
		t.Fatalf("PayPal-Request-Id %q, want our refund ID %q", c[0].RequestID, after.Refunds[0].ID)
	}
	refunded := fake.RefundCompleted(refunds[0].ID)
	for i := 0; i < 2; i++ {
		if st, body, _ := fake.Send(refunded); st != 200 {
			t.Fatalf("refund webhook: %d %s", st, body)
		}
	}
	if got := s.payment(t, p.ID); got.Refunded.Amount != 234 || len(got.Refunds) != 1 || got.Status != payments.StatusPartiallyRefunded {
		t.Fatalf("payment after the refund webhook = %+v", got)
	}
}
