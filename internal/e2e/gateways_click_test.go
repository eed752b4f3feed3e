package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/click"
	"github.com/ultramarket/ultramarket/gateways/click/clicktest"
)

func TestClickEndToEnd(t *testing.T) {
	ctx := context.Background()
	const secret = "click-secret"
	api := clicktest.NewMerchantAPI(t, "77", secret)
	s := newUZShop(t, func(c *config.Config) {
		c.Payments.Click = config.Click{Enabled: true, ServiceID: "101", MerchantID: "202", MerchantUserID: "77", SecretKey: secret,
			CheckoutURL: "https://my.click.uz/services/pay", APIURL: api.URL, Timeout: config.Dur(time.Second)}
	})
	cl := &clicktest.Client{URL: s.BaseURL + "/api/v1/payments/webhooks/click", ServiceID: "101", SecretKey: secret}
	o := s.order(t, "click", 1)
	p := s.process(t, o.ID, "click")
	if p.Action == nil || p.Action.RedirectURL == "" {
		t.Fatalf("processed payment = %+v", p)
	}
	sum := click.FormatAmount(o.Total.Amount)
	do := func(c clicktest.Call) clicktest.Answer {
		t.Helper()
		a, err := cl.Do(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := do(clicktest.Call{ClickTransID: "1", MerchantTransID: p.ID, Amount: sum, BadSign: true}); a.Error != click.ErrSignCheck {
		t.Fatalf("bad sign: %+v", a)
	}
	if a := do(clicktest.Call{ClickTransID: "1", MerchantTransID: p.ID, Amount: click.FormatAmount(o.Total.Amount + 100)}); a.Error != click.ErrAmount {
		t.Fatalf("wrong amount: %+v", a)
	}
	prep := do(clicktest.Call{ClickTransID: "1", MerchantTransID: p.ID, Amount: sum})
	if prep.Error != click.OK {
		t.Fatalf("Prepare: %+v", prep)
	}
	complete := clicktest.Call{ClickTransID: "1", MerchantTransID: p.ID, PrepareID: prep.MerchantPrepareID, Amount: sum, Action: click.ActionComplete}
	if a := do(complete); a.Error != click.OK || a.MerchantConfirmID == 0 {
		t.Fatalf("Complete: %+v", a)
	}
	if a := do(complete); a.Error != click.ErrAlreadyPaid {
		t.Fatalf("duplicate Complete: %+v", a)
	}
	s.wantCaptured(t, p.ID, o, "Complete")
	// A full refund through the API reverses the Click payment.
	r := s.Do(t, "POST", "/api/v1/payments/"+p.ID+"/refund", map[string]any{"amount": o.Total, "reason": "asked"}, s.admin.Bearer())
	if r.Status != 200 || !api.Reversed("doc-1") {
		t.Fatalf("refund: %d %s (reversed %v)", r.Status, r.Body, api.Reversed("doc-1"))
	}
}
