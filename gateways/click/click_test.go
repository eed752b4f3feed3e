package click_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/click"
	"github.com/ultramarket/ultramarket/gateways/click/clicktest"
	"github.com/ultramarket/ultramarket/gateways/internal/fakenotifier"
	"github.com/ultramarket/ultramarket/gateways/internal/memstate"
	"github.com/ultramarket/ultramarket/gateways/payme/paymetest"
)

const secret = "click-secret"

type env struct {
	gw     *click.Gateway
	n      *fakenotifier.Notifier
	st     *memstate.Store
	client *clicktest.Client
	api    *clicktest.MerchantAPI
}

func setup(t *testing.T) env {
	t.Helper()
	n := fakenotifier.New(
		fakenotifier.Pending("p1", "click", 500_000, "UZS"),
		fakenotifier.Pending("p2", "click", 123_450, "UZS"),
		fakenotifier.Pending("cash1", "cash", 500_000, "UZS"),
	)
	api := clicktest.NewMerchantAPI(t, "77", secret)
	st := memstate.New()
	gw, err := click.New(click.Config{ServiceID: "101", MerchantID: "202", MerchantUserID: "77", SecretKey: secret,
		APIURL: api.URL, Timeout: 200 * time.Millisecond, Notifier: n, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	// paymetest.Serve hands POSTs to any payments.Webhook.
	return env{gw: gw, n: n, st: st, api: api, client: &clicktest.Client{URL: paymetest.Serve(t, gw), ServiceID: "101", SecretKey: secret}}
}

func do(t *testing.T, e env, c clicktest.Call) clicktest.Answer {
	t.Helper()
	a, err := e.client.Do(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestClickPrepareComplete(t *testing.T) {
	e := setup(t)
	prep := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", Amount: "5000.00", Action: click.ActionPrepare})
	if prep.Error != click.OK || prep.MerchantPrepareID == 0 || prep.ClickTransID != "9001" || prep.MerchantTransID != "p1" {
		t.Fatalf("Prepare = %+v", prep)
	}
	again := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", Amount: "5000", Action: click.ActionPrepare})
	if again.Error != click.OK || again.MerchantPrepareID != prep.MerchantPrepareID {
		t.Fatalf("repeated Prepare = %+v, first %+v", again, prep)
	}
	if e.n.Count() != 0 {
		t.Fatal("Prepare notified the payments service")
	}
	// Complete with a prepare ID Click never got is refused.
	if a := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", PrepareID: prep.MerchantPrepareID + 1, Amount: "5000.00", Action: click.ActionComplete}); a.Error != click.ErrTxNotFound {
		t.Fatalf("Complete with another prepare ID = %+v", a)
	}
	// Complete with another amount than prepared is refused.
	if a := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", PrepareID: prep.MerchantPrepareID, Amount: "4999.99", Action: click.ActionComplete}); a.Error != click.ErrAmount {
		t.Fatalf("Complete with another amount = %+v", a)
	}
	if e.n.Count() != 0 {
		t.Fatal("a refused Complete was applied")
	}
	done := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", PrepareID: prep.MerchantPrepareID, Amount: "5000.00", Action: click.ActionComplete})
	if done.Error != click.OK || done.MerchantConfirmID != prep.MerchantPrepareID {
		t.Fatalf("Complete = %+v", done)
	}
	p := e.n.Get("p1")
	if p.Status != payments.StatusCaptured || e.n.Count() != 1 || p.ExternalID != "9001" {
		t.Fatalf("payment %+v after %d notifications", p, e.n.Count())
	}
	no := e.n.Applied[0]
	if no.Amount != (commerce.Money{Amount: 500_000, Currency: "UZS"}) || no.Gateway["click_paydoc_id"] != "doc-9001" {
		t.Fatalf("notification %+v", no)
	}
	// A duplicate Complete is "already paid" and applied once.
	dup := do(t, e, clicktest.Call{ClickTransID: "9001", MerchantTransID: "p1", PrepareID: prep.MerchantPrepareID, Amount: "5000.00", Action: click.ActionComplete})
	if dup.Error != click.ErrAlreadyPaid || e.n.Count() != 1 {
		t.Fatalf("duplicate Complete = %+v, %d notifications", dup, e.n.Count())
	}
	// A new Prepare for the paid payment is "already paid".
	if a := do(t, e, clicktest.Call{ClickTransID: "9002", MerchantTransID: "p1", Amount: "5000.00", Action: click.ActionPrepare}); a.Error != click.ErrAlreadyPaid {
		t.Fatalf("Prepare of a paid payment = %+v", a)
	}

	// Refund reverses the whole payment through the merchant API.
	p.Gateway = map[string]string{"click_paydoc_id": "doc-9001"}
	if _, err := e.gw.Refund(context.Background(), p, commerce.Money{Amount: 1, Currency: "UZS"}, "r0"); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("partial refund: %v", err)
	}
	res, err := e.gw.Refund(context.Background(), p, p.Captured, "r1")
	if err != nil || res.ExternalID != "doc-9001" || !e.api.Reversed("doc-9001") {
		t.Fatalf("Refund = %+v, %v", res, err)
	}
	if _, err := e.gw.Refund(context.Background(), p, p.Captured, "r2"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("second reversal: %v", err)
	}
	e.api.Block = true
	if _, err := e.gw.Refund(context.Background(), p, p.Captured, "r3"); commerce.KindOf(err) != commerce.EUnavailable {
		t.Fatalf("reversal timeout: %v", err)
	}
	bad, _ := click.New(click.Config{ServiceID: "101", MerchantID: "202", MerchantUserID: "77", SecretKey: "other", APIURL: e.api.URL, Notifier: e.n, Store: e.st})
	e.api.Block = false
	if _, err := bad.Refund(context.Background(), p, p.Captured, "r4"); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("reversal with a wrong secret: %v", err)
	}
}

