package uzcard_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/fakenotifier"
	"github.com/ultramarket/ultramarket/gateways/payme/paymetest"
	"github.com/ultramarket/ultramarket/gateways/uzcard"
	"github.com/ultramarket/ultramarket/gateways/uzcard/uzcardtest"
)

type env struct {
	gw     *uzcard.Gateway
	n      *fakenotifier.Notifier
	center *uzcardtest.Center
}

func setup(t *testing.T, password string) env {
	t.Helper()
	n := fakenotifier.New(fakenotifier.Pending("p1", "uzcard", 250_000, "UZS"), fakenotifier.Pending("p2", "uzcard", 99_900, "UZS"))
	center := uzcardtest.New(t, "shop", "api-pass")
	gw, err := uzcard.New(uzcard.Config{APIBaseURL: center.URL, MerchantID: "m1", TerminalID: "t1", Login: "shop", Password: password,
		CallbackLogin: "uzcard", CallbackPassword: "cb-pass", Timeout: 300 * time.Millisecond, Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	center.CallbackURL, center.CallbackLogin, center.CallbackPassword = paymetest.Serve(t, gw), "uzcard", "cb-pass"
	return env{gw: gw, n: n, center: center}
}

func TestUzCardPayAndRefund(t *testing.T) {
	ctx := context.Background()
	e := setup(t, "api-pass")
	p := e.n.Get("p1")
	a, err := e.gw.Start(ctx, p, payments.StartInput{ReturnURL: "https://shop.example/o/1"})
	if err != nil || a.ExternalID == "" || a.RedirectURL != "https://checkout.uzcard.test/pay/"+a.ExternalID {
		t.Fatalf("Start = %+v, %v", a, err)
	}
	// Starting again registers nothing new (the same external ID).
	if again, err := e.gw.Start(ctx, p, payments.StartInput{}); err != nil || again.ExternalID != a.ExternalID {
		t.Fatalf("second Start = %+v, %v", again, err)
	}
	// A wrong SMS code fails the card: nothing is applied.
	if status, err := e.center.Pay(ctx, a.ExternalID, "000000"); err != nil || status != http.StatusOK {
		t.Fatalf("callback of a failed payment: %d, %v", status, err)
	}
	if e.n.Count() != 0 {
		t.Fatal("a failed card captured the payment")
	}
	if status, err := e.center.Pay(ctx, a.ExternalID, uzcardtest.OTP); err != nil || status != http.StatusOK {
		t.Fatalf("callback: %d, %v", status, err)
	}
	got := e.n.Get("p1")
	if got.Status != payments.StatusCaptured || got.ExternalID != a.ExternalID || e.n.Count() != 1 {
		t.Fatalf("payment %+v after %d notifications", got, e.n.Count())
	}
	// The same callback again (a retry or a replay) is applied once.
	body := []byte(`{"transaction_id":"` + a.ExternalID + `","external_id":"p1","status":"confirmed"}`)
	for range 2 {
		if status, err := e.center.Callback(ctx, body, "uzcard", "cb-pass"); err != nil || status != http.StatusOK {
			t.Fatalf("replayed callback: %d, %v", status, err)
		}
	}
	if e.n.Count() != 1 {
		t.Fatalf("replayed callbacks applied %d times", e.n.Count())
	}

	// Refunds: partial, the same refund ID again (idempotent), then above what is left.
	r1, err := e.gw.Refund(ctx, got, commerce.Money{Amount: 50_000, Currency: "UZS"}, "ref-1")
	if err != nil || r1.ExternalID == "" {
		t.Fatalf("Refund = %+v, %v", r1, err)
	}
	r1b, err := e.gw.Refund(ctx, got, commerce.Money{Amount: 50_000, Currency: "UZS"}, "ref-1")
	if err != nil || r1b.ExternalID != r1.ExternalID {
		t.Fatalf("repeated Refund = %+v, %v", r1b, err)
	}
	if tx, _ := e.center.Transaction(a.ExternalID); tx.ReversedAmount != 50_000 {
		t.Fatalf("reversed %d", tx.ReversedAmount)
	}
	if _, err := e.gw.Refund(ctx, got, commerce.Money{Amount: 200_001, Currency: "UZS"}, "ref-2"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("Refund above the rest: %v", err)
	}
	if _, err := e.gw.Refund(ctx, e.n.Get("p2"), commerce.Money{Amount: 1, Currency: "UZS"}, "ref-3"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("Refund of a payment never started: %v", err)
	}
}

func TestUzCardCallbackRefusals(t *testing.T) {
	ctx := context.Background()
	e := setup(t, "api-pass")
	a, err := e.gw.Start(ctx, e.n.Get("p2"), payments.StartInput{})
	if err != nil {
		t.Fatal(err)
	}
	confirmed := []byte(`{"transaction_id":"` + a.ExternalID + `","external_id":"p2","status":"confirmed"}`)
	scenarios := []struct {
		name        string
		body        []byte
		login, pass string
		prepare     func()
		status      int
	}{
		{"wrong callback password", confirmed, "uzcard", "nope", nil, http.StatusUnauthorized},
		{"wrong callback login", confirmed, "other", "cb-pass", nil, http.StatusUnauthorized},
		{"not JSON", []byte(`status=confirmed`), "uzcard", "cb-pass", nil, http.StatusBadRequest},
		{"unknown transaction", []byte(`{"transaction_id":"uzc-999","status":"confirmed"}`), "uzcard", "cb-pass", nil, http.StatusNotFound},
		// The callback says confirmed; the API says it is still waiting for the code.
		{"forged status", confirmed, "uzcard", "cb-pass", nil, http.StatusOK},
		{"other payment", []byte(`{"transaction_id":"` + a.ExternalID + `","external_id":"p1","status":"confirmed"}`), "uzcard", "cb-pass", nil, http.StatusBadRequest},
		{"amount differs", confirmed, "uzcard", "cb-pass", func() {
			e.center.Pay(ctx, a.ExternalID, "000000") // fail first, then tamper and confirm below
			e.center.SetAmount(a.ExternalID, 1)
		}, http.StatusOK},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			if s.prepare != nil {
				s.prepare()
			}
			status, err := e.center.Callback(ctx, s.body, s.login, s.pass)
			if err != nil || status != s.status {
				t.Fatalf("status %d, %v, want %d", status, err, s.status)
			}
		})
	}
	// Confirmed at the center for another amount than the payment's: refused, nothing moves.
	if status, _ := e.center.Pay(ctx, a.ExternalID, uzcardtest.OTP); status != http.StatusUnprocessableEntity {
		t.Fatalf("confirmed with another amount: %d", status)
	}
	if e.n.Count() != 0 || e.n.Get("p2").Status != payments.StatusPending {
		t.Fatalf("refused callbacks changed the payment: %+v", e.n.Get("p2"))
	}
}

