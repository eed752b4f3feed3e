package stripe_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwtest"
	"github.com/ultramarket/ultramarket/gateways/stripe"
	"github.com/ultramarket/ultramarket/gateways/stripe/stripetest"
)

const (
	secretKey     = "sk_test_fake"
	webhookSecret = "whsec_fake"
)

type env = gwtest.Env[*stripetest.Server, *stripe.Gateway]

// setup starts the fake, an adapter pointed at it and an HTTP endpoint serving the
// adapter's webhook, where the fake sends its events; the payment pay_1 of 12.34 USD waits.
func setup(t *testing.T, mod ...func(*stripe.Config)) *env {
	t.Helper()
	fake := stripetest.Start(t, secretKey, webhookSecret)
	cfg := gwtest.Configure(stripe.Config{SecretKey: secretKey, WebhookSecret: webhookSecret, BaseURL: fake.URL, Timeout: 2 * time.Second}, mod)
	return gwtest.NewEnv(t, fake, &fake.WebhookURL, "stripe", func(n payments.Notifier) (*stripe.Gateway, error) { return stripe.New(cfg, n) })
}

// startIn is what the tests start pay_1 with.
var startIn = payments.StartInput{Description: "Order #42"}

func TestStart(t *testing.T) {
	e := setup(t)
	act, err := e.GW.Start(context.Background(), e.P, payments.StartInput{Description: "Order #42", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(act.ExternalID, "pi_") || act.ClientSecret == "" || act.RedirectURL != "" {
		t.Fatalf("action = %+v", act)
	}
	calls := e.Fake.CallsTo("POST", "/v1/payment_intents")
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", e.Fake.Calls())
	}
	c := calls[0]
	for k, want := range map[string]string{"amount": "1234", "currency": "usd", "metadata[payment_id]": "pay_1",
		"automatic_payment_methods[enabled]": "true", "description": "Order #42", "receipt_email": "a@example.com"} {
		if got := c.Form.Get(k); got != want {
			t.Errorf("form %s = %q, want %q", k, got, want)
		}
	}
	if c.IdempotencyKey != "pay_1" {
		t.Errorf("Idempotency-Key = %q, want the payment ID", c.IdempotencyKey)
	}
	// A retried start (same payment) gets the same PaymentIntent.
	again, err := e.GW.Start(context.Background(), e.P, payments.StartInput{Description: "Order #42", Email: "a@example.com"})
	if err != nil || again != act {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, act)
	}
	if pi, _ := e.Fake.Intent(act.ExternalID); pi.Amount != 1234 || pi.Metadata["payment_id"] != "pay_1" {
		t.Fatalf("intent = %+v", pi)
	}
	if m := e.GW.Method(); m.ID != "stripe" || m.Kind != payments.KindGateway {
		t.Fatalf("method = %+v", m)
	}
}

func TestStartErrors(t *testing.T) {
	gwtest.StartErrors(t, []gwtest.StartError[stripe.Config, *env]{
		{Name: "declined", Prepare: func(e *env) { e.Fake.FailNext(402, "card_error", "Your card was declined.") },
			Kind: commerce.EConflict, Code: "payment_declined", Msg: "Your card was declined."},
		{Name: "invalid request", Prepare: func(e *env) { e.Fake.FailNext(400, "invalid_request_error", "Amount must be at least 50 cents") },
			Kind: commerce.EInvalid, Code: "gateway_rejected", Msg: "Amount must be at least 50 cents"},
		{Name: "server error", Prepare: func(e *env) { e.Fake.FailNext(500, "api_error", "boom") },
			Kind: commerce.EUnavailable, Code: "gateway_unavailable"},
		{Name: "rate limited", Prepare: func(e *env) { e.Fake.FailNext(429, "rate_limit_error", "slow down") },
			Kind: commerce.EUnavailable, Code: "gateway_unavailable"},
		{Name: "wrong key (401)", Config: func(c *stripe.Config) { c.SecretKey = "sk_test_wrong" },
			Kind: commerce.EUnavailable, Code: "gateway_misconfigured", Msg: "Invalid API Key"},
		{Name: "timeout", Prepare: func(e *env) { e.Fake.Delay(5 * time.Second) }, Config: func(c *stripe.Config) { c.Timeout = 150 * time.Millisecond },
			Kind: commerce.EUnavailable, Code: "gateway_unavailable", Msg: "no answer within 150ms"},
	}, setup, func(e *env) int { return gwtest.Succeeded(e.Fake.Calls()) })
}

