package http_test

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

func TestGiftCardAPI(t *testing.T) {
	a := apptest.New(t)
	staff := a.NewUser(t, auth.RoleAdmin)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	var card struct {
		ID    string `json:"id"`
		Code  string `json:"code"`
		Last4 string `json:"last4"`
	}
	idem := map[string]string{"Idempotency-Key": "issue-1"}
	for k, v := range staff.Bearer() {
		idem[k] = v
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous issue", Method: "POST", URL: "/api/v1/admin/gift-cards", Body: giftCardBody(1000), ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer issue", Method: "POST", URL: "/api/v1/admin/gift-cards", Body: giftCardBody(1000), Headers: ann.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "bad value", Method: "POST", URL: "/api/v1/admin/gift-cards", Headers: staff.Bearer(),
			Body:           map[string]any{"initial_value": map[string]any{"amount": 0, "currency": "usd"}, "expires_at": "2001-01-01T00:00:00Z"},
			ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"initial_value.amount"`, `"field":"initial_value.currency"`, `"field":"expires_at"`}},
		{Name: "unknown field", Method: "POST", URL: "/api/v1/admin/gift-cards", Headers: staff.Bearer(),
			Body: map[string]any{"initial_value": map[string]any{"amount": 5, "currency": "USD"}, "balance": 9}, ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "issue", Method: "POST", URL: "/api/v1/admin/gift-cards", Headers: idem, Body: giftCardBody(5000),
			ExpectedStatus: 201, ExpectedEvents: map[string]int{ledger.EventGiftCardIssued: 1},
			ExpectedContent: []string{`"code":"`, `"balance":{"amount":5000,"currency":"USD"}`, `"status":"active"`, `"usable":true`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &card)
				if len(card.Code) != 19 || !strings.HasSuffix(card.Code, card.Last4) {
					t.Fatalf("code %q last4 %q", card.Code, card.Last4)
				}
				for _, ev := range a.EventsAfter(t, 0, a.DB.LastSeq()) {
					if strings.Contains(string(ev.Data), card.Code[5:9]+"-") {
						t.Fatalf("an event carries the code: %s", ev.Data)
					}
				}
			}},
		{Name: "replayed issue", Method: "POST", URL: "/api/v1/admin/gift-cards", Headers: idem, Body: giftCardBody(5000),
			ExpectedStatus: 201, ExpectedEvents: none, After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var again struct{ ID string }
				r.JSON(t, &again)
				if again.ID != card.ID {
					t.Fatalf("the replay issued another card %s", again.ID)
				}
			}},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "get", Method: "GET", URL: "/api/v1/admin/gift-cards/" + card.ID, Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"last4":"` + card.Last4 + `"`, `"kind":"gift_card_issue"`, `"transactions":{"items":[`}, NotExpectedContent: []string{`"code"`, "code_hash"}},
		{Name: "get unknown", Method: "GET", URL: "/api/v1/admin/gift-cards/01M8AW0YH800FJZ73XBKVV3CPJ", Headers: staff.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{"gift_card_not_found"}},
		{Name: "list", Method: "GET", URL: "/api/v1/admin/gift-cards?limit=5", Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{card.ID}, NotExpectedContent: []string{`"code"`}},
		{Name: "list bad limit", Method: "GET", URL: "/api/v1/admin/gift-cards?limit=x", Headers: staff.Bearer(), ExpectedStatus: 422},
		{Name: "balance", Method: "POST", URL: "/api/v1/gift-cards/balance", Body: map[string]any{"code": strings.ToLower(card.Code)},
			ExpectedStatus: 200, ExpectedContent: []string{`"balance":{"amount":5000,"currency":"USD"}`}, ExpectedEvents: none},
		{Name: "balance unknown", Method: "POST", URL: "/api/v1/gift-cards/balance", Body: map[string]any{"code": ledger.NewCode()},
			ExpectedStatus: 404, ExpectedContent: []string{"gift_card_not_found"}},
		{Name: "balance without code", Method: "POST", URL: "/api/v1/gift-cards/balance", Body: map[string]any{"code": " "},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}},
		{Name: "disable as customer", Method: "POST", URL: "/api/v1/admin/gift-cards/" + card.ID + "/disable", Headers: ann.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "disable", Method: "POST", URL: "/api/v1/admin/gift-cards/" + card.ID + "/disable", Headers: staff.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"disabled"`, `"usable":false`}, ExpectedEvents: map[string]int{ledger.EventGiftCardDisabled: 1}},
		{Name: "disable again", Method: "POST", URL: "/api/v1/admin/gift-cards/" + card.ID + "/disable", Headers: staff.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: none},
		{Name: "balance of a disabled card", Method: "POST", URL: "/api/v1/gift-cards/balance", Body: map[string]any{"code": card.Code},
			ExpectedStatus: 404, ExpectedContent: []string{"gift_card_not_found"}},
		{Name: "check", Method: "GET", URL: "/api/v1/admin/ledger/check", Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"ok":true`, `"transactions":1`, `"totals":{"USD":0}`}},
		{Name: "check as customer", Method: "GET", URL: "/api/v1/admin/ledger/check", Headers: ann.Bearer(), ExpectedStatus: 403},
	})
}

func TestWalletAPI(t *testing.T) {
	a := apptest.New(t)
	staff := a.NewUser(t, auth.RoleAdmin)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	wallet := "/api/v1/admin/wallets/" + ann.ID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "empty wallet", Method: "GET", URL: "/api/v1/wallet", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"balance":{"amount":0,"currency":""}`, `"items":[]`}},
		{Name: "anonymous wallet", Method: "GET", URL: "/api/v1/wallet", ExpectedStatus: 401},
		{Name: "credit an unknown user", Method: "POST", URL: "/api/v1/admin/wallets/01M8AW0YH800FJZ73XBKVV3CPJ/credit", Headers: staff.Bearer(),
			Body: walletBody(100), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "credit without reason", Method: "POST", URL: wallet + "/credit", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": -5, "currency": "USD"}}, ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"amount.amount"`, `"field":"reason"`}},
		{Name: "credit as the customer", Method: "POST", URL: wallet + "/credit", Headers: ann.Bearer(), Body: walletBody(100), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "credit", Method: "POST", URL: wallet + "/credit", Headers: staff.Bearer(), Body: walletBody(700),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{ledger.EventWalletCredited: 1},
			ExpectedContent: []string{`"balance":{"amount":700,"currency":"USD"}`, `"kind":"adjust"`, `"ref":"matrix"`}},
		{Name: "credit in another currency", Method: "POST", URL: wallet + "/credit", Headers: staff.Bearer(),
			Body: map[string]any{"amount": map[string]any{"amount": 5, "currency": "UZS"}, "reason": "x"}, ExpectedStatus: 409,
			ExpectedContent: []string{"currency_mismatch"}, ExpectedEvents: none},
		{Name: "debit too much", Method: "POST", URL: wallet + "/debit", Headers: staff.Bearer(), Body: walletBody(701),
			ExpectedStatus: 409, ExpectedContent: []string{"insufficient_funds"}, ExpectedEvents: none},
		{Name: "debit", Method: "POST", URL: wallet + "/debit", Headers: staff.Bearer(), Body: walletBody(200),
			ExpectedStatus: 200, ExpectedContent: []string{`"balance":{"amount":500,"currency":"USD"}`}, ExpectedEvents: map[string]int{ledger.EventWalletDebited: 1}},
		{Name: "own wallet", Method: "GET", URL: "/api/v1/wallet?limit=1", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"balance":{"amount":500,"currency":"USD"}`, `"amount":{"amount":-200,"currency":"USD"}`, `"next_cursor":"`}},
		{Name: "staff reads it", Method: "GET", URL: wallet, Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"user_id":"` + ann.ID + `"`, `"amount":{"amount":700,"currency":"USD"}`}},
		{Name: "bad cursor", Method: "GET", URL: "/api/v1/wallet?cursor=zz", Headers: ann.Bearer(), ExpectedStatus: 422},
		{Name: "check", Method: "GET", URL: "/api/v1/admin/ledger/check", Headers: staff.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"ok":true`}},
	})
}

