package paypal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwtest"
	"github.com/ultramarket/ultramarket/gateways/paypal"
	"github.com/ultramarket/ultramarket/gateways/paypal/paypaltest"
)

const (
	clientID  = "client-fake"
	secret    = "secret-fake"
	webhookID = "WH1FAKE"
)

type env = gwtest.Env[*paypaltest.Server, *paypal.Gateway]

// setup starts the fake, an adapter pointed at it and an HTTP endpoint serving the
// adapter's webhook, where the fake sends its events; the payment pay_1 of 12.34 USD waits.
func setup(t *testing.T, mod ...func(*paypal.Config)) *env {
	t.Helper()
	fake := paypaltest.Start(t, clientID, secret, webhookID)
	cfg := gwtest.Configure(paypal.Config{ClientID: clientID, Secret: secret, WebhookID: webhookID, BaseURL: fake.URL, Timeout: 2 * time.Second}, mod)
	return gwtest.NewEnv(t, fake, &fake.WebhookURL, "paypal", func(n payments.Notifier) (*paypal.Gateway, error) { return paypal.New(cfg, n) })
}

// startIn is what the tests start pay_1 with.
var startIn = payments.StartInput{ReturnURL: "https://shop.example/return", CancelURL: "https://shop.example/cancel"}

func TestAmounts(t *testing.T) {
	scenarios := []struct {
		m    commerce.Money
		want string
		err  bool
	}{
		{commerce.Money{Amount: 1234, Currency: "USD"}, "12.34", false},
		{commerce.Money{Amount: 5, Currency: "EUR"}, "0.05", false},
		{commerce.Money{Amount: 0, Currency: "USD"}, "0.00", false},
		{commerce.Money{Amount: 1234, Currency: "JPY"}, "1234", false},
		{commerce.Money{Amount: 1234, Currency: "KWD"}, "1.234", false},
		{commerce.Money{Amount: 150000, Currency: "HUF"}, "1500", false},
		{commerce.Money{Amount: 150050, Currency: "HUF"}, "", true},
		{commerce.Money{Amount: -1, Currency: "USD"}, "", true},
		{commerce.Money{Amount: 1, Currency: "usd"}, "", true},
	}
	for _, sc := range scenarios {
		got, err := paypal.FormatAmount(sc.m)
		if (err != nil) != sc.err || got != sc.want {
			t.Errorf("FormatAmount(%v) = %q, %v; want %q (error %v)", sc.m, got, err, sc.want, sc.err)
		}
		if err == nil && sc.m.Currency != "HUF" {
			back, err := paypal.ParseAmount(got, sc.m.Currency)
			if err != nil || back != sc.m {
				t.Errorf("ParseAmount(%q) = %v, %v", got, back, err)
			}
		}
	}
	for _, bad := range []string{"", "1.234", "-1.00", "1,00", "abc"} {
		if _, err := paypal.ParseAmount(bad, "USD"); err == nil {
			t.Errorf("ParseAmount(%q) accepted", bad)
		}
	}
}