func TestWebhookCapture(t *testing.T) {
	e := setup(t)
	p := e.Start(t, startIn)
	ev := e.Fake.Succeed(p.ExternalID)
	e.Send(t, ev, 200)
	got, _ := e.N.Payment(context.Background(), "pay_1")
	if got.Status != payments.StatusCaptured || got.Captured.Amount != 1234 {
		t.Fatalf("payment = %+v", got)
	}
	applied := e.N.Applied[0]
	var evID struct{ ID string }
	_ = json.Unmarshal(ev, &evID)
	if applied.EventID != evID.ID || applied.PaymentID != "pay_1" || applied.ExternalID != p.ExternalID || applied.Kind != payments.NotifyCaptured ||
		applied.Amount != (commerce.Money{Amount: 1234, Currency: "USD"}) || applied.Gateway["charge_id"] == "" {
		t.Fatalf("notification = %+v", applied)
	}
	// Stripe retries the same event (a replay, or our 2xx was lost): applied once, still 2xx.
	e.Send(t, ev, 200)
	e.Send(t, ev, 200)
	if e.N.Count() != 1 {
		t.Fatalf("applied %d times", e.N.Count())
	}
}

// TestWebhookCardFingerprint: a capture carries the paying card's fingerprint, from the
// expanded charge in the event or from one charge read; when the read fails or is too slow
// the payment is captured all the same, without a fingerprint.
func TestWebhookCardFingerprint(t *testing.T) {
	scenarios := []struct {
		name        string
		config      func(*stripe.Config)
		prepare     func(e *env, piID string)
		expanded    bool
		want        string
		chargeReads int
	}{
		{name: "charge read", prepare: func(e *env, pi string) { e.Fake.SetCardFingerprint(pi, "fp_card_1") }, want: "fp_card_1", chargeReads: 1},
		{name: "expanded charge", prepare: func(e *env, pi string) { e.Fake.SetCardFingerprint(pi, "fp_card_2") }, expanded: true, want: "fp_card_2"},
		{name: "card without fingerprint", prepare: func(*env, string) {}, chargeReads: 1},
		{name: "charge read fails", prepare: func(e *env, pi string) {
			e.Fake.SetCardFingerprint(pi, "fp_card_1")
			e.Fake.FailChargeReads(500)
		}, chargeReads: 1},
		{name: "charge read times out", config: func(c *stripe.Config) { c.Timeout = 150 * time.Millisecond }, prepare: func(e *env, pi string) {
			e.Fake.SetCardFingerprint(pi, "fp_card_1")
			e.Fake.Delay(5 * time.Second)
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var mod []func(*stripe.Config)
			if sc.config != nil {
				mod = append(mod, sc.config)
			}
			e := setup(t, mod...)
			p := e.Start(t, startIn)
			sc.prepare(e, p.ExternalID)
			ev := e.Fake.Succeed(p.ExternalID)
			if sc.expanded {
				ev = e.Fake.SucceedExpanded(p.ExternalID)
			}
			began := time.Now()
			e.Send(t, ev, 200)
			if time.Since(began) > 3*time.Second {
				t.Fatalf("the webhook waited %s for the charge", time.Since(began))
			}
			e.Fake.Delay(0)
			got, _ := e.N.Payment(context.Background(), "pay_1")
			if got.Status != payments.StatusCaptured || e.N.Count() != 1 {
				t.Fatalf("payment = %+v", got)
			}
			pi, _ := e.Fake.Intent(p.ExternalID)
			applied := e.N.Applied[0]
			if applied.Gateway["charge_id"] != pi.LatestCharge || applied.Gateway["card_fingerprint"] != sc.want {
				t.Fatalf("gateway state = %v, want charge %s and fingerprint %q", applied.Gateway, pi.LatestCharge, sc.want)
			}
			if _, ok := applied.Gateway["card_fingerprint"]; !ok && sc.want != "" || ok && sc.want == "" {
				t.Fatalf("gateway state = %v", applied.Gateway)
			}
			if n := len(e.Fake.CallsTo("GET", "/v1/charges/"+pi.LatestCharge)); sc.chargeReads > 0 && n != sc.chargeReads || sc.expanded && n != 0 {
				t.Fatalf("%d charge reads, want %d", n, sc.chargeReads)
			}
		})
	}
}

