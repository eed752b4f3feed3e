package http_test

import (
	"context"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/store"
)

// giftCard issues a USD gift card as admin and returns its ID and code.
func (f *authzFixture) giftCard(t *testing.T) (id, code string) {
	t.Helper()
	var c struct{ ID, Code string }
	f.must(t, admin, "POST", "/api/v1/admin/gift-cards", giftCardBody(5000), 201, &c)
	return c.ID, c.Code
}

func giftCardBody(amount int64) map[string]any {
	return map[string]any{"initial_value": map[string]any{"amount": amount, "currency": "USD"}, "note": "matrix"}
}

func walletBody(amount int64) map[string]any {
	return map[string]any{"amount": map[string]any{"amount": amount, "currency": "USD"}, "reason": "matrix"}
}

// heldOrder places an order of B and puts it on hold for review (as the fraud rules would)
// straight through the store; it returns the order ID.
func (f *authzFixture) heldOrder(t *testing.T) string {
	t.Helper()
	return holdOrder(t, f.a.DB, f.order(t, custB))
}

// holdOrder marks an order held for review, as the checkout's screening would.
func holdOrder(t testing.TB, db *store.DB, id string) string {
	t.Helper()
	err := store.NewOrders(db).Update(context.Background(), func(tx orders.Tx) error {
		prev, err := tx.Order(id)
		if err != nil || prev.Review != nil {
			return err
		}
		o := prev
		o.Review = &orders.Review{Status: orders.ReviewPending, Reasons: []string{"max_order_amount"}}
		o.Version++
		return tx.PutOrder(o, prev)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The ledger and fraud rows (http/ledger.go): gift cards, wallets of others and the check
// are staff's (ledger:manage), the review queue too (fraud:review); the balance check is
// public and one's own wallet needs a sign-in.
func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		const cards, wallets, reviews = "/api/v1/admin/gift-cards", "/api/v1/admin/wallets/", "/api/v1/admin/fraud/reviews"
		return map[string]authzRow{
			"POST " + cards: {want: staffOnly(201), build: fixed(cards, giftCardBody(1000))},
			"GET " + cards:  {want: staffOnly(200), build: fixed(cards, nil)},
			"GET " + cards + "/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				id, _ := f.giftCard(t)
				return authzReq{path: cards + "/" + id}
			}},
			"POST " + cards + "/:id/disable": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				id, _ := f.giftCard(t)
				return authzReq{path: cards + "/" + id + "/disable"}
			}},
			"POST /api/v1/gift-cards/balance": {want: allOK(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				_, code := f.giftCard(t)
				return authzReq{path: "/api/v1/gift-cards/balance", body: map[string]any{"code": code}}
			}},
			"GET /api/v1/wallet": {want: signedIn(200), build: fixed("/api/v1/wallet", nil)},
			"GET " + wallets + ":user_id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: wallets + f.users[custA].ID}
			}},
			"POST " + wallets + ":user_id/credit": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: wallets + f.users[custA].ID + "/credit", body: walletBody(100)}
			}},
			"POST " + wallets + ":user_id/debit": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				f.must(t, admin, "POST", wallets+f.users[custA].ID+"/credit", walletBody(1), 200, nil)
				return authzReq{path: wallets + f.users[custA].ID + "/debit", body: walletBody(1)}
			}},
			"GET /api/v1/admin/ledger/check": {want: staffOnly(200), build: fixed("/api/v1/admin/ledger/check", nil)},
			"GET " + reviews:                 {want: staffOnly(200), build: fixed(reviews, nil)},
			"POST " + reviews + "/:order_id/approve": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: reviews + "/" + f.heldOrder(t) + "/approve", body: map[string]any{"note": "ok"}}
			}},
			"POST " + reviews + "/:order_id/reject": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: reviews + "/" + f.heldOrder(t) + "/reject", body: map[string]any{"note": "no"}}
			}},
		}
	})
}
