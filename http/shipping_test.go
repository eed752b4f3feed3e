package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/shipping"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// seedWeighted saves an active product with one USD variant of the weight given.
func seedWeighted(t testing.TB, a *apptest.App, grams, price, stock int64) string {
	t.Helper()
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: "Kettle", Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	p.Slug = strings.ToLower("kettle-" + p.ID)
	v := catalog.Variant{ID: commerce.NewID(), SKU: "KETTLE-" + p.ID, Price: commerce.Money{Amount: price, Currency: "USD"}, Stock: stock, WeightGrams: grams}
	p.Variants = []catalog.Variant{v}
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func TestShippingAPI(t *testing.T) {
	a := apptest.New(t)
	adm := a.NewUser(t, auth.RoleAdmin).Bearer()
	cust := a.NewUser(t, auth.RoleCustomer)
	kettle := seedWeighted(t, a, 600, 2500, 10)
	none := map[string]int{}
	const zones, methods = "/api/v1/admin/shipping/zones", "/api/v1/admin/shipping/methods"
	var us, ca, empty shipping.Zone
	var express, ground, pickup shipping.Method
	keep := func(v any) func(testing.TB, *apptest.App, *apptest.Response) {
		return func(t testing.TB, _ *apptest.App, r *apptest.Response) { r.JSON(t, v) }
	}
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for x, y := range h {
			out[x] = y
		}
		return out
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "zones need a token", Method: "POST", URL: zones, Body: map[string]any{"name": "US", "countries": []string{"US"}}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customers cannot manage zones", Method: "POST", URL: zones, Headers: cust.Bearer(), Body: map[string]any{"name": "US", "countries": []string{"US"}}, ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "an unknown country", Method: "POST", URL: zones, Headers: adm, Body: map[string]any{"name": "US", "countries": []string{"US", "XX"}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"countries[1]"`, `\"XX\" is not an ISO 3166-1`}, ExpectedEvents: none},
		{Name: "create a zone (Idempotency-Key)", Method: "POST", URL: zones, Headers: with(adm, "Idempotency-Key", "zone-us"), Body: map[string]any{"name": "US", "countries": []string{"us"}},
			ExpectedStatus: 201, ExpectedContent: []string{`"countries":["US"]`}, ExpectedHeaders: map[string]string{"ETag": `"1"`},
			ExpectedEvents: map[string]int{shipping.EventZoneCreated: 1}, After: keep(&us)},
		{Name: "the same key replays the zone", Method: "POST", URL: zones, Headers: with(adm, "Idempotency-Key", "zone-us"), Body: map[string]any{"name": "US", "countries": []string{"us"}},
			ExpectedStatus: 201, ExpectedEvents: none, After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var z shipping.Zone
				r.JSON(t, &z)
				if z.ID != us.ID {
					t.Fatalf("replay made zone %s, first was %s", z.ID, us.ID)
				}
			}},
		{Name: "a region zone", Method: "POST", URL: zones, Headers: adm, Body: map[string]any{"name": "California", "countries": []string{"US"}, "regions": []string{"CA"}},
			ExpectedStatus: 201, After: keep(&ca)},
		{Name: "a zone to delete", Method: "POST", URL: zones, Headers: adm, Body: map[string]any{"name": "Nowhere", "countries": []string{"AQ"}},
			ExpectedStatus: 201, After: keep(&empty)},
		{Name: "list zones", Method: "GET", URL: zones, Headers: adm, ExpectedStatus: 200, ExpectedContent: []string{`"name":"US"`, `"name":"California"`}},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "an unknown zone", Method: "GET", URL: zones + "/" + commerce.NewID(), Headers: adm, ExpectedStatus: 404, ExpectedContent: []string{"shipping_zone_not_found"}},
		{Name: "a stale If-Match", Method: "PUT", URL: zones + "/" + us.ID, Headers: with(adm, "If-Match", `"9"`), Body: map[string]any{"name": "USA", "countries": []string{"US"}},
			ExpectedStatus: 412, ExpectedContent: []string{"version_mismatch"}, ExpectedEvents: none},
		{Name: "rename the zone", Method: "PUT", URL: zones + "/" + us.ID, Headers: with(adm, "If-Match", `"1"`), Body: map[string]any{"name": "USA", "countries": []string{"US"}},
			ExpectedStatus: 200, ExpectedHeaders: map[string]string{"ETag": `"2"`}, ExpectedEvents: map[string]int{shipping.EventZoneUpdated: 1}},
		{Name: "an unknown carrier", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": us.ID, "name": "Pony", "kind": "flat", "currency": "USD", "amount": 100, "carrier_id": "pony"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"carrier_id"`, `carrier \"pony\" does not exist`}, ExpectedEvents: none},
		{Name: "overlapping brackets and a negative amount", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": us.ID, "name": "Ground", "kind": "weight", "currency": "USD", "brackets": []map[string]any{{"up_to": 1000, "amount": 500}, {"up_to": 800, "amount": -1}}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"brackets[1].up_to"`, `"field":"brackets[1].amount"`}, ExpectedEvents: none},
		{Name: "a zone that does not exist", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": "nope", "name": "X", "kind": "flat", "currency": "USD"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"zone_id"`}, ExpectedEvents: none},
		{Name: "customers cannot manage methods", Method: "POST", URL: methods, Headers: cust.Bearer(),
			Body: map[string]any{"zone_id": us.ID, "name": "X", "kind": "flat", "currency": "USD"}, ExpectedStatus: 403},
		{Name: "a flat method", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": us.ID, "name": "Express", "kind": "flat", "currency": "USD", "amount": 1500, "carrier_id": "ups", "min_days": 1, "max_days": 2},
			ExpectedStatus: 201, ExpectedEvents: map[string]int{shipping.EventMethodCreated: 1}, After: keep(&express)},
		{Name: "a weight method", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": us.ID, "name": "Ground", "kind": "weight", "currency": "USD", "brackets": []map[string]any{{"up_to": 1000, "amount": 500}, {"up_to": 5000, "amount": 900}}},
			ExpectedStatus: 201, After: keep(&ground)},
		{Name: "a pickup method", Method: "POST", URL: methods, Headers: adm,
			Body:           map[string]any{"zone_id": ca.ID, "name": "Pickup", "kind": "pickup", "currency": "USD", "pickup": map[string]any{"location": "Shop", "address": "1 Market St"}},
			ExpectedStatus: 201, After: keep(&pickup)},
	})
	rates := "/api/v1/shipping/rates"
	two := []map[string]any{{"variant_id": kettle, "quantity": 2}}
	var guestCart struct{ ID string }
	var ownCart struct{ ID string }
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a zone's methods", Method: "GET", URL: methods + "?zone_id=" + us.ID, Headers: adm, ExpectedStatus: 200,
			ExpectedContent: []string{`"name":"Express"`, `"name":"Ground"`}, NotExpectedContent: []string{`"name":"Pickup"`}},
		{Name: "a method", Method: "GET", URL: methods + "/" + pickup.ID, Headers: adm, ExpectedStatus: 200, ExpectedContent: []string{`"location":"Shop"`}},
		{Name: "an unknown method", Method: "GET", URL: methods + "/nope", Headers: adm, ExpectedStatus: 404},
		{Name: "a stale method update", Method: "PUT", URL: methods + "/" + express.ID, Headers: with(adm, "If-Match", `"5"`),
			Body: map[string]any{"zone_id": us.ID, "name": "Express", "kind": "flat", "currency": "USD", "amount": 1}, ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "a zone with methods stays", Method: "DELETE", URL: zones + "/" + us.ID, Headers: adm, ExpectedStatus: 409, ExpectedContent: []string{"zone_has_methods"}, ExpectedEvents: none},
		{Name: "delete an empty zone", Method: "DELETE", URL: zones + "/" + empty.ID, Headers: adm, ExpectedStatus: 204, ExpectedEvents: map[string]int{shipping.EventZoneDeleted: 1}},
		{Name: "carriers", Method: "GET", URL: "/api/v1/shipping/carriers", ExpectedStatus: 200, ExpectedContent: []string{`"id":"ups"`, `"id":"manual"`}},
		{Name: "rates for lines, cheapest first", Method: "POST", URL: rates, Body: map[string]any{"lines": two, "address": map[string]any{"country": "us", "region": "TX"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"weight_grams":1200`, `"subtotal":{"amount":5000,"currency":"USD"}`,
				`{"method_id":"` + ground.ID + `","name":"Ground","kind":"weight","amount":{"amount":900,"currency":"USD"}`, `"carrier_name":"UPS"`},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				if strings.Index(string(r.Body), "Ground") > strings.Index(string(r.Body), "Express") {
					t.Fatalf("not cheapest first: %s", r.Body)
				}
			}},
		{Name: "the most specific zone", Method: "POST", URL: rates, Body: map[string]any{"lines": two, "address": map[string]any{"country": "US", "region": "CA"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Pickup"`}, NotExpectedContent: []string{"Express"}},
		{Name: "an unserved address", Method: "POST", URL: rates, Body: map[string]any{"lines": two, "address": map[string]any{"country": "UZ"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a bad country", Method: "POST", URL: rates, Body: map[string]any{"lines": two, "address": map[string]any{"country": "XX"}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"address.country"`}},
		{Name: "neither cart nor lines", Method: "POST", URL: rates, Body: map[string]any{"address": map[string]any{"country": "US"}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"cart_id"`}},
		{Name: "a guest cart", Method: "POST", URL: "/api/v1/carts", ExpectedStatus: 201, After: keep(&guestCart)},
		{Name: "a customer's cart", Method: "POST", URL: "/api/v1/carts", Headers: cust.Bearer(), ExpectedStatus: 201, After: keep(&ownCart)},
	})
	for _, id := range []string{guestCart.ID, ownCart.ID} {
		a.Do(t, "POST", "/api/v1/carts/"+id+"/items", map[string]any{"variant_id": kettle, "quantity": 3}, cust.Bearer())
	}
	order := func(cartID, country, methodID string) map[string]any {
		b := checkoutBody(cartID)
		addr := map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Austin", "country": country, "region": "TX"}
		b["shipping_address"], b["shipping_method_id"] = addr, methodID
		return b
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "rates for a guest cart", Method: "POST", URL: rates, Body: map[string]any{"cart_id": guestCart.ID, "address": map[string]any{"country": "US"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"weight_grams":1800`, `"subtotal":{"amount":7500,"currency":"USD"}`, `"amount":{"amount":900,"currency":"USD"}`}},
		{Name: "someone else's cart", Method: "POST", URL: rates, Body: map[string]any{"cart_id": ownCart.ID, "address": map[string]any{"country": "US"}},
			ExpectedStatus: 404},
		{Name: "its owner's cart", Method: "POST", URL: rates, Headers: cust.Bearer(), Body: map[string]any{"cart_id": ownCart.ID, "address": map[string]any{"country": "US"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"weight_grams":1800`}},
		{Name: "checkout to an unserved address writes nothing", Method: "POST", URL: "/api/v1/orders", Body: order(guestCart.ID, "UZ", ""),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"shipping_address.country"`, "no shipping method serves this address"}, ExpectedEvents: none,
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if n := stockOf(t, a, kettle); n != 10 {
					t.Fatalf("stock %d after a refused checkout", n)
				}
			}},
		{Name: "checkout with a method of another zone", Method: "POST", URL: "/api/v1/orders", Body: order(guestCart.ID, "US", pickup.ID),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"shipping_method_id"`, "does not serve this address"}, ExpectedEvents: none},
		{Name: "checkout choosing a method", Method: "POST", URL: "/api/v1/orders", Body: order(guestCart.ID, "US", express.ID),
			ExpectedStatus: 201, ExpectedContent: []string{`"method_id":"` + express.ID + `"`, `"carrier":"ups"`,
				`"shipping_total":{"amount":1500,"currency":"USD"}`, `"total":{"amount":9000,"currency":"USD"}`}},
		{Name: "delete a method", Method: "DELETE", URL: methods + "/" + pickup.ID, Headers: adm, ExpectedStatus: 204, ExpectedEvents: map[string]int{shipping.EventMethodDeleted: 1}},
		{Name: "deleted", Method: "GET", URL: methods + "/" + pickup.ID, Headers: adm, ExpectedStatus: 404},
	})
}