func TestWebhookRefused(t *testing.T) {
	scenarios := []struct {
		name   string
		sign   func(e *env, ev []byte) ([]byte, string)
		status int
		code   string
	}{
		{name: "no signature", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) { return ev, "" }},
		{name: "wrong secret", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) { return ev, stripe.Sign("whsec_other", time.Now(), ev) }},
		{name: "tampered body", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) {
				sig := stripe.Sign(webhookSecret, time.Now(), ev)
				return []byte(strings.Replace(string(ev), `"amount_received":1234`, `"amount_received":1`, 1)), sig
			}},
		{name: "malformed header", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) { return ev, "t=abc,v1=zz" }},
		{name: "old timestamp", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) {
				return ev, stripe.Sign(webhookSecret, time.Now().Add(-10*time.Minute), ev)
			}},
		{name: "future timestamp", status: 400, code: "invalid_signature",
			sign: func(e *env, ev []byte) ([]byte, string) {
				return ev, stripe.Sign(webhookSecret, time.Now().Add(10*time.Minute), ev)
			}},
		{name: "one of several v1 signatures matches (secret rotation)", status: 200,
			sign: func(e *env, ev []byte) ([]byte, string) {
				good := stripe.Sign(webhookSecret, time.Now(), ev)
				bad := stripe.Sign("whsec_old", time.Now(), ev)
				return ev, good + "," + bad[strings.Index(bad, "v1="):] + ",v0=deadbeef"
			}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := setup(t)
			p := e.Start(t, startIn)
			body, sig := sc.sign(e, e.Fake.Succeed(p.ExternalID))
			status, resp, err := e.Fake.SendSigned(body, sig)
			if err != nil {
				t.Fatal(err)
			}
			if status != sc.status || !strings.Contains(string(resp), sc.code) {
				t.Fatalf("answered %d %s, want %d %s", status, resp, sc.status, sc.code)
			}
			got, _ := e.N.Payment(context.Background(), "pay_1")
			if sc.status != 200 && (e.N.Count() != 0 || got.Status != payments.StatusPending) {
				t.Fatalf("a refused webhook changed the payment: %+v", got)
			}
		})
	}
}

func TestWebhookNotifications(t *testing.T) {
	scenarios := []struct {
		name       string
		event      func(e *env, p payments.Payment) []byte
		status     int
		wantStatus string // the payment's status afterwards
	}{
		{name: "amount mismatch", status: 400, wantStatus: payments.StatusPending, event: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("payment_intent.succeeded", map[string]any{"id": p.ExternalID, "object": "payment_intent", "amount": 1234,
				"amount_received": 1000, "currency": "usd", "status": "succeeded", "metadata": map[string]string{"payment_id": "pay_1"}})
		}},
		{name: "currency mismatch", status: 400, wantStatus: payments.StatusPending, event: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("payment_intent.succeeded", map[string]any{"id": p.ExternalID, "object": "payment_intent", "amount": 1234,
				"amount_received": 1234, "currency": "eur", "status": "succeeded", "metadata": map[string]string{"payment_id": "pay_1"}})
		}},
		{name: "unknown payment", status: 404, wantStatus: payments.StatusPending, event: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("payment_intent.succeeded", map[string]any{"id": "pi_other", "object": "payment_intent", "amount": 1234,
				"amount_received": 1234, "currency": "usd", "status": "succeeded", "metadata": map[string]string{"payment_id": "pay_nope"}})
		}},
		{name: "unknown event type is ignored", status: 200, wantStatus: payments.StatusPending, event: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("customer.created", map[string]any{"id": "cus_1", "object": "customer"})
		}},
		{name: "not an event", status: 400, wantStatus: payments.StatusPending, event: func(e *env, p payments.Payment) []byte {
			return []byte(`{"hello":"world"}`)
		}},
		{name: "payment failed", status: 200, wantStatus: payments.StatusFailed, event: func(e *env, p payments.Payment) []byte {
			return e.Fake.Fail(p.ExternalID, "Your card was declined.")
		}},
		{name: "cancelled", status: 200, wantStatus: payments.StatusCancelled, event: func(e *env, p payments.Payment) []byte {
			pi, _ := e.Fake.Intent(p.ExternalID)
			pi.Status = "canceled"
			return e.Fake.Event("payment_intent.canceled", pi)
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := setup(t)
			p := e.Start(t, startIn)
			e.Send(t, sc.event(e, p), sc.status)
			got, _ := e.N.Payment(context.Background(), "pay_1")
			if got.Status != sc.wantStatus {
				t.Fatalf("payment status = %s, want %s", got.Status, sc.wantStatus)
			}
			if sc.wantStatus == payments.StatusPending && e.N.Count() != 0 {
				t.Fatalf("applied %+v", e.N.Applied)
			}
		})
	}
}

