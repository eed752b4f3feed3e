package e2e_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/payme"
	"github.com/ultramarket/ultramarket/gateways/payme/paymetest"
)

func TestPaymeEndToEnd(t *testing.T) {
	ctx := context.Background()
	const key = "payme-kassa-key"
	s := newUZShop(t, func(c *config.Config) {
		c.Payments.Payme = config.Payme{Enabled: true, MerchantID: "kassa-1", Key: key, CheckoutURL: "https://checkout.paycom.uz"}
	})
	pm := &paymetest.Client{URL: s.BaseURL + "/api/v1/payments/webhooks/payme", Key: key}

	if r := s.Do(t, "GET", "/api/v1/payments/methods", nil, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"id":"payme"`) {
		t.Fatalf("methods: %d %s", r.Status, r.Body)
	}
	o := s.order(t, "payme", 2)
	if o.Total.Currency != "UZS" {
		t.Fatalf("order total %+v", o.Total)
	}
	p := s.process(t, o.ID, "payme")
	if p.Status != payments.StatusPending || p.Action == nil {
		t.Fatalf("processed payment = %+v", p)
	}
	enc, ok := strings.CutPrefix(p.Action.RedirectURL, "https://checkout.paycom.uz/")
	raw, _ := base64.StdEncoding.DecodeString(enc)
	if !ok || !strings.HasPrefix(string(raw), "m=kassa-1;ac.payment_id="+p.ID+";a="+itoa(o.Total.Amount)) {
		t.Fatalf("checkout URL %s (%s)", p.Action.RedirectURL, raw)
	}

	// Payme's calls with a wrong key or a wrong amount change nothing.
	bad := &paymetest.Client{URL: pm.URL, Key: "wrong"}
	if r, err := bad.Create(ctx, "pm-x", 1, p.ID, o.Total.Amount); err != nil || r.Code() != payme.ErrInsufficientPrivs {
		t.Fatalf("wrong key: %+v %v", r, err)
	}
	if r, err := pm.CheckPerform(ctx, p.ID, o.Total.Amount-1); err != nil || r.Code() != payme.ErrWrongAmount {
		t.Fatalf("wrong amount: %+v %v", r, err)
	}
	if r, err := pm.CheckPerform(ctx, "no-such-payment", o.Total.Amount); err != nil || r.Code() != payme.ErrPaymentNotFound {
		t.Fatalf("unknown payment: %+v %v", r, err)
	}
	if got := s.payment(t, p.ID); got.Status != payments.StatusPending {
		t.Fatalf("refused calls moved the payment: %+v", got)
	}

	// Check → Create → Perform: captured, the order paid and confirmed.
	if r, err := pm.CheckPerform(ctx, p.ID, o.Total.Amount); err != nil || r.Code() != 0 {
		t.Fatalf("CheckPerform: %+v %v", r, err)
	}
	if r, err := pm.Create(ctx, "pm-1", time.Now().UnixMilli(), p.ID, o.Total.Amount); err != nil || r.Code() != 0 || r.Int("state") != payme.StateCreated {
		t.Fatalf("Create: %+v %v", r, err)
	}
	if r, err := pm.Create(ctx, "pm-2", time.Now().UnixMilli(), p.ID, o.Total.Amount); err != nil || r.Code() != payme.ErrPaymentBusy {
		t.Fatalf("second transaction: %+v %v", r, err)
	}
	first, err := pm.Perform(ctx, "pm-1")
	if err != nil || first.Code() != 0 || first.Int("state") != payme.StatePerformed {
		t.Fatalf("Perform: %+v %v", first, err)
	}
	if again, err := pm.Perform(ctx, "pm-1"); err != nil || again.Int("perform_time") != first.Int("perform_time") {
		t.Fatalf("repeated Perform: %+v %v", again, err)
	}
	if got := s.wantCaptured(t, p.ID, o, "Perform"); got.ExternalID != "pm-1" {
		t.Fatalf("payment after Perform = %+v", got)
	}
	if r, err := pm.Check(ctx, "pm-1"); err != nil || r.Int("state") != payme.StatePerformed {
		t.Fatalf("CheckTransaction: %+v %v", r, err)
	}
	if r, err := pm.Statement(ctx, time.Now().Add(-time.Hour).UnixMilli(), time.Now().Add(time.Hour).UnixMilli()); err != nil ||
		len(r.Result["transactions"].([]any)) != 1 {
		t.Fatalf("GetStatement: %+v %v", r, err)
	}

	// A refund through our API is refused (Payme refunds from its cabinet); Payme's
	// CancelTransaction of the performed transaction refunds the payment once.
	r := s.Do(t, "POST", "/api/v1/payments/"+p.ID+"/refund", map[string]any{"amount": map[string]any{"amount": 100, "currency": "UZS"}, "reason": "asked"}, s.admin.Bearer())
	if r.Status < 400 || !strings.Contains(string(r.Body), "refund_in_gateway_cabinet") {
		t.Fatalf("refund through the API: %d %s", r.Status, r.Body)
	}
	for range 2 {
		if c, err := pm.Cancel(ctx, "pm-1", 5); err != nil || c.Int("state") != payme.StateCancelledPerformed {
			t.Fatalf("CancelTransaction: %+v %v", c, err)
		}
	}
	got := s.payment(t, p.ID)
	if got.Status != payments.StatusRefunded || got.Refunded != o.Total {
		t.Fatalf("payment after CancelTransaction = %+v", got)
	}
	if ord := s.readOrder(t, o.ID); ord.PaymentStatus != "refunded" {
		t.Fatalf("order after CancelTransaction = %+v", ord)
	}
}
