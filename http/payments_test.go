package http_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// testGateway is a payments.Gateway for the API tests: Start answers a redirect, Refund
// records its calls.
type testGateway struct {
	id      string
	mu      sync.Mutex
	starts  int
	refunds []commerce.Money
}

func (g *testGateway) Method() payments.Method {
	return payments.Method{ID: g.id, Name: "Test gateway", Currencies: []string{"USD"}}
}

func (g *testGateway) Start(_ context.Context, p payments.Payment, in payments.StartInput) (payments.Action, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.starts++
	return payments.Action{ExternalID: "pi_" + p.ID, ClientSecret: "secret_" + p.ID, RedirectURL: "https://gateway.example/pay/" + p.ID}, nil
}

func (g *testGateway) Refund(_ context.Context, p payments.Payment, amount commerce.Money, refundID string) (payments.RefundResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refunds = append(g.refunds, amount)
	return payments.RefundResult{ExternalID: "re_" + refundID}, nil
}

func (g *testGateway) calls() (int, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.starts, len(g.refunds)
}

// testWebhook turns a JSON body into a notification: {"event_id", "payment_id", "kind",
// "amount"}; it answers {"status"} or the error's code with 400/404.
type testWebhook struct{ n payments.Notifier }

func (w testWebhook) HandleWebhook(ctx context.Context, _ map[string][]string, body []byte) (int, string, []byte) {
	var in struct {
		EventID   string         `json:"event_id"`
		PaymentID string         `json:"payment_id"`
		Kind      string         `json:"kind"`
		Amount    commerce.Money `json:"amount"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return 400, "text/plain", []byte("bad body")
	}
	p, err := w.n.Notify(ctx, payments.Notification{Provider: "stripe", EventID: in.EventID, PaymentID: in.PaymentID,
		Kind: payments.NotificationKind(in.Kind), Amount: in.Amount})
	if err != nil {
		status := 400
		if commerce.KindOf(err) == commerce.ENotFound {
			status = 404
		}
		out, _ := json.Marshal(map[string]string{"code": commerce.AsError(err).Code})
		return status, "application/json", out
	}
	out, _ := json.Marshal(map[string]string{"status": p.Status})
	return 200, "application/json", out
}

type paymentBody struct {
	ID         string         `json:"id"`
	OrderID    string         `json:"order_id"`
	Method     string         `json:"method"`
	Status     string         `json:"status"`
	Amount     commerce.Money `json:"amount"`
	Captured   commerce.Money `json:"captured"`
	Refunded   commerce.Money `json:"refunded"`
	Refundable commerce.Money `json:"refundable"`
	Action     *struct {
		ClientSecret string `json:"client_secret"`
		RedirectURL  string `json:"redirect_url"`
	} `json:"action"`
	Refunds []payments.Refund `json:"refunds"`
}

// payOrder checks out one unit of variant as the holder of headers (a guest without).
func payOrder(t testing.TB, a *apptest.App, variant, method string, headers map[string]string) orderBody {
	t.Helper()
	cart := newCart(t, a, headers)
	addItem(t, a, cart, variant, 1, headers)
	r := a.Do(t, "POST", "/api/v1/orders", with(checkoutBody(cart), "payment_method", method), headers)
	if r.Status != 201 {
		t.Fatalf("checkout with %s: %d %s", method, r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	return o
}

// idemKey is u's Authorization header with an Idempotency-Key.
func idemKey(u apptest.User, key string) map[string]string {
	h := u.Bearer()
	h["Idempotency-Key"] = key
	return h
}

func paidOrder(t testing.TB, a *apptest.App, id string) orders.Order {
	t.Helper()
	o, err := a.Orders.Get(context.Background(), orders.Viewer{Staff: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPaymentsAPI(t *testing.T) {
	a := apptest.New(t)
	gw := &testGateway{id: "stripe"}
	if err := a.Payments.Register(gw); err != nil {
		t.Fatal(err)
	}
	a.Payments.RegisterWebhook("stripe", testWebhook{a.Payments})
	v := seedProduct(t, a, catalog.StatusActive, "USD", 100)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	staff := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}

	o := payOrder(t, a, v[0], "stripe", ann.Bearer())
	if got := paidOrder(t, a, o.ID); got.PaymentStatus != orders.PaymentUnpaid || got.PaymentID == "" {
		t.Fatalf("a gateway order at checkout: %+v", got)
	}
	payID := paidOrder(t, a, o.ID).PaymentID
	total := o.Total
	var p paymentBody
	hook := func(event, kind string, amount commerce.Money) map[string]any {
		return map[string]any{"event_id": event, "payment_id": payID, "kind": kind, "amount": amount}
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "methods", Method: "GET", URL: "/api/v1/payments/methods", ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"cash"`, `"id":"manual"`, `"id":"wallet"`, `"id":"gift_card"`, `"id":"stripe"`, `"kind":"gateway"`}},
		{Name: "methods in a currency the gateway does not take", Method: "GET", URL: "/api/v1/payments/methods?currency=UZS", ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"cash"`}, NotExpectedContent: []string{`"id":"stripe"`}},
		{Name: "methods: a bad currency", Method: "GET", URL: "/api/v1/payments/methods?currency=dollars", ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"currency"`}},
		{Name: "process someone else's order", Method: "POST", URL: "/api/v1/payments/process", Headers: bob.Bearer(),
			Body: map[string]any{"order_id": o.ID}, ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "process without a key", Method: "POST", URL: "/api/v1/payments/process",
			Body: map[string]any{"order_id": o.ID}, ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "process: a bad return URL", Method: "POST", URL: "/api/v1/payments/process", Headers: ann.Bearer(),
			Body: map[string]any{"order_id": o.ID, "return_url": "javascript:alert(1)"}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"return_url"`}, ExpectedEvents: none},
		{Name: "process: a method not offered", Method: "POST", URL: "/api/v1/payments/process", Headers: ann.Bearer(),
			Body: map[string]any{"order_id": o.ID, "method": "payme"}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"method"`, "stripe"}, ExpectedEvents: none},
		{Name: "process starts the gateway", Method: "POST", URL: "/api/v1/payments/process", Headers: ann.Bearer(),
			Body:           map[string]any{"order_id": o.ID, "return_url": "https://shop.example/paid", "cancel_url": "https://shop.example/cart"},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"pending"`, `"redirect_url":"https://gateway.example/pay/`, `"client_secret":"secret_`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &p)
				if p.ID != payID {
					t.Fatalf("process made payment %s, checkout made %s", p.ID, payID)
				}
			}},
		{Name: "process again answers the same action", Method: "POST", URL: "/api/v1/payments/process", Headers: ann.Bearer(),
			Body: map[string]any{"order_id": o.ID}, ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + payID + `"`, `"redirect_url"`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if starts, _ := gw.calls(); starts != 1 {
					t.Errorf("the gateway was started %d times", starts)
				}
			}},
		{Name: "read as the owner", Method: "GET", URL: "/api/v1/payments/" + payID, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"pending"`}, NotExpectedContent: []string{`"source"`}},
		{Name: "read as someone else", Method: "GET", URL: "/api/v1/payments/" + payID, Headers: bob.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"payment_not_found"`}},
		{Name: "read an unknown payment", Method: "GET", URL: "/api/v1/payments/" + commerce.NewID(), Headers: staff.Bearer(), ExpectedStatus: 404},
		{Name: "webhook: amount mismatch", Method: "POST", URL: "/api/v1/payments/webhooks/stripe",
			Body: hook("evt_bad", "captured", commerce.Money{Amount: total.Amount - 1, Currency: "USD"}), ExpectedStatus: 400,
			ExpectedContent: []string{"amount_mismatch"}, ExpectedEvents: none,
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if got := paidOrder(t, a, o.ID); got.PaymentStatus != orders.PaymentUnpaid || got.Status != orders.StatusPending {
					t.Errorf("a mismatched amount changed the order: %s %s", got.Status, got.PaymentStatus)
				}
			}},
		{Name: "webhook: unknown payment", Method: "POST", URL: "/api/v1/payments/webhooks/stripe",
			Body: map[string]any{"event_id": "evt_x", "payment_id": commerce.NewID(), "kind": "captured", "amount": total}, ExpectedStatus: 404,
			ExpectedContent: []string{"payment_not_found"}, ExpectedEvents: none},
		{Name: "webhook: a gateway not configured", Method: "POST", URL: "/api/v1/payments/webhooks/payme", Body: map[string]any{},
			ExpectedStatus: 404, ExpectedContent: []string{"gateway_not_configured"}},
		{Name: "webhook: captured", Method: "POST", URL: "/api/v1/payments/webhooks/stripe", Body: hook("evt_1", "captured", total),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"captured"`},
			ExpectedEvents: map[string]int{payments.EventCaptured: 1, orders.EventStatusChanged: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if got := paidOrder(t, a, o.ID); got.PaymentStatus != orders.PaymentPaid || got.Status != orders.StatusConfirmed {
					t.Errorf("the order after capture: %s %s", got.Status, got.PaymentStatus)
				}
			}},
		{Name: "webhook: the same event again", Method: "POST", URL: "/api/v1/payments/webhooks/stripe", Body: hook("evt_1", "captured", total),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"captured"`}, ExpectedEvents: none},
		{Name: "webhook: cancelled after capture by another event moves nothing twice", Method: "POST", URL: "/api/v1/payments/webhooks/stripe",
			Body: hook("evt_2", "captured", total), ExpectedStatus: 200, ExpectedEvents: none},
		{Name: "process a paid order", Method: "POST", URL: "/api/v1/payments/process", Headers: ann.Bearer(),
			Body: map[string]any{"order_id": o.ID}, ExpectedStatus: 409, ExpectedContent: []string{"order_paid"}},
		{Name: "refund as a customer", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: ann.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 100}}, ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "refund larger than what was paid", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": total.Amount + 1, "currency": "USD"}}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"amount"`, "refund_too_large"}, ExpectedEvents: none,
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if _, n := gw.calls(); n != 0 {
					t.Errorf("the gateway was asked for %d refunds", n)
				}
			}},
		{Name: "refund: a bad destination", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 1}, "to": "cash"}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"to"`}, ExpectedEvents: none},
		{Name: "partial refund", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: idemKey(staff, "refund-1"),
			Body: map[string]any{"amount": map[string]any{"amount": 100, "currency": "USD"}, "reason": "scratched"}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"partially_refunded"`, `"refunded":{"amount":100,"currency":"USD"}`, `"reason":"scratched"`},
			ExpectedEvents:  map[string]int{payments.EventRefunded: 1}},
		{Name: "partial refund replayed by its Idempotency-Key", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund",
			Headers: idemKey(staff, "refund-1"),
			Body:    map[string]any{"amount": map[string]any{"amount": 100, "currency": "USD"}, "reason": "scratched"}, ExpectedStatus: 200,
			ExpectedContent: []string{`"refunded":{"amount":100,"currency":"USD"}`}, ExpectedEvents: none,
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if _, n := gw.calls(); n != 1 {
					t.Errorf("the gateway was asked for %d refunds, want 1", n)
				}
				if got := paidOrder(t, a, o.ID); got.PaymentStatus != orders.PaymentPartiallyRefunded {
					t.Errorf("order payment status %s", got.PaymentStatus)
				}
			}},
		{Name: "refund the rest", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": total.Amount - 100}}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"refunded"`, `"refundable":{"amount":0,"currency":"USD"}`},
			ExpectedEvents:  map[string]int{payments.EventRefunded: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if got := paidOrder(t, a, o.ID); got.PaymentStatus != orders.PaymentRefunded {
					t.Errorf("order payment status %s", got.PaymentStatus)
				}
			}},
		{Name: "refund after a full refund", Method: "POST", URL: "/api/v1/payments/" + payID + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 1}}, ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "webhook: cancelled after refund answers the payment", Method: "POST", URL: "/api/v1/payments/webhooks/stripe",
			Body: hook("evt_3", "cancelled", total), ExpectedStatus: 200, ExpectedContent: []string{`"status":"refunded"`}, ExpectedEvents: none},
		{Name: "an order's payments", Method: "GET", URL: "/api/v1/orders/" + o.ID + "/payments", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + payID + `"`}},
		{Name: "someone else's order's payments", Method: "GET", URL: "/api/v1/orders/" + o.ID + "/payments", Headers: bob.Bearer(), ExpectedStatus: 404},
	})

	// A guest pays cash: the access key opens the payment, staff record the money.
	g := payOrder(t, a, v[0], "cash", nil)
	gp := paidOrder(t, a, g.ID).PaymentID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "guest process with the access key", Method: "POST", URL: "/api/v1/payments/process",
			Body: map[string]any{"order_id": g.ID, "access_key": g.AccessKey}, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + gp + `"`, `"method":"cash"`, `"status":"pending"`}, NotExpectedContent: []string{`"action"`}},
		{Name: "guest process with a wrong key", Method: "POST", URL: "/api/v1/payments/process",
			Body: map[string]any{"order_id": g.ID, "access_key": "nope"}, ExpectedStatus: 404},
		{Name: "guest reads with the key", Method: "GET", URL: "/api/v1/payments/" + gp + "?key=" + g.AccessKey, ExpectedStatus: 200},
		{Name: "guest reads without the key", Method: "GET", URL: "/api/v1/payments/" + gp, ExpectedStatus: 404},
		{Name: "capture as a customer", Method: "POST", URL: "/api/v1/payments/" + gp + "/capture", Headers: ann.Bearer(), ExpectedStatus: 403},
		{Name: "refund before capture", Method: "POST", URL: "/api/v1/payments/" + gp + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 1}}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"amount"`}},
		{Name: "staff capture the cash", Method: "POST", URL: "/api/v1/payments/" + gp + "/capture", Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"captured"`}, ExpectedEvents: map[string]int{payments.EventCaptured: 1, orders.EventStatusChanged: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if got := paidOrder(t, a, g.ID); got.PaymentStatus != orders.PaymentPaid || got.Status != orders.StatusConfirmed {
					t.Errorf("the order after capture: %s %s", got.Status, got.PaymentStatus)
				}
			}},
		{Name: "capture again", Method: "POST", URL: "/api/v1/payments/" + gp + "/capture", Headers: staff.Bearer(), ExpectedStatus: 200, ExpectedEvents: none},
		{Name: "store credit for a guest order", Method: "POST", URL: "/api/v1/payments/" + gp + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 1}, "to": "store_credit"}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"to"`}, ExpectedEvents: none},
		{Name: "cash handed back", Method: "POST", URL: "/api/v1/payments/" + gp + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": g.Total.Amount}}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"refunded"`}, ExpectedEvents: map[string]int{payments.EventRefunded: 1}},
		{Name: "checkout: gift_card without a code", Method: "POST", URL: "/api/v1/orders",
			Body: with(checkoutBody(newCart(t, a, nil)), "payment_method", "gift_card"), ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "checkout: a method not offered", Method: "POST", URL: "/api/v1/orders",
			Body: with(checkoutBody(newCart(t, a, nil)), "payment_method", "bitcoin"), ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"payment_method"`, "cash", "manual", "stripe"}, ExpectedEvents: none},
	})
}

func TestWalletCheckoutAPI(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10)
	ann := a.NewUser(t, auth.RoleCustomer)
	staff := a.NewUser(t, auth.RoleAdmin)
	balance := func() int64 {
		w, err := a.Ledger.Wallet(ctx, ann.ID, commerce.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return w.Balance.Amount
	}
	cart := newCart(t, a, ann.Bearer())
	addItem(t, a, cart, v[0], 1, ann.Bearer())
	body := with(checkoutBody(cart), "payment_method", "wallet")
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "an empty wallet", Method: "POST", URL: "/api/v1/orders", Headers: ann.Bearer(), Body: body, ExpectedStatus: 409,
			ExpectedEvents: map[string]int{},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if stockOf(t, a, v[0]) != 10 {
					t.Errorf("a refused wallet checkout took stock")
				}
			}},
	})
	if _, _, err := a.Ledger.AdjustWallet(ctx, "cli", ann.ID, false, ledger.AdjustInput{Amount: commerce.Money{Amount: 5000, Currency: "USD"}, Reason: "welcome"}); err != nil {
		t.Fatal(err)
	}
	var o orderBody
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a guest cannot pay with a wallet", Method: "POST", URL: "/api/v1/orders",
			Body: with(checkoutBody(newCart(t, a, nil)), "payment_method", "wallet"), ExpectedStatus: 422, ExpectedEvents: map[string]int{}},
		{Name: "pay with the wallet", Method: "POST", URL: "/api/v1/orders", Headers: ann.Bearer(), Body: body, ExpectedStatus: 201,
			ExpectedContent: []string{`"status":"CONFIRMED"`, `"payment_status":"paid"`},
			ExpectedEvents:  map[string]int{orders.EventPlaced: 1, payments.EventCaptured: 1, orders.EventStatusChanged: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &o)
				if got := balance(); got != 5000-o.Total.Amount {
					t.Errorf("wallet %d after paying %d", got, o.Total.Amount)
				}
			}},
	})
	pay := paidOrder(t, a, o.ID).PaymentID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "refund to the wallet", Method: "POST", URL: "/api/v1/payments/" + pay + "/refund", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": o.Total.Amount}}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"refunded"`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if got := balance(); got != 5000 {
					t.Errorf("wallet %d after the refund, want 5000", got)
				}
			}},
	})
}