func TestWebhookNotifierUnavailable(t *testing.T) {
	e := setup(t)
	p := e.Start(t, startIn)
	e.N.Err = &commerce.Error{Kind: commerce.EUnavailable, Code: "disk_full", Message: "store: disk reserve reached"}
	e.Send(t, e.Fake.Succeed(p.ExternalID), 503) // Stripe retries later
	e.N.Err = errors.New("boom")
	status, body, _ := e.Fake.Send(e.Fake.Succeed(p.ExternalID))
	if status != 500 || strings.Contains(string(body), "boom") {
		t.Fatalf("internal error answered %d %s", status, body)
	}
}

func TestRefund(t *testing.T) {
	e := setup(t)
	p := e.Start(t, startIn)
	e.Send(t, e.Fake.Succeed(p.ExternalID), 200)
	ctx := context.Background()

	res, err := e.GW.Refund(ctx, p, commerce.Money{Amount: 234, Currency: "USD"}, "ref_1")
	if err != nil || !strings.HasPrefix(res.ExternalID, "re_") || res.Pending {
		t.Fatalf("refund = %+v, %v", res, err)
	}
	calls := e.Fake.CallsTo("POST", "/v1/refunds")
	if len(calls) != 1 || calls[0].IdempotencyKey != "ref_1" || calls[0].Form.Get("payment_intent") != p.ExternalID ||
		calls[0].Form.Get("amount") != "234" || calls[0].Form.Get("metadata[payment_id]") != "pay_1" {
		t.Fatalf("refund calls = %+v", calls)
	}
	// The same refund retried is the same Stripe refund.
	again, err := e.GW.Refund(ctx, p, commerce.Money{Amount: 234, Currency: "USD"}, "ref_1")
	if err != nil || again != res || len(e.Fake.Refunds()) != 1 {
		t.Fatalf("retry = %+v %v, refunds %+v", again, err, e.Fake.Refunds())
	}
	// More than is left: Stripe's refusal, as EInvalid with its message.
	_, err = e.GW.Refund(ctx, p, commerce.Money{Amount: 5000, Currency: "USD"}, "ref_2")
	if ce := commerce.AsError(err); ce == nil || ce.Kind != commerce.EInvalid || !strings.Contains(ce.Message, "greater than") {
		t.Fatalf("too large refund: %v", err)
	}
	_, err = e.GW.Refund(ctx, p, commerce.Money{Amount: 10, Currency: "EUR"}, "ref_3")
	if commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("refund in another currency: %v", err)
	}
	if len(e.Fake.Refunds()) != 1 {
		t.Fatalf("refused refunds moved money: %+v", e.Fake.Refunds())
	}

	// Stripe then tells us: charge.refunded (no list inside: read from the API) and
	// refund.updated of the same refund apply it once.
	e.Send(t, e.Fake.ChargeRefunded(p.ExternalID), 200)
	e.Send(t, e.Fake.Event("refund.updated", e.Fake.Refunds()[0]), 200)
	got, _ := e.N.Payment(ctx, "pay_1")
	if got.Refunded.Amount != 234 || got.Status != payments.StatusPartiallyRefunded {
		t.Fatalf("payment = %+v", got)
	}
	last := e.N.Applied[len(e.N.Applied)-1]
	if last.Kind != payments.NotifyRefunded || last.EventID != res.ExternalID || last.Gateway["refund_id"] != res.ExternalID || last.Gateway["refund_ref"] != "ref_1" {
		t.Fatalf("refund notification = %+v", last)
	}
	if e.N.Count() != 2 {
		t.Fatalf("applied %d notifications, want capture + one refund", e.N.Count())
	}
}

func TestRefundErrors(t *testing.T) {
	e := setup(t, func(c *stripe.Config) { c.Timeout = 150 * time.Millisecond })
	p := e.Start(t, startIn)
	e.Send(t, e.Fake.Succeed(p.ExternalID), 200)
	e.Fake.Delay(5 * time.Second)
	_, err := e.GW.Refund(context.Background(), p, commerce.Money{Amount: 100, Currency: "USD"}, "ref_1")
	if commerce.KindOf(err) != commerce.EUnavailable {
		t.Fatalf("timeout: %v", err)
	}
	e.Fake.Delay(0)
	unstarted := e.P
	unstarted.ExternalID = ""
	if _, err := e.GW.Refund(context.Background(), unstarted, commerce.Money{Amount: 100, Currency: "USD"}, "ref_2"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("refund without a PaymentIntent: %v", err)
	}
}
