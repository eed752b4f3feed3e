package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/uzcard/uzcardtest"
)

func TestUzCardEndToEnd(t *testing.T) {
	ctx := context.Background()
	center := uzcardtest.New(t, "shop", "api-pass")
	s := newUZShop(t, func(c *config.Config) {
		c.Payments.UzCard = config.UzCard{Enabled: true, APIBaseURL: center.URL, MerchantID: "m1", TerminalID: "t1", Login: "shop", Password: "api-pass",
			CallbackLogin: "uzcard", CallbackPassword: "cb-pass", Timeout: config.Dur(time.Second)}
	})
	center.CallbackURL, center.CallbackLogin, center.CallbackPassword = s.BaseURL+"/api/v1/payments/webhooks/uzcard", "uzcard", "cb-pass"
	o := s.order(t, "uzcard", 1)

	center.Block(true)
	if r := s.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": o.ID, "method": "uzcard"}, s.customer.Bearer()); r.Status != 503 {
		t.Fatalf("process while UzCard hangs: %d %s", r.Status, r.Body)
	}
	center.Block(false)
	p := s.process(t, o.ID, "uzcard")
	if p.Action == nil || p.Action.RedirectURL == "" || p.ExternalID == "" {
		t.Fatalf("processed payment = %+v", p)
	}
	body := []byte(`{"transaction_id":"` + p.ExternalID + `","external_id":"` + p.ID + `","status":"confirmed"}`)
	if st, _ := center.Callback(ctx, body, "uzcard", "wrong"); st != http.StatusUnauthorized {
		t.Fatalf("callback with a wrong password: %d", st)
	}
	if st, _ := center.Callback(ctx, body, "uzcard", "cb-pass"); st != http.StatusOK || s.payment(t, p.ID).Status != payments.StatusPending {
		t.Fatalf("forged confirmation (the center says created): %d", st)
	}
	if st, err := center.Pay(ctx, p.ExternalID, uzcardtest.OTP); err != nil || st != http.StatusOK {
		t.Fatalf("pay: %d %v", st, err)
	}
	if st, _ := center.Callback(ctx, body, "uzcard", "cb-pass"); st != http.StatusOK {
		t.Fatalf("replayed callback: %d", st)
	}
	s.wantCaptured(t, p.ID, o, "the callback")
	r := s.Do(t, "POST", "/api/v1/payments/"+p.ID+"/refund", map[string]any{"amount": map[string]any{"amount": 10_000, "currency": "UZS"}, "reason": "asked"}, s.admin.Bearer())
	if tx, _ := center.Transaction(p.ExternalID); r.Status != 200 || tx.ReversedAmount != 10_000 {
		t.Fatalf("refund: %d %s, reversed %d", r.Status, r.Body, tx.ReversedAmount)
	}
}
