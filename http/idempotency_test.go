package http_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/store"
)

func key(k string, h ...map[string]string) map[string]string {
	out := map[string]string{"Idempotency-Key": k}
	for _, m := range h {
		for a, b := range m {
			out[a] = b
		}
	}
	return out
}

// dropStoredResponses deletes every response the middleware kept, as a crash between the
// order's commit and the response's would.
func dropStoredResponses(t testing.TB, a *apptest.App) {
	t.Helper()
	prefix := []byte("idem/response/")
	err := a.DB.Update(context.Background(), func(tx *store.Tx) error {
		var keys [][]byte
		if err := tx.Scan(prefix, store.PrefixEnd(prefix), func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			tx.Delete(k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIdempotencyKeyAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10, 1)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}

	var first cartBody
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "first request", Method: "POST", URL: "/api/v1/carts", Headers: key("cart-1"), ExpectedStatus: 201,
			ExpectedEvents: map[string]int{cart.EventCreated: 1}, ExpectedHeaders: map[string]string{"Idempotent-Replayed": ""},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) { r.JSON(t, &first) }},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "replayed", Method: "POST", URL: "/api/v1/carts", Headers: key("cart-1"), ExpectedStatus: 201,
			ExpectedContent: []string{`"id":"` + first.ID + `"`}, ExpectedEvents: none,
			ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true", "Content-Type": "application/json"}},
		{Name: "same key, another body", Method: "POST", URL: "/api/v1/carts", Headers: key("cart-1"), Body: map[string]any{},
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"idempotency_key_reused"`, `"field":"Idempotency-Key"`}, ExpectedEvents: none},
		{Name: "same key, another principal", Method: "POST", URL: "/api/v1/carts", Headers: key("cart-1", ann.Bearer()), ExpectedStatus: 201,
			NotExpectedContent: []string{first.ID}, ExpectedEvents: map[string]int{cart.EventCreated: 1}},
		{Name: "same key, another path", Method: "POST", URL: "/api/v1/carts/" + first.ID + "/items", Headers: key("cart-1"),
			Body: map[string]any{"variant_id": v[0], "quantity": 1}, ExpectedStatus: 200, ExpectedEvents: map[string]int{cart.EventLineAdded: 1}},
		{Name: "a 4xx is kept too", Method: "POST", URL: "/api/v1/carts/" + first.ID + "/items", Headers: key("add-too-many"),
			Body: map[string]any{"variant_id": v[1], "quantity": 5}, ExpectedStatus: 409, ExpectedContent: []string{`"code":"out_of_stock"`}},
		{Name: "and replayed", Method: "POST", URL: "/api/v1/carts/" + first.ID + "/items", Headers: key("add-too-many"),
			Body: map[string]any{"variant_id": v[1], "quantity": 5}, ExpectedStatus: 409,
			ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true"}},
		{Name: "a key too long", Method: "POST", URL: "/api/v1/carts", Headers: key(strings.Repeat("k", 256)), ExpectedStatus: 400,
			ExpectedContent: []string{`"code":"invalid_idempotency_key"`}, ExpectedEvents: none},
		{Name: "a key with a space", Method: "POST", URL: "/api/v1/carts", Headers: key("a b"), ExpectedStatus: 400},
		{Name: "other methods ignore the header", Method: "GET", URL: "/api/v1/carts/" + first.ID, Headers: key("cart-1"),
			ExpectedStatus: 200, ExpectedHeaders: map[string]string{"Idempotent-Replayed": ""}},
	})

	// Checkout: the replay is the same 201, access key included; after a lost response (the
	// middleware's row gone, as after a crash) the checkout's own receipt answers the same order.
	cartID := newCart(t, a, nil)
	addItem(t, a, cartID, v[0], 2, nil)
	var placed, again orderBody
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "checkout", Method: "POST", URL: "/api/v1/orders", Headers: key("order-1"), Body: checkoutBody(cartID),
			ExpectedStatus: 201, ExpectedEvents: map[string]int{orders.EventPlaced: 1},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) { r.JSON(t, &placed) }},
		{Name: "checkout replayed", Method: "POST", URL: "/api/v1/orders", Headers: key("order-1"), Body: checkoutBody(cartID),
			ExpectedStatus: 201, ExpectedEvents: none, ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true"},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				r.JSON(t, &again)
				if again.ID != placed.ID || again.AccessKey != placed.AccessKey || again.AccessKey == "" {
					t.Fatalf("replay %+v, first %+v", again, placed)
				}
			}},
		{Name: "after a lost response", Method: "POST", URL: "/api/v1/orders", Headers: key("order-1"), Body: checkoutBody(cartID),
			Before:         func(t testing.TB, a *apptest.App) { dropStoredResponses(t, a) },
			ExpectedStatus: 201, ExpectedEvents: none, ExpectedHeaders: map[string]string{"Idempotent-Replayed": ""},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var o orderBody
				r.JSON(t, &o)
				if o.ID != placed.ID || o.Number != placed.Number || o.AccessKey != placed.AccessKey {
					t.Fatalf("retry after a crash answered %+v, first %+v", o, placed)
				}
				if got := stockOf(t, a, v[0]); got != 10-2 {
					t.Errorf("stock %d after the retry, want 8", got)
				}
			}},
		{Name: "checkout key with another body after a lost response", Method: "POST", URL: "/api/v1/orders", Headers: key("order-1"),
			Before: func(t testing.TB, a *apptest.App) { dropStoredResponses(t, a) },
			Body:   with(checkoutBody(cartID), "email", "else@example.com"), ExpectedStatus: 422,
			ExpectedContent: []string{`"code":"idempotency_key_reused"`}, ExpectedEvents: none},
	})
}

// TestIdempotencyKeyOtherMethods: PUT, PATCH and DELETE replay like POST; If-Match is part of
// the request, so the same key with another If-Match is another request.
func TestIdempotencyKeyOtherMethods(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	cat := createCategory(t, a, admin, "Teas", "")
	p := createProduct(t, a, admin, productBody("Green tea", "GT-1", 500, nil))
	none := map[string]int{}
	path := "/api/v1/categories/" + cat.ID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "PUT", Method: "PUT", URL: path, Headers: key("rename-1", admin.Bearer()), Body: map[string]any{"name": "Green teas"},
			ExpectedStatus: 200, ExpectedContent: []string{`"version":2`}, ExpectedEvents: map[string]int{catalog.EventCategoryUpdated: 1}},
		{Name: "PUT replayed", Method: "PUT", URL: path, Headers: key("rename-1", admin.Bearer()), Body: map[string]any{"name": "Green teas"},
			ExpectedStatus: 200, ExpectedContent: []string{`"version":2`}, ExpectedEvents: none,
			ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true"}},
		{Name: "PUT, same key, another If-Match", Method: "PUT", URL: path,
			Headers: key("rename-1", admin.Bearer(), map[string]string{"If-Match": `"2"`}), Body: map[string]any{"name": "Green teas"},
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"idempotency_key_reused"`}, ExpectedEvents: none},
		{Name: "DELETE", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: key("drop-1", admin.Bearer()),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{catalog.EventProductDeleted: 1}},
		{Name: "DELETE replayed, not 404", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: key("drop-1", admin.Bearer()),
			ExpectedStatus: 204, ExpectedEvents: none, ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true"}},
		{Name: "DELETE without a key is a new request", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: admin.Bearer(),
			ExpectedStatus: 404},
	})
}