func TestClickRefusals(t *testing.T) {
	e := setup(t)
	prep := do(t, e, clicktest.Call{ClickTransID: "500", MerchantTransID: "p2", Amount: "1234.50", Action: click.ActionPrepare})
	if prep.Error != click.OK {
		t.Fatalf("Prepare = %+v", prep)
	}
	scenarios := []struct {
		name string
		call clicktest.Call
		code int
	}{
		{"bad sign prepare", clicktest.Call{ClickTransID: "1", MerchantTransID: "p1", Amount: "5000.00", BadSign: true}, click.ErrSignCheck},
		{"bad sign complete", clicktest.Call{ClickTransID: "500", MerchantTransID: "p2", PrepareID: prep.MerchantPrepareID, Amount: "1234.50", Action: click.ActionComplete, BadSign: true}, click.ErrSignCheck},
		{"wrong amount", clicktest.Call{ClickTransID: "2", MerchantTransID: "p1", Amount: "4000.00"}, click.ErrAmount},
		{"three decimals", clicktest.Call{ClickTransID: "3", MerchantTransID: "p1", Amount: "5000.001"}, click.ErrAmount},
		{"unknown action", clicktest.Call{ClickTransID: "4", MerchantTransID: "p1", Amount: "5000.00", Action: 7}, click.ErrAction},
		{"unknown payment", clicktest.Call{ClickTransID: "5", MerchantTransID: "nope", Amount: "5000.00"}, click.ErrOrderNotFound},
		{"cash payment", clicktest.Call{ClickTransID: "6", MerchantTransID: "cash1", Amount: "5000.00"}, click.ErrOrderNotFound},
		{"complete unknown transaction", clicktest.Call{ClickTransID: "7", MerchantTransID: "p1", PrepareID: 1, Amount: "5000.00", Action: click.ActionComplete}, click.ErrTxNotFound},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			if a := do(t, e, s.call); a.Error != s.code || a.ErrorNote == "" {
				t.Fatalf("answer %+v, want error %d", a, s.code)
			}
		})
	}
	// A form missing fields is an error in the request.
	a, err := e.client.Post(context.Background(), url.Values{"click_trans_id": {"1"}}.Encode())
	if err != nil || a.Error != click.ErrRequest {
		t.Fatalf("missing fields = %+v, %v", a, err)
	}
	// Another service's call (correctly signed by it) is refused.
	other := &clicktest.Client{URL: e.client.URL, ServiceID: "999", SecretKey: secret}
	if a, err := other.Do(context.Background(), clicktest.Call{ClickTransID: "8", MerchantTransID: "p1", Amount: "5000.00"}); err != nil || a.Error != click.ErrRequest {
		t.Fatalf("other service = %+v, %v", a, err)
	}
	if e.n.Count() != 0 || e.n.Get("p1").Status != payments.StatusPending {
		t.Fatal("a refused call changed a payment")
	}
	for _, id := range []string{"1", "2", "3", "5", "6"} {
		if _, err := e.st.Get(context.Background(), id); commerce.KindOf(err) != commerce.ENotFound {
			t.Fatalf("refused Prepare %s stored a transaction", id)
		}
	}

	// Click reports a failed charge on Complete (error < 0): the transaction is cancelled,
	// the payment stays pending, a later Complete is "cancelled", and a new Prepare works.
	if a := do(t, e, clicktest.Call{ClickTransID: "500", MerchantTransID: "p2", PrepareID: prep.MerchantPrepareID, Amount: "1234.50", Action: click.ActionComplete, Error: -5017}); a.Error != click.ErrTxCancelled {
		t.Fatalf("Complete with Click's error = %+v", a)
	}
	if a := do(t, e, clicktest.Call{ClickTransID: "500", MerchantTransID: "p2", PrepareID: prep.MerchantPrepareID, Amount: "1234.50", Action: click.ActionComplete}); a.Error != click.ErrTxCancelled {
		t.Fatalf("Complete of a cancelled transaction = %+v", a)
	}
	if a := do(t, e, clicktest.Call{ClickTransID: "500", MerchantTransID: "p2", Amount: "1234.50"}); a.Error != click.ErrTxCancelled {
		t.Fatalf("Prepare of a cancelled transaction = %+v", a)
	}
	if e.n.Get("p2").Status != payments.StatusPending || e.n.Count() != 0 {
		t.Fatalf("a cancelled transaction changed the payment: %+v", e.n.Get("p2"))
	}
	p2 := do(t, e, clicktest.Call{ClickTransID: "501", MerchantTransID: "p2", Amount: "1234.5"})
	c2 := do(t, e, clicktest.Call{ClickTransID: "501", MerchantTransID: "p2", PrepareID: p2.MerchantPrepareID, Amount: "1234.5", Action: click.ActionComplete})
	if c2.Error != click.OK || e.n.Get("p2").Status != payments.StatusCaptured {
		t.Fatalf("second attempt = %+v, payment %+v", c2, e.n.Get("p2"))
	}
}

