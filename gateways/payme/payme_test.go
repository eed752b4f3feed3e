package payme_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/fakenotifier"
	"github.com/ultramarket/ultramarket/gateways/internal/memstate"
	"github.com/ultramarket/ultramarket/gateways/payme"
	"github.com/ultramarket/ultramarket/gateways/payme/paymetest"
)

const key = "secret-kassa-key"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	gw     *payme.Gateway
	n      *fakenotifier.Notifier
	client *paymetest.Client
	clock  *clock
}

func setup(t *testing.T) env {
	t.Helper()
	n := fakenotifier.New(
		fakenotifier.Pending("p1", "payme", 500_000, "UZS"),
		fakenotifier.Pending("p2", "payme", 120_000, "UZS"),
		fakenotifier.Pending("cash1", "cash", 500_000, "UZS"),
	)
	c := &clock{now: time.UnixMilli(1_760_000_000_000)}
	gw, err := payme.New(payme.Config{MerchantID: "m-1", Key: key, Notifier: n, Store: memstate.New(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return env{gw: gw, n: n, client: &paymetest.Client{URL: paymetest.Serve(t, gw), Key: key}, clock: c}
}

func must(t *testing.T) func(paymetest.Response, error) paymetest.Response {
	return func(r paymetest.Response, err error) paymetest.Response {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func wantCode(t *testing.T, what string, code int) func(paymetest.Response, error) {
	return func(r paymetest.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r.Code() != code {
			t.Fatalf("%s: code %d (%v, result %v), want %d", what, r.Code(), r.Error, r.Result, code)
		}
	}
}

func TestPaymeSuccessAndReplays(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	r := must(t)(e.client.CheckPerform(ctx, "p1", 500_000))
	if r.Code() != 0 || r.Result["allow"] != true {
		t.Fatalf("CheckPerform = %+v", r)
	}
	created := must(t)(e.client.Create(ctx, "pm-1", 1_759_999_999_000, "p1", 500_000))
	if created.Code() != 0 || created.Int("state") != payme.StateCreated || created.Result["transaction"] != "pm-1" {
		t.Fatalf("Create = %+v", created)
	}
	e.clock.Add(time.Minute)
	again := must(t)(e.client.Create(ctx, "pm-1", 1_759_999_999_000, "p1", 500_000))
	if again.Int("create_time") != created.Int("create_time") {
		t.Fatalf("repeated Create answered another create_time: %+v vs %+v", again, created)
	}
	if e.n.Count() != 0 {
		t.Fatal("Create notified the payments service")
	}
	performed := must(t)(e.client.Perform(ctx, "pm-1"))
	if performed.Code() != 0 || performed.Int("state") != payme.StatePerformed {
		t.Fatalf("Perform = %+v", performed)
	}
	e.clock.Add(time.Minute)
	replay := must(t)(e.client.Perform(ctx, "pm-1"))
	if replay.Int("perform_time") != performed.Int("perform_time") || replay.Int("state") != payme.StatePerformed {
		t.Fatalf("repeated Perform = %+v, first %+v", replay, performed)
	}
	if e.n.Count() != 1 || e.n.Get("p1").Status != payments.StatusCaptured {
		t.Fatalf("applied %d notifications, payment %+v", e.n.Count(), e.n.Get("p1"))
	}
	no := e.n.Applied[0]
	if no.Kind != payments.NotifyCaptured || no.Amount != (commerce.Money{Amount: 500_000, Currency: "UZS"}) || no.ExternalID != "pm-1" || no.EventID == "" {
		t.Fatalf("notification %+v", no)
	}
	chk := must(t)(e.client.Check(ctx, "pm-1"))
	if chk.Int("state") != payme.StatePerformed || chk.Int("perform_time") != performed.Int("perform_time") || chk.Result["reason"] != nil {
		t.Fatalf("CheckTransaction = %+v", chk)
	}
	// A performed payment cannot be paid again: CheckPerform and a new Create refuse it.
	wantCode(t, "CheckPerform of a paid payment", payme.ErrPaymentNotPayable)(e.client.CheckPerform(ctx, "p1", 500_000))
	wantCode(t, "Create for a paid payment", payme.ErrPaymentNotPayable)(e.client.Create(ctx, "pm-2", 1, "p1", 500_000))
	// Create after perform with the same ID cannot be performed again.
	wantCode(t, "Create of a performed transaction", payme.ErrCannotPerform)(e.client.Create(ctx, "pm-1", 1, "p1", 500_000))

	st := must(t)(e.client.Statement(ctx, created.Int("create_time"), created.Int("create_time")))
	txs, _ := st.Result["transactions"].([]any)
	if len(txs) != 1 || txs[0].(map[string]any)["id"] != "pm-1" || txs[0].(map[string]any)["account"].(map[string]any)["payment_id"] != "p1" {
		t.Fatalf("GetStatement = %+v", st)
	}
	st = must(t)(e.client.Statement(ctx, created.Int("create_time")+1, created.Int("create_time")+10_000))
	if txs, _ := st.Result["transactions"].([]any); len(txs) != 0 {
		t.Fatalf("GetStatement after the transaction = %+v", st)
	}

	// Payme cancels the performed transaction (a refund from its cabinet): refunded once.
	c1 := must(t)(e.client.Cancel(ctx, "pm-1", 5))
	if c1.Int("state") != payme.StateCancelledPerformed {
		t.Fatalf("Cancel = %+v", c1)
	}
	c2 := must(t)(e.client.Cancel(ctx, "pm-1", 5))
	if c2.Int("cancel_time") != c1.Int("cancel_time") || c2.Int("state") != payme.StateCancelledPerformed {
		t.Fatalf("repeated Cancel = %+v", c2)
	}
	if e.n.Count() != 2 || e.n.Get("p1").Status != payments.StatusRefunded || e.n.Applied[1].Kind != payments.NotifyRefunded {
		t.Fatalf("after cancel: %d notifications, payment %+v", e.n.Count(), e.n.Get("p1"))
	}
	wantCode(t, "Perform of a cancelled transaction", payme.ErrCannotPerform)(e.client.Perform(ctx, "pm-1"))
	if chk := must(t)(e.client.Check(ctx, "pm-1")); chk.Int("reason") != 5 || chk.Int("state") != payme.StateCancelledPerformed {
		t.Fatalf("CheckTransaction after cancel = %+v", chk)
	}
}

func TestPaymeRefusals(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	bad := &paymetest.Client{URL: e.client.URL, Key: "wrong"}
	scenarios := []struct {
		name string
		call func() (paymetest.Response, error)
		code int
	}{
		{"wrong key", func() (paymetest.Response, error) { return bad.Create(ctx, "x1", 1, "p1", 500_000) }, payme.ErrInsufficientPrivs},
		{"no authorization", func() (paymetest.Response, error) {
			return e.client.Raw(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"PerformTransaction","params":{"id":"x"}}`), "")
		}, payme.ErrInsufficientPrivs},
		{"other user", func() (paymetest.Response, error) {
			return e.client.Raw(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"CheckTransaction","params":{"id":"x"}}`),
				"Basic "+base64.StdEncoding.EncodeToString([]byte("Other:"+key)))
		}, payme.ErrInsufficientPrivs},
		{"parse error", func() (paymetest.Response, error) { return e.client.Raw(ctx, []byte(`{"jsonrpc":`), "") }, payme.ErrParse},
		{"no params", func() (paymetest.Response, error) {
			return e.client.Raw(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"CheckTransaction"}`),
				"Basic "+base64.StdEncoding.EncodeToString([]byte("Paycom:"+key)))
		}, payme.ErrInvalidRequest},
		{"unknown method", func() (paymetest.Response, error) { return e.client.Call(ctx, "ChangeSomething", map[string]any{}) }, payme.ErrMethodNotFound},
		{"check wrong amount", func() (paymetest.Response, error) { return e.client.CheckPerform(ctx, "p1", 499_999) }, payme.ErrWrongAmount},
		{"check unknown payment", func() (paymetest.Response, error) { return e.client.CheckPerform(ctx, "nope", 500_000) }, payme.ErrPaymentNotFound},
		{"check no account", func() (paymetest.Response, error) {
			return e.client.Call(ctx, "CheckPerformTransaction", map[string]any{"amount": 500_000, "account": map[string]string{}})
		}, payme.ErrPaymentNotFound},
		{"check cash payment", func() (paymetest.Response, error) { return e.client.CheckPerform(ctx, "cash1", 500_000) }, payme.ErrPaymentNotPayable},
		{"create wrong amount", func() (paymetest.Response, error) { return e.client.Create(ctx, "x2", 1, "p1", 1) }, payme.ErrWrongAmount},
		{"create unknown payment", func() (paymetest.Response, error) { return e.client.Create(ctx, "x3", 1, "nope", 1) }, payme.ErrPaymentNotFound},
		{"perform unknown", func() (paymetest.Response, error) { return e.client.Perform(ctx, "x4") }, payme.ErrTxNotFound},
		{"cancel unknown", func() (paymetest.Response, error) { return e.client.Cancel(ctx, "x5", 1) }, payme.ErrTxNotFound},
		{"check unknown", func() (paymetest.Response, error) { return e.client.Check(ctx, "x6") }, payme.ErrTxNotFound},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			r, err := s.call()
			wantCode(t, s.name, s.code)(r, err)
		})
	}
	// Nothing changed: no notification, no transaction stored, the payment still pending.
	if e.n.Count() != 0 || e.n.Get("p1").Status != payments.StatusPending {
		t.Fatalf("refusals changed something: %d notifications, %+v", e.n.Count(), e.n.Get("p1"))
	}
	for _, id := range []string{"x1", "x2", "x3"} {
		wantCode(t, "refused transaction "+id, payme.ErrTxNotFound)(e.client.Check(ctx, id))
	}
	// The wrong key learns nothing about existing transactions either.
	must(t)(e.client.Create(ctx, "ok-1", 1, "p1", 500_000))
	wantCode(t, "wrong key perform", payme.ErrInsufficientPrivs)(bad.Perform(ctx, "ok-1"))
	if e.n.Count() != 0 {
		t.Fatal("a call with a wrong key was applied")
	}
}

func TestPaymeOneActiveTransactionPerPayment(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	must(t)(e.client.Create(ctx, "a", 1, "p2", 120_000))
	wantCode(t, "second transaction", payme.ErrPaymentBusy)(e.client.Create(ctx, "b", 2, "p2", 120_000))
	// Once the first is cancelled (before perform), another may pay: the payment stayed pending.
	c := must(t)(e.client.Cancel(ctx, "a", 3))
	if c.Int("state") != payme.StateCancelled {
		t.Fatalf("Cancel created = %+v", c)
	}
	if e.n.Get("p2").Status != payments.StatusPending || e.n.Count() != 0 {
		t.Fatalf("cancelling a created transaction changed the payment: %+v", e.n.Get("p2"))
	}
	wantCode(t, "perform cancelled", payme.ErrCannotPerform)(e.client.Perform(ctx, "a"))
	if r := must(t)(e.client.Create(ctx, "b", 2, "p2", 120_000)); r.Code() != 0 {
		t.Fatalf("Create after cancel = %+v", r)
	}
	if r := must(t)(e.client.Perform(ctx, "b")); r.Code() != 0 {
		t.Fatalf("Perform = %+v", r)
	}
	if e.n.Get("p2").Status != payments.StatusCaptured || e.n.Count() != 1 {
		t.Fatalf("payment %+v", e.n.Get("p2"))
	}
}

func TestPaymeTimeout(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	must(t)(e.client.Create(ctx, "slow", 1, "p1", 500_000))
	e.clock.Add(payme.Timeout) // exactly 12 h: still performable? no — check one millisecond later
	e.clock.Add(time.Millisecond)
	wantCode(t, "perform after 12 h", payme.ErrCannotPerform)(e.client.Perform(ctx, "slow"))
	chk := must(t)(e.client.Check(ctx, "slow"))
	if chk.Int("state") != payme.StateCancelled || chk.Int("reason") != payme.ReasonTimeout {
		t.Fatalf("expired transaction = %+v", chk)
	}
	if e.n.Count() != 0 || e.n.Get("p1").Status != payments.StatusPending {
		t.Fatal("an expired transaction captured the payment")
	}
	// A new transaction for the same payment is accepted and performed.
	must(t)(e.client.Create(ctx, "fresh", 2, "p1", 500_000))
	e.clock.Add(payme.Timeout) // exactly 12 h is still in time
	if r := must(t)(e.client.Perform(ctx, "fresh")); r.Code() != 0 {
		t.Fatalf("Perform at 12 h = %+v", r)
	}
	// A second transaction while an expired one is still "created" is accepted too.
	must(t)(e.client.Create(ctx, "q1", 3, "p2", 120_000))
	e.clock.Add(payme.Timeout + time.Second)
	if r := must(t)(e.client.Create(ctx, "q2", 4, "p2", 120_000)); r.Code() != 0 {
		t.Fatalf("Create after the other expired = %+v", r)
	}
	if chk := must(t)(e.client.Check(ctx, "q1")); chk.Int("state") != payme.StateCancelled || chk.Int("reason") != payme.ReasonTimeout {
		t.Fatalf("expired q1 = %+v", chk)
	}
}

func TestPaymeNotifierFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	must(t)(e.client.Create(ctx, "t1", 1, "p1", 500_000))
	e.n.Err = commerce.Errorf(commerce.EUnavailable, "disk_full", "disk full")
	wantCode(t, "perform while the store refuses", payme.ErrSystem)(e.client.Perform(ctx, "t1"))
	if chk := must(t)(e.client.Check(ctx, "t1")); chk.Int("state") != payme.StateCreated {
		t.Fatalf("state after a failed perform = %+v", chk)
	}
	e.n.Err = nil
	if r := must(t)(e.client.Perform(ctx, "t1")); r.Code() != 0 {
		t.Fatalf("retried Perform = %+v", r)
	}
	// The payments service refusing the amount (a payment changed meanwhile) is -31001.
	e.n.Put(fakenotifier.Pending("p9", "payme", 100, "UZS"))
	must(t)(e.client.Create(ctx, "t9", 1, "p9", 100))
	e.n.Put(fakenotifier.Pending("p9", "payme", 200, "UZS"))
	wantCode(t, "perform with a changed amount", payme.ErrWrongAmount)(e.client.Perform(ctx, "t9"))
}

func TestPaymeStartAndRefund(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	a, err := e.gw.Start(ctx, fakenotifier.Pending("p1", "payme", 500_000, "UZS"), payments.StartInput{ReturnURL: "https://shop.example/orders/1"})
	if err != nil {
		t.Fatal(err)
	}
	enc, ok := strings.CutPrefix(a.RedirectURL, "https://checkout.paycom.uz/")
	if !ok {
		t.Fatalf("RedirectURL %q", a.RedirectURL)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || string(raw) != "m=m-1;ac.payment_id=p1;a=500000;c=https://shop.example/orders/1" {
		t.Fatalf("checkout params %q, %v", raw, err)
	}
	if _, err := e.gw.Start(ctx, fakenotifier.Pending("p3", "payme", 100, "USD"), payments.StartInput{}); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("Start in USD: %v", err)
	}
	_, err = e.gw.Refund(ctx, e.n.Get("p1"), commerce.Money{Amount: 1, Currency: "UZS"}, "r1")
	if !errors.Is(err, payme.ErrRefundInCabinet) {
		t.Fatalf("Refund: %v", err)
	}
	if m := e.gw.Method(); m.ID != "payme" || m.Kind != payments.KindGateway {
		t.Fatalf("Method = %+v", m)
	}
}