func TestUzCardTimeoutsAndCredentials(t *testing.T) {
	ctx := context.Background()
	e := setup(t, "api-pass")
	a, err := e.gw.Start(ctx, e.n.Get("p1"), payments.StartInput{})
	if err != nil {
		t.Fatal(err)
	}
	e.center.Block(true)
	start := time.Now()
	if _, err := e.gw.Start(ctx, e.n.Get("p2"), payments.StartInput{}); commerce.KindOf(err) != commerce.EUnavailable {
		t.Fatalf("Start against a hung center: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %v", d)
	}
	// A callback the adapter cannot check now answers 503, so the center retries it.
	body := []byte(`{"transaction_id":"` + a.ExternalID + `","external_id":"p1","status":"confirmed"}`)
	if status, _ := e.center.Callback(ctx, body, "uzcard", "cb-pass"); status != http.StatusServiceUnavailable {
		t.Fatalf("callback while the API hangs: %d", status)
	}
	e.center.Block(false)
	if status, _ := e.center.Pay(ctx, a.ExternalID, uzcardtest.OTP); status != http.StatusOK || e.n.Get("p1").Status != payments.StatusCaptured {
		t.Fatalf("retried callback: %d, %+v", status, e.n.Get("p1"))
	}
	// A store that cannot apply the callback now answers 503 too.
	e.n.Err = commerce.Errorf(commerce.EUnavailable, "disk_full", "disk full")
	if status, _ := e.center.Callback(ctx, body, "uzcard", "cb-pass"); status != http.StatusServiceUnavailable {
		t.Fatalf("callback while the store refuses: %d", status)
	}
	e.n.Err = nil

	// Our wrong API password is a configuration error, not retryable.
	bad := setup(t, "wrong")
	if _, err := bad.gw.Start(ctx, bad.n.Get("p1"), payments.StartInput{}); commerce.KindOf(err) != commerce.EInternal {
		t.Fatalf("Start with a wrong password: %v", err)
	}
	if _, err := e.gw.Start(ctx, fakenotifier.Pending("x", "uzcard", 1, "USD"), payments.StartInput{}); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("Start in USD: %v", err)
	}
}