func TestClickStoreFailureIsRetried(t *testing.T) {
	e := setup(t)
	prep := do(t, e, clicktest.Call{ClickTransID: "42", MerchantTransID: "p1", Amount: "5000.00"})
	e.n.Err = commerce.Errorf(commerce.EUnavailable, "disk_full", "disk full")
	c := clicktest.Call{ClickTransID: "42", MerchantTransID: "p1", PrepareID: prep.MerchantPrepareID, Amount: "5000.00", Action: click.ActionComplete}
	if a := do(t, e, c); a.Error != click.ErrUpdate {
		t.Fatalf("Complete while the store refuses = %+v", a)
	}
	e.n.Err = nil
	if a := do(t, e, c); a.Error != click.OK || e.n.Count() != 1 {
		t.Fatalf("retried Complete = %+v", a)
	}
}

func TestClickStartAndAmounts(t *testing.T) {
	e := setup(t)
	a, err := e.gw.Start(context.Background(), fakenotifier.Pending("p1", "click", 500_005, "UZS"), payments.StartInput{ReturnURL: "https://shop.example/o/1"})
	if err != nil {
		t.Fatal(err)
	}
	base, query, _ := strings.Cut(a.RedirectURL, "?")
	q, _ := url.ParseQuery(query)
	if base != "https://my.click.uz/services/pay" || q.Get("service_id") != "101" || q.Get("merchant_id") != "202" ||
		q.Get("amount") != "5000.05" || q.Get("transaction_param") != "p1" || q.Get("return_url") != "https://shop.example/o/1" {
		t.Fatalf("RedirectURL %s", a.RedirectURL)
	}
	if _, err := e.gw.Start(context.Background(), fakenotifier.Pending("p1", "click", 5, "USD"), payments.StartInput{}); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("Start in USD: %v", err)
	}
	for in, want := range map[string]int64{"5000": 500_000, "5000.5": 500_050, "0.01": 1, "12.30": 1230} {
		if got, ok := click.ParseAmount(in); !ok || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-1", "1.234", "1e3", "abc", ".5"} {
		if _, ok := click.ParseAmount(in); ok {
			t.Errorf("ParseAmount(%q) accepted", in)
		}
	}
}