func TestStart(t *testing.T) {
	e := setup(t)
	act, err := e.GW.Start(context.Background(), e.P, payments.StartInput{ReturnURL: "https://shop.example/return", CancelURL: "https://shop.example/cancel", Description: "Order #42"})
	if err != nil {
		t.Fatal(err)
	}
	if act.ExternalID == "" || !strings.Contains(act.RedirectURL, "checkoutnow?token="+act.ExternalID) {
		t.Fatalf("action = %+v", act)
	}
	calls := e.Fake.CallsTo("POST", "/v2/checkout/orders")
	if len(calls) != 1 || calls[0].RequestID != "pay_1" {
		t.Fatalf("calls = %+v", calls)
	}
	var body struct {
		Intent        string `json:"intent"`
		PurchaseUnits []struct {
			CustomID  string            `json:"custom_id"`
			InvoiceID string            `json:"invoice_id"`
			Amount    paypaltest.Amount `json:"amount"`
		} `json:"purchase_units"`
	}
	if err := json.Unmarshal(calls[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Intent != "CAPTURE" || body.PurchaseUnits[0].CustomID != "pay_1" || body.PurchaseUnits[0].InvoiceID != "42-pay_1" ||
		body.PurchaseUnits[0].Amount != (paypaltest.Amount{CurrencyCode: "USD", Value: "12.34"}) {
		t.Fatalf("order request = %s", calls[0].Body)
	}
	// A retry is the same order, and the token is reused.
	again, err := e.GW.Start(context.Background(), e.P, payments.StartInput{ReturnURL: "https://shop.example/return", CancelURL: "https://shop.example/cancel", Description: "Order #42"})
	if err != nil || again != act {
		t.Fatalf("retry = %+v %v", again, err)
	}
	if n := len(e.Fake.CallsTo("POST", "/v1/oauth2/token")); n != 1 {
		t.Fatalf("%d token requests, want 1 (cached)", n)
	}
	// Without return URLs PayPal answers the classic approve link.
	e.P.ID = "pay_2"
	act2, err := e.GW.Start(context.Background(), e.P, payments.StartInput{})
	if err != nil || act2.ExternalID == act.ExternalID || act2.RedirectURL == "" {
		t.Fatalf("second payment = %+v %v", act2, err)
	}
	// JPY has no decimals.
	e.P.ID, e.P.Amount = "pay_3", commerce.Money{Amount: 1500, Currency: "JPY"}
	if _, err := e.GW.Start(context.Background(), e.P, payments.StartInput{}); err != nil {
		t.Fatalf("JPY: %v", err)
	}
	last := e.Fake.CallsTo("POST", "/v2/checkout/orders")
	if !strings.Contains(string(last[len(last)-1].Body), `"value":"1500"`) {
		t.Fatalf("JPY order = %s", last[len(last)-1].Body)
	}
}

func TestStartErrors(t *testing.T) {
	gwtest.StartErrors(t, []gwtest.StartError[paypal.Config, *env]{
		{Name: "refused", Prepare: func(e *env) { e.Fake.FailNext(422, "PAYEE_ACCOUNT_RESTRICTED", "The merchant account is restricted.") },
			Kind: commerce.EConflict, Code: "gateway_refused", Msg: "PAYEE_ACCOUNT_RESTRICTED"},
		{Name: "bad request", Prepare: func(e *env) { e.Fake.FailNext(400, "INVALID_PARAMETER_VALUE", "bad value") },
			Kind: commerce.EInvalid, Code: "gateway_rejected", Msg: "bad value"},
		{Name: "server error", Prepare: func(e *env) { e.Fake.FailNext(503, "SERVICE_UNAVAILABLE", "down") },
			Kind: commerce.EUnavailable, Code: "gateway_unavailable"},
		{Name: "wrong credentials (401 on the token)", Config: func(c *paypal.Config) { c.Secret = "wrong" },
			Kind: commerce.EUnavailable, Code: "gateway_misconfigured", Msg: "Client Authentication failed"},
		{Name: "timeout", Prepare: func(e *env) { e.Fake.Delay(5 * time.Second) }, Config: func(c *paypal.Config) { c.Timeout = 150 * time.Millisecond },
			Kind: commerce.EUnavailable, Code: "gateway_unavailable", Msg: "no answer within 150ms"},
	}, setup, func(e *env) int { return gwtest.Succeeded(e.Fake.CallsTo("POST", "/v2/checkout/orders")) })
}

func TestExpiredTokenIsRenewed(t *testing.T) {
	e := setup(t)
	e.Start(t, startIn)
	e.Fake.ExpireTokens()
	e.P.ID = "pay_2"
	if _, err := e.GW.Start(context.Background(), e.P, payments.StartInput{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Fake.CallsTo("POST", "/v1/oauth2/token")); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestApproveCaptureRefund(t *testing.T) {
	e := setup(t)
	p := e.Start(t, startIn)
	ctx := context.Background()

	approved := e.Fake.Approve(p.ExternalID)
	e.Send(t, approved, 200)
	caps := e.Fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture")
	if len(caps) != 1 || caps[0].RequestID != "capture-pay_1" {
		t.Fatalf("capture calls = %+v", caps)
	}
	got := e.Payment(t)
	o, _ := e.Fake.Order(p.ExternalID)
	if got.Status != payments.StatusCaptured || got.Gateway["capture_id"] != o.CaptureID || o.Status != "COMPLETED" {
		t.Fatalf("payment = %+v, order %+v", got, o)
	}
	// PayPal's own capture webhook, the approval again, and replays: applied once, no second capture.
	completed := e.Fake.CaptureCompleted(p.ExternalID)
	e.Send(t, completed, 200)
	e.Send(t, completed, 200)
	e.Send(t, approved, 200)
	if e.N.Count() != 1 || len(e.Fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture")) != 1 {
		t.Fatalf("applied %d, captures %d", e.N.Count(), len(e.Fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture")))
	}

	res, err := e.GW.Refund(ctx, got, commerce.Money{Amount: 234, Currency: "USD"}, "ref_1")
	if err != nil || res.ExternalID == "" || res.Pending {
		t.Fatalf("refund = %+v %v", res, err)
	}
	calls := e.Fake.CallsTo("POST", "/v2/payments/captures/"+o.CaptureID+"/refund")
	if len(calls) != 1 || calls[0].RequestID != "ref_1" || !strings.Contains(string(calls[0].Body), `"value":"2.34"`) {
		t.Fatalf("refund calls = %+v", calls)
	}
	again, err := e.GW.Refund(ctx, got, commerce.Money{Amount: 234, Currency: "USD"}, "ref_1")
	if err != nil || again != res || len(e.Fake.Refunds()) != 1 {
		t.Fatalf("retried refund = %+v %v, refunds %+v", again, err, e.Fake.Refunds())
	}
	_, err = e.GW.Refund(ctx, got, commerce.Money{Amount: 5000, Currency: "USD"}, "ref_2")
	if ce := commerce.AsError(err); ce == nil || ce.Kind != commerce.EConflict || !strings.Contains(ce.Message, "REFUND_AMOUNT_EXCEEDED") {
		t.Fatalf("too large refund: %v", err)
	}
	if len(e.Fake.Refunds()) != 1 {
		t.Fatalf("a refused refund moved money: %+v", e.Fake.Refunds())
	}
	refunded := e.Fake.RefundCompleted(res.ExternalID)
	e.Send(t, refunded, 200)
	e.Send(t, refunded, 200)
	got = e.Payment(t)
	if got.Refunded.Amount != 234 || got.Status != payments.StatusPartiallyRefunded || e.N.Count() != 2 {
		t.Fatalf("payment after refund webhook = %+v (applied %d)", got, e.N.Count())
	}
	last := e.N.Applied[1]
	if last.PaymentID != "pay_1" || last.Gateway["refund_id"] != res.ExternalID || last.Gateway["capture_id"] != o.CaptureID {
		t.Fatalf("refund notification = %+v", last)
	}
}

func TestRefundMadeAtPayPal(t *testing.T) {
	// A refund made in PayPal's dashboard carries no custom_id: the capture names the payment.
	e := setup(t)
	p := e.Start(t, startIn)
	e.Send(t, e.Fake.Approve(p.ExternalID), 200)
	o, _ := e.Fake.Order(p.ExternalID)
	e.Send(t, e.Fake.Event("PAYMENT.CAPTURE.REFUNDED", "refund", map[string]any{"id": "DASHREFUND1", "status": "COMPLETED",
		"amount": paypaltest.Amount{CurrencyCode: "USD", Value: "12.34"},
		"links":  []map[string]string{{"rel": "up", "href": e.Fake.URL + "/v2/payments/captures/" + o.CaptureID}}}), 200)
	if got := e.Payment(t); got.Status != payments.StatusRefunded {
		t.Fatalf("payment = %+v", got)
	}
}

func TestWebhookRefused(t *testing.T) {
	scenarios := []struct {
		name    string
		deliver func(e *env, ev []byte) (int, []byte, error)
		cfg     func(*paypal.Config)
		status  int
	}{
		{name: "forged headers", status: 400, deliver: func(e *env, ev []byte) (int, []byte, error) {
			h := e.Fake.Sign([]byte(`{"other":1}`))
			return e.Fake.SendWith(ev, h)
		}},
		{name: "modified body", status: 400, deliver: func(e *env, ev []byte) (int, []byte, error) {
			h := e.Fake.Sign(ev)
			return e.Fake.SendWith([]byte(strings.Replace(string(ev), `"12.34"`, `"1.00"`, 1)), h)
		}},
		{name: "missing headers", status: 400, deliver: func(e *env, ev []byte) (int, []byte, error) {
			return e.Fake.SendWith(ev, paypaltest.Headers{})
		}},
		{name: "another webhook ID", status: 400, cfg: func(c *paypal.Config) { c.WebhookID = "WHOTHER" },
			deliver: func(e *env, ev []byte) (int, []byte, error) { return e.Fake.Send(ev) }},
		{name: "old transmission time", status: 400, cfg: func(c *paypal.Config) { c.Tolerance = 5 * time.Minute },
			deliver: func(e *env, ev []byte) (int, []byte, error) {
				h := e.Fake.Sign(ev)
				h["PAYPAL-TRANSMISSION-TIME"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
				return e.Fake.SendWith(ev, h)
			}},
		{name: "not JSON", status: 400, deliver: func(e *env, ev []byte) (int, []byte, error) {
			return e.Fake.Send([]byte("hello"))
		}},
		{name: "verification unavailable", status: 503, deliver: func(e *env, ev []byte) (int, []byte, error) {
			e.Fake.FailNextOn("/verify-webhook-signature", 500, "INTERNAL_SERVICE_ERROR", "boom")
			return e.Fake.Send(ev)
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := setup(t, sc.cfg)
			p := e.Start(t, startIn)
			status, body, err := sc.deliver(e, e.Fake.Approve(p.ExternalID))
			if err != nil {
				t.Fatal(err)
			}
			if status != sc.status {
				t.Fatalf("answered %d %s, want %d", status, body, sc.status)
			}
			if n := len(e.Fake.CallsTo("POST", "/v2/checkout/orders/"+p.ExternalID+"/capture")); n != 0 || e.N.Count() != 0 {
				t.Fatalf("a refused webhook captured (%d) or applied (%d)", n, e.N.Count())
			}
		})
	}
}

func TestApprovalRefused(t *testing.T) {
	scenarios := []struct {
		name    string
		prepare func(e *env, p payments.Payment) []byte
		status  int
		payment string // pay_1's status afterwards
	}{
		{name: "amount mismatch", status: 400, payment: payments.StatusPending, prepare: func(e *env, p payments.Payment) []byte {
			e.Fake.Approve(p.ExternalID)
			return e.Fake.OrderEvent("CHECKOUT.ORDER.APPROVED", p.ExternalID, &paypaltest.Amount{CurrencyCode: "USD", Value: "1.00"})
		}},
		{name: "currency mismatch", status: 400, payment: payments.StatusPending, prepare: func(e *env, p payments.Payment) []byte {
			e.Fake.Approve(p.ExternalID)
			return e.Fake.OrderEvent("CHECKOUT.ORDER.APPROVED", p.ExternalID, &paypaltest.Amount{CurrencyCode: "EUR", Value: "12.34"})
		}},
		{name: "unknown payment", status: 404, payment: payments.StatusPending, prepare: func(e *env, p payments.Payment) []byte {
			other := e.P
			other.ID = "pay_unknown"
			act, err := e.GW.Start(context.Background(), other, payments.StartInput{})
			if err != nil {
				panic(err)
			}
			return e.Fake.Approve(act.ExternalID)
		}},
		{name: "payment already cancelled", status: 409, payment: payments.StatusCancelled, prepare: func(e *env, p payments.Payment) []byte {
			p.Status = payments.StatusCancelled
			e.N.Put(p)
			return e.Fake.Approve(p.ExternalID)
		}},
		{name: "capture declined", status: 200, payment: payments.StatusFailed, prepare: func(e *env, p payments.Payment) []byte {
			e.Fake.FailNextOn("/capture", 422, "INSTRUMENT_DECLINED", "The instrument presented was either declined by the processor or bank.")
			return e.Fake.Approve(p.ExternalID)
		}},
		{name: "capture unavailable (PayPal retries)", status: 503, payment: payments.StatusPending, prepare: func(e *env, p payments.Payment) []byte {
			e.Fake.FailNextOn("/capture", 500, "INTERNAL_SERVER_ERROR", "boom")
			return e.Fake.Approve(p.ExternalID)
		}},
		{name: "unknown event type", status: 200, payment: payments.StatusPending, prepare: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("CUSTOMER.DISPUTE.CREATED", "dispute", map[string]any{"dispute_id": "PP-D-1"})
		}},
		{name: "capture denied", status: 200, payment: payments.StatusFailed, prepare: func(e *env, p payments.Payment) []byte {
			return e.Fake.Event("PAYMENT.CAPTURE.DENIED", "capture", map[string]any{"id": "CAPDENIED", "status": "DECLINED", "custom_id": "pay_1",
				"amount": paypaltest.Amount{CurrencyCode: "USD", Value: "12.34"}})
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := setup(t)
			p := e.Start(t, startIn)
			e.Send(t, sc.prepare(e, p), sc.status)
			if got := e.Payment(t); got.Status != sc.payment {
				t.Fatalf("payment = %s, want %s", got.Status, sc.payment)
			}
			if sc.payment == payments.StatusPending || sc.payment == payments.StatusCancelled {
				for _, c := range e.Fake.Calls() {
					if strings.HasSuffix(c.Path, "/capture") && c.Status < 300 {
						t.Fatalf("captured anyway: %+v", c)
					}
				}
			}
		})
	}
}

func TestRefundErrors(t *testing.T) {
	e := setup(t, func(c *paypal.Config) { c.Timeout = 150 * time.Millisecond })
	p := e.Start(t, startIn)
	if _, err := e.GW.Refund(context.Background(), p, commerce.Money{Amount: 100, Currency: "USD"}, "ref_1"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("refund before capture: %v", err)
	}
	e.Send(t, e.Fake.Approve(p.ExternalID), 200)
	got := e.Payment(t)
	e.Fake.Delay(5 * time.Second)
	if _, err := e.GW.Refund(context.Background(), got, commerce.Money{Amount: 100, Currency: "USD"}, "ref_1"); commerce.KindOf(err) != commerce.EUnavailable {
		t.Fatalf("timeout: %v", err)
	}
}
