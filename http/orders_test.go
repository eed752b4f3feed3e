package http_test

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

type orderBody struct {
	ID        string         `json:"id"`
	Number    string         `json:"number"`
	Status    string         `json:"status"`
	Email     string         `json:"email"`
	UserID    string         `json:"user_id"`
	AccessKey string         `json:"access_key"`
	Total     commerce.Money `json:"total"`
	Version   int64          `json:"version"`
	Lines     []struct {
		VariantID string         `json:"variant_id"`
		Quantity  int64          `json:"quantity"`
		UnitPrice commerce.Money `json:"unit_price"`
	} `json:"lines"`
}

func checkoutBody(cartID string) map[string]any {
	return map[string]any{"cart_id": cartID, "email": "guest@example.com", "payment_method": "cash",
		"shipping_address": map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Tashkent", "country": "uz", "postal_code": "100000"}}
}

// with returns body with key set to value.
func with(body map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	out[key] = value
	return out
}

func TestCheckoutAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10, 1)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}

	guestCart := newCart(t, a, nil)
	addItem(t, a, guestCart, v[0], 2, nil)
	addItem(t, a, guestCart, v[1], 1, nil)
	var placed orderBody
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "guest without e-mail", Method: "POST", URL: "/api/v1/orders", Body: with(checkoutBody(guestCart), "email", ""),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"email"`}, ExpectedEvents: none},
		{Name: "bad e-mail", Method: "POST", URL: "/api/v1/orders", Body: with(checkoutBody(guestCart), "email", "not-mail"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"email"`}, ExpectedEvents: none},
		{Name: "a payment method not accepted", Method: "POST", URL: "/api/v1/orders", Body: with(checkoutBody(guestCart), "payment_method", "card"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"payment_method"`, "cash"}, ExpectedEvents: none},
		{Name: "an address missing its fields", Method: "POST", URL: "/api/v1/orders",
			Body:           with(checkoutBody(guestCart), "shipping_address", map[string]string{"line2": "x", "country": "XX"}),
			ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"shipping_address.name"`, `"field":"shipping_address.line1"`,
				`"field":"shipping_address.city"`, `"field":"shipping_address.country"`}},
		{Name: "a total from the client", Method: "POST", URL: "/api/v1/orders", Body: with(checkoutBody(guestCart), "total", 1),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"total"`, "unknown field"}, ExpectedEvents: none},
		{Name: "a cart that does not exist", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(commerce.NewSecret(16)),
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"cart_not_found"`}, ExpectedEvents: none},
		{Name: "place the order", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(guestCart),
			ExpectedStatus: 201, ExpectedEvents: map[string]int{orders.EventPlaced: 1},
			ExpectedContent: []string{`"status":"PENDING"`, `"total":{"amount":3001,"currency":"USD"}`, `"payment_method":"cash"`,
				`"country":"UZ"`, `"email":"guest@example.com"`, `"access_key":"`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &placed)
				if placed.Number == "" || len(placed.Lines) != 2 || placed.UserID != "" || r.Header.Get("ETag") != `"1"` {
					t.Fatalf("order %s", r.Body)
				}
				if stockOf(t, a, v[0]) != 8 || stockOf(t, a, v[1]) != 0 {
					t.Errorf("stock %d %d, want 8 0", stockOf(t, a, v[0]), stockOf(t, a, v[1]))
				}
				evs := a.EventsAfter(t, a.DB.LastSeq()-1, a.DB.LastSeq())
				if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"lines":[{"product_id":"`) ||
					!strings.Contains(string(evs[0].Data), `"sku":"TEA-`) || !strings.Contains(string(evs[0].Data), `"unit_price":{"amount":1000`) {
					t.Errorf("placed event %s", evs[0].Data)
				}
			}},
		{Name: "the same cart again", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(guestCart),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"cart_checked_out"`}, ExpectedEvents: none},
		{Name: "a checked-out cart is read-only", Method: "POST", URL: "/api/v1/carts/" + guestCart + "/items",
			Body: map[string]any{"variant_id": v[0], "quantity": 1}, ExpectedStatus: 409, ExpectedContent: []string{`"code":"cart_checked_out"`}},
	})

	// Out of stock: two carts want the last units; the second checkout changes nothing.
	v2 := seedProduct(t, a, catalog.StatusActive, "USD", 3, 5)
	first, second := newCart(t, a, nil), newCart(t, a, nil)
	addItem(t, a, first, v2[0], 2, nil)
	addItem(t, a, second, v2[1], 1, nil)
	addItem(t, a, second, v2[0], 2, nil)
	empty := newCart(t, a, nil)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the first buyer gets the units", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(first), ExpectedStatus: 201},
		{Name: "the second is out of stock", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(second),
			ExpectedStatus: 409, ExpectedEvents: none,
			ExpectedContent: []string{`"code":"out_of_stock"`, `"variant_id":"` + v2[0] + `"`, `"requested":2`, `"available":1`, `"sku":"TEA-`},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if stockOf(t, a, v2[1]) != 5 || stockOf(t, a, v2[0]) != 1 {
					t.Errorf("stock changed by a refused checkout: %d %d", stockOf(t, a, v2[0]), stockOf(t, a, v2[1]))
				}
			}},
		{Name: "an empty cart", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(empty),
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"cart_empty"`, `"field":"cart_id"`}, ExpectedEvents: none},
	})

	// A signed-in shopper: the order is theirs and the e-mail defaults to the account's.
	annCart := newCart(t, a, ann.Bearer())
	addItem(t, a, annCart, v[0], 1, ann.Bearer())
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a guest cannot check out an account cart", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(annCart),
			ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "the owner checks out without an e-mail", Method: "POST", URL: "/api/v1/orders", Headers: ann.Bearer(),
			Body: with(checkoutBody(annCart), "email", ""), ExpectedStatus: 201,
			ExpectedContent: []string{`"email":"` + ann.Email + `"`, `"user_id":"` + ann.ID + `"`},
			ExpectedEvents:  map[string]int{orders.EventPlaced: 1}},
	})
}

func TestOrdersAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}

	place := func(headers map[string]string, qty int64) orderBody {
		t.Helper()
		id := newCart(t, a, headers)
		addItem(t, a, id, v[0], qty, headers)
		r := a.Do(t, "POST", "/api/v1/orders", checkoutBody(id), headers)
		if r.Status != 201 {
			t.Fatalf("checkout: %d %s", r.Status, r.Body)
		}
		var o orderBody
		r.JSON(t, &o)
		return o
	}
	guest := place(nil, 1)
	annOrder := place(ann.Bearer(), 3)
	orderURL := "/api/v1/orders/" + annOrder.ID
	guestURL := "/api/v1/orders/" + guest.ID

	apptest.Run(t, a, []apptest.Scenario{
		// read
		{Name: "owner reads the order", Method: "GET", URL: orderURL, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent:    []string{`"id":"` + annOrder.ID + `"`, `"next_statuses":["CONFIRMED","CANCELLED"]`},
			NotExpectedContent: []string{"access_key", "access_key_hash"}, ExpectedHeaders: map[string]string{"ETag": `"1"`}},
		{Name: "another customer gets 404", Method: "GET", URL: orderURL, Headers: bob.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"order_not_found"`}},
		{Name: "anonymous gets 404", Method: "GET", URL: orderURL, ExpectedStatus: 404},
		{Name: "admin reads it", Method: "GET", URL: orderURL, Headers: admin.Bearer(), ExpectedStatus: 200},
		{Name: "a guest reads its order with the key", Method: "GET", URL: guestURL + "?key=" + guest.AccessKey, ExpectedStatus: 200},
		{Name: "a wrong key", Method: "GET", URL: guestURL + "?key=" + commerce.NewSecret(24), ExpectedStatus: 404},
		{Name: "no key", Method: "GET", URL: guestURL, ExpectedStatus: 404},
		{Name: "an order that does not exist", Method: "GET", URL: "/api/v1/orders/" + commerce.NewID(), Headers: admin.Bearer(), ExpectedStatus: 404},
		{Name: "a malformed order id", Method: "GET", URL: "/api/v1/orders/..%2f", Headers: admin.Bearer(), ExpectedStatus: 404},

		// list
		{Name: "list needs a token", Method: "GET", URL: "/api/v1/orders", ExpectedStatus: 401},
		{Name: "a customer lists their own", Method: "GET", URL: "/api/v1/orders", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{annOrder.ID, `"next_cursor":""`}, NotExpectedContent: []string{guest.ID}},
		{Name: "another customer has none", Method: "GET", URL: "/api/v1/orders", Headers: bob.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[]`}},
		{Name: "admin lists all, newest first, one per page", Method: "GET", URL: "/api/v1/orders?limit=1", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{annOrder.ID}, NotExpectedContent: []string{guest.ID, `"next_cursor":""`}},
		{Name: "admin filters by status", Method: "GET", URL: "/api/v1/orders?status=CONFIRMED", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a bad status filter", Method: "GET", URL: "/api/v1/orders?status=LOST", Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"status"`}},
		{Name: "a bad limit", Method: "GET", URL: "/api/v1/orders?limit=x", Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"limit"`}},
		{Name: "a bad cursor", Method: "GET", URL: "/api/v1/orders?cursor=%21", Headers: admin.Bearer(), ExpectedStatus: 400},

		// status changes
		{Name: "a customer may not change status", Method: "PUT", URL: orderURL + "/status", Headers: ann.Bearer(),
			Body: map[string]string{"status": "CONFIRMED"}, ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "anonymous may not change status", Method: "PUT", URL: orderURL + "/status",
			Body: map[string]string{"status": "CONFIRMED"}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "an illegal transition", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "SHIPPED"}, ExpectedStatus: 409, ExpectedEvents: none,
			ExpectedContent: []string{`"code":"illegal_transition"`, `"from":"PENDING"`, `"to":"SHIPPED"`}},
		{Name: "an unknown status", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "LOST"}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"status"`}},
		{Name: "an unknown field", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "CONFIRMED", "total": "0"}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"total"`}},
		{Name: "a stale If-Match", Method: "PUT", URL: orderURL + "/status", Headers: map[string]string{"Authorization": "Bearer " + admin.Token, "If-Match": `"9"`},
			Body: map[string]string{"status": "CONFIRMED"}, ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "confirm", Method: "PUT", URL: orderURL + "/status", Headers: map[string]string{"Authorization": "Bearer " + admin.Token, "If-Match": `"1"`},
			Body: map[string]string{"status": "CONFIRMED", "note": "paid at the till"}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"CONFIRMED"`, `"version":2`}, ExpectedHeaders: map[string]string{"ETag": `"2"`},
			ExpectedEvents: map[string]int{orders.EventStatusChanged: 1}},
		{Name: "process", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "PROCESSING"}, ExpectedStatus: 200, ExpectedEvents: map[string]int{orders.EventStatusChanged: 1}},
		{Name: "ship with tracking", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body:           map[string]string{"status": "SHIPPED", "carrier": "UPS", "tracking_number": "1Z 999"},
			ExpectedStatus: 200, ExpectedContent: []string{`"tracking_number":"1Z 999"`}},
		{Name: "a shipped order cannot be cancelled", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "CANCELLED"}, ExpectedStatus: 409, ExpectedContent: []string{`"from":"SHIPPED"`}},
		{Name: "status and history", Method: "GET", URL: orderURL + "/status", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"SHIPPED"`, `"actor":"user:` + ann.ID + `"`, `"actor":"user:` + admin.ID + `"`, `"note":"paid at the till"`}},
		{Name: "status is private", Method: "GET", URL: orderURL + "/status", Headers: bob.Bearer(), ExpectedStatus: 404},
		{Name: "tracking", Method: "GET", URL: orderURL + "/tracking", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"order_id":"` + annOrder.ID + `"`, `"carrier":"ups"`, `"carrier_name":"UPS"`, `"tracking_url":"https://www.ups.com/track?tracknum=1Z+999"`}},
		{Name: "tracking is private", Method: "GET", URL: orderURL + "/tracking", ExpectedStatus: 404},
		{Name: "a guest's tracking with its key", Method: "GET", URL: guestURL + "/tracking?key=" + guest.AccessKey, ExpectedStatus: 200,
			ExpectedContent: []string{`"tracking_url":""`}},
		{Name: "deliver", Method: "PUT", URL: orderURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "DELIVERED"}, ExpectedStatus: 200, ExpectedContent: []string{`"next_statuses":["RETURNED"]`, `"status":"delivered"`}},
		{Name: "a status change of a missing order", Method: "PUT", URL: "/api/v1/orders/" + commerce.NewID() + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "CONFIRMED"}, ExpectedStatus: 404},

		// cancel returns the stock
		{Name: "cancel the guest order", Method: "PUT", URL: guestURL + "/status", Headers: admin.Bearer(),
			Body: map[string]string{"status": "CANCELLED", "note": "no show"}, ExpectedStatus: 200,
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if got := stockOf(t, a, v[0]); got != 10-3 {
					t.Errorf("stock after cancelling the 1-unit order: %d, want 7", got)
				}
				n := 0
				for _, ev := range a.EventsAfter(t, a.DB.LastSeq()-3, a.DB.LastSeq()) {
					if ev.Type == orders.EventCancelled {
						n++
						if !strings.Contains(string(ev.Data), `"quantity":1`) || ev.Actor != "user:"+admin.ID {
							t.Errorf("cancelled event %+v %s", ev, ev.Data)
						}
					}
				}
				if n != 1 {
					t.Errorf("%d orders.cancelled events, want 1", n)
				}
			}},
		{Name: "admin filters cancelled", Method: "GET", URL: "/api/v1/orders?status=cancelled", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{guest.ID}, NotExpectedContent: []string{annOrder.ID}},
	})
}