func TestFraudReviewAPI(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Fraud.MaxOrderAmount = map[string]int64{"USD": 1500} })
	staff := a.NewUser(t, auth.RoleAdmin)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10, 10)
	order := func(qty int64) orderBody {
		cart := newCart(t, a, ann.Bearer())
		addItem(t, a, cart, v[0], qty, ann.Bearer())
		r := a.Do(t, "POST", "/api/v1/orders", checkoutBody(cart), ann.Bearer())
		if r.Status != 201 {
			t.Fatalf("checkout: %d %s", r.Status, r.Body)
		}
		var o orderBody
		r.JSON(t, &o)
		return o
	}
	small, big, big2 := order(1), order(2), order(3)
	reviews := "/api/v1/admin/fraud/reviews"
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "queue", Method: "GET", URL: reviews, Headers: staff.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{big.ID, big2.ID, `"reasons":["max_order_amount"]`, `"status":"pending"`}, NotExpectedContent: []string{small.ID}},
		{Name: "queue as customer", Method: "GET", URL: reviews, Headers: ann.Bearer(), ExpectedStatus: 403},
		{Name: "queue anonymous", Method: "GET", URL: reviews, ExpectedStatus: 401},
		{Name: "a held order does not ship", Method: "POST", URL: "/api/v1/orders/" + big.ID + "/fulfilments", Headers: staff.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{"order_under_review"}, ExpectedEvents: none},
		{Name: "approve an order never held", Method: "POST", URL: reviews + "/" + small.ID + "/approve", Headers: staff.Bearer(),
			Body: map[string]any{"note": "x"}, ExpectedStatus: 404, ExpectedContent: []string{"review_not_found"}, ExpectedEvents: none},
		{Name: "approve an unknown order", Method: "POST", URL: reviews + "/01M8AW0YH800FJZ73XBKVV3CPJ/approve", Headers: staff.Bearer(),
			Body: map[string]any{}, ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "approve as customer", Method: "POST", URL: reviews + "/" + big.ID + "/approve", Headers: ann.Bearer(), Body: map[string]any{}, ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "approve with a bad body", Method: "POST", URL: reviews + "/" + big.ID + "/approve", Headers: staff.Bearer(),
			Body: map[string]any{"note": 5}, ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "approve", Method: "POST", URL: reviews + "/" + big.ID + "/approve", Headers: staff.Bearer(), Body: map[string]any{"note": "known"},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"approved"`, `"decided_by":"user:` + staff.ID}, ExpectedEvents: map[string]int{orders.EventReviewApproved: 1}},
		{Name: "approve again", Method: "POST", URL: reviews + "/" + big.ID + "/approve", Headers: staff.Bearer(), Body: map[string]any{},
			ExpectedStatus: 409, ExpectedContent: []string{"review_decided"}, ExpectedEvents: none},
		{Name: "reject", Method: "POST", URL: reviews + "/" + big2.ID + "/reject", Headers: staff.Bearer(), Body: map[string]any{"note": "fraud"},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"CANCELLED"`, `"status":"rejected"`},
			ExpectedEvents: map[string]int{orders.EventReviewRejected: 1, orders.EventCancelled: 1, orders.EventStatusChanged: 1, payments.EventCancelled: 1}},
		{Name: "queue emptied", Method: "GET", URL: reviews, Headers: staff.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
	})
}
