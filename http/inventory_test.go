package http_test

import (
	"maps"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

type variantStockBody struct {
	Sellable int64 `json:"sellable"`
	Levels   []struct {
		Warehouse string `json:"warehouse"`
		OnHand    int64  `json:"on_hand"`
		Reserved  int64  `json:"reserved"`
		Available int64  `json:"available"`
	} `json:"levels"`
}

// stockedVariant creates an active one-variant product (price in USD cents, stock units in
// the main warehouse) as staff and returns the variant's ID.
func stockedVariant(t testing.TB, a *apptest.App, staff map[string]string, title, sku string, price, stock int64) string {
	t.Helper()
	var p struct {
		Variants []struct {
			ID string `json:"id"`
		} `json:"variants"`
	}
	r := a.Do(t, "POST", "/api/v1/products", map[string]any{"title": title, "status": "active",
		"variants": []map[string]any{{"sku": sku, "price": map[string]any{"amount": price, "currency": "USD"}, "stock": stock}}}, staff)
	if r.Status != 201 {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &p)
	return p.Variants[0].ID
}

// variantStock reads a variant in every warehouse through the admin inventory route.
func variantStock(t testing.TB, a *apptest.App, staff map[string]string, variantID string) variantStockBody {
	t.Helper()
	r := a.Do(t, "GET", "/api/v1/admin/inventory/variants/"+variantID, nil, staff)
	if r.Status != 200 {
		t.Fatalf("variant stock: %d %s", r.Status, r.Body)
	}
	var v variantStockBody
	r.JSON(t, &v)
	return v
}

// TestInventoryScenarios runs every inventory route against the app: warehouses, levels,
// adjustments, transfers, movements, SKU settings and reservations, with the refusals
// (401/403/404/409/412/422) changing nothing and emitting nothing.
func TestInventoryScenarios(t *testing.T) {
	a := apptest.New(t)
	staff := a.NewUser(t, auth.RoleAdmin).Bearer()
	customer := a.NewUser(t, auth.RoleCustomer).Bearer()
	hdr := func(h map[string]string, kv ...string) map[string]string {
		out := maps.Clone(h)
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	vid := stockedVariant(t, a, staff, "Inventory tea", "INV-1", 500, 10)
	stockOf := func(t testing.TB) variantStockBody { t.Helper(); return variantStock(t, a, staff, vid) }
	level := func(v variantStockBody, w string) int64 {
		for _, l := range v.Levels {
			if l.Warehouse == w {
				return l.OnHand
			}
		}
		return -1
	}
	unchanged := func(main, east int64) func(testing.TB, *apptest.App, *apptest.Response) {
		return func(t testing.TB, _ *apptest.App, _ *apptest.Response) {
			v := stockOf(t)
			if level(v, "main") != main || level(v, "east") != east {
				t.Errorf("levels main %d east %d, want %d %d", level(v, "main"), level(v, "east"), main, east)
			}
		}
	}
	none := map[string]int{}
	const base = "/api/v1/admin/inventory"
	adjust := func(q int64, reason, wh string) map[string]any {
		return map[string]any{"variant_id": vid, "warehouse": wh, "quantity": q, "reason": reason}
	}
	transfer := func(from, to string, q int64) map[string]any {
		return map[string]any{"from": from, "to": to, "lines": []map[string]any{{"variant_id": vid, "quantity": q}}}
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "warehouses need a token", Method: "GET", URL: base + "/warehouses", ExpectedStatus: 401},
		{Name: "warehouses need inventory:manage", Method: "GET", URL: base + "/warehouses", Headers: customer, ExpectedStatus: 403},
		{Name: "the default warehouse exists", Method: "GET", URL: base + "/warehouses", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"code":"main"`, `"active":true`}},
		{Name: "create a warehouse", Method: "POST", URL: base + "/warehouses", Headers: staff,
			Body:           map[string]any{"code": "east", "name": "East", "priority": 5, "address": map[string]any{"name": "East", "line1": "2 Side St", "city": "Samarkand", "country": "uz"}},
			ExpectedStatus: 201, ExpectedHeaders: map[string]string{"ETag": `"1"`, "Location": base + "/warehouses/east"},
			ExpectedContent: []string{`"code":"east"`, `"country":"UZ"`}, ExpectedEvents: map[string]int{"inventory.warehouse_created": 1}},
		{Name: "a taken code", Method: "POST", URL: base + "/warehouses", Headers: staff, Body: map[string]any{"code": "east", "name": "Again"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"warehouse_exists"`}, ExpectedEvents: none},
		{Name: "a bad code and no name", Method: "POST", URL: base + "/warehouses", Headers: staff, Body: map[string]any{"code": "Bad Code!"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`, `"field":"name"`}, ExpectedEvents: none},
		{Name: "unknown warehouse", Method: "GET", URL: base + "/warehouses/nowhere", Headers: staff, ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"warehouse_not_found"`}},
		{Name: "stale If-Match", Method: "PUT", URL: base + "/warehouses/east", Headers: hdr(staff, "If-Match", `"9"`),
			Body: map[string]any{"name": "East 2"}, ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "update a warehouse", Method: "PUT", URL: base + "/warehouses/east", Headers: hdr(staff, "If-Match", `"1"`),
			Body: map[string]any{"name": "East 2", "priority": 1}, ExpectedStatus: 200, ExpectedHeaders: map[string]string{"ETag": `"2"`},
			ExpectedContent: []string{`"name":"East 2"`, `"priority":1`}, ExpectedEvents: map[string]int{"inventory.warehouse_updated": 1}},
		{Name: "the code cannot change", Method: "PUT", URL: base + "/warehouses/east", Headers: staff,
			Body: map[string]any{"code": "west", "name": "East"}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}, ExpectedEvents: none},

		{Name: "receive stock", Method: "POST", URL: base + "/adjustments", Headers: hdr(staff, "Idempotency-Key", "adj-1"),
			Body: adjust(5, "received", "east"), ExpectedStatus: 201,
			ExpectedContent: []string{`"reason":"received"`, `"on_hand":5`, `"sellable":15`}, ExpectedEvents: map[string]int{"inventory.adjusted": 1},
			After: unchanged(10, 5)},
		{Name: "the same Idempotency-Key replays the answer and moves nothing", Method: "POST", URL: base + "/adjustments",
			Headers: hdr(staff, "Idempotency-Key", "adj-1"), Body: adjust(5, "received", "east"), ExpectedStatus: 201,
			ExpectedContent: []string{`"sellable":15`}, ExpectedEvents: none, After: unchanged(10, 5)},
		{Name: "zero quantity", Method: "POST", URL: base + "/adjustments", Headers: staff, Body: adjust(0, "received", "east"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}, ExpectedEvents: none, After: unchanged(10, 5)},
		{Name: "damage must take away", Method: "POST", URL: base + "/adjustments", Headers: staff, Body: adjust(2, "damaged", "east"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}, ExpectedEvents: none},
		{Name: "unknown reason", Method: "POST", URL: base + "/adjustments", Headers: staff, Body: adjust(2, "stolen", "east"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: none},
		{Name: "unknown warehouse in the body", Method: "POST", URL: base + "/adjustments", Headers: staff, Body: adjust(2, "received", "west"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"warehouse"`}, ExpectedEvents: none, After: unchanged(10, 5)},
		{Name: "unknown variant", Method: "POST", URL: base + "/adjustments", Headers: staff,
			Body: map[string]any{"variant_id": "nope", "quantity": 1, "reason": "received"}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"variant_id"`}, ExpectedEvents: none},
		{Name: "losing more than is on hand", Method: "POST", URL: base + "/adjustments", Headers: staff, Body: adjust(-6, "lost", "east"),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"insufficient_stock"`, `"on_hand":5`}, ExpectedEvents: none, After: unchanged(10, 5)},
		{Name: "unknown fields are refused", Method: "POST", URL: base + "/adjustments", Headers: staff,
			Body: map[string]any{"variant_id": vid, "quantity": 1, "reason": "received", "bogus": true}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"bogus"`}, ExpectedEvents: none},

		{Name: "transfer", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("east", "main", 3), ExpectedStatus: 201,
			ExpectedContent: []string{`"from":"east"`, `"to":"main"`}, ExpectedEvents: map[string]int{"inventory.transferred": 1}, After: unchanged(13, 2)},
		{Name: "a transfer from a warehouse without the stock", Method: "POST", URL: base + "/transfers", Headers: staff,
			Body: transfer("east", "main", 3), ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"insufficient_stock"`, `"available":2`, `"requested":3`, `"variant_id":"` + vid + `"`},
			ExpectedEvents:  none, After: unchanged(13, 2)},
		{Name: "transfer from an unknown warehouse", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("west", "main", 1),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"from"`}, ExpectedEvents: none, After: unchanged(13, 2)},
		{Name: "transfer a negative quantity", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("main", "east", -1),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"lines[0].quantity"`}, ExpectedEvents: none, After: unchanged(13, 2)},
		{Name: "transfer to itself", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("main", "main", 1),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"to"`}, ExpectedEvents: none},

		{Name: "a variant's stock", Method: "GET", URL: base + "/variants/" + vid, Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"sellable":15`, `"sku":"INV-1"`, `"warehouse":"east"`, `"backorder":"deny"`}},
		{Name: "unknown variant's stock", Method: "GET", URL: base + "/variants/nope", Headers: staff, ExpectedStatus: 404},
		{Name: "a warehouse's levels", Method: "GET", URL: base + "/warehouses/east/levels", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"variant_id":"` + vid + `"`, `"on_hand":2`}},
		{Name: "levels of an unknown warehouse", Method: "GET", URL: base + "/warehouses/west/levels", Headers: staff, ExpectedStatus: 404},
		{Name: "a warehouse's movements", Method: "GET", URL: base + "/warehouses/east/movements?limit=1", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"reason":"transfer_out"`, `"next_cursor":"`}, NotExpectedContent: []string{`"next_cursor":""`}},
		{Name: "a variant's movements", Method: "GET", URL: base + "/variants/" + vid + "/movements", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"reason":"received"`, `"reason":"catalog"`, `"reason":"transfer_in"`, `"actor":"user:`}},
		{Name: "a bad cursor", Method: "GET", URL: base + "/variants/" + vid + "/movements?cursor=%21", Headers: staff, ExpectedStatus: 400},

		{Name: "a warehouse holding stock cannot be deactivated", Method: "POST", URL: base + "/warehouses/east/deactivate", Headers: staff,
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"warehouse_not_empty"`}, ExpectedEvents: none},
		{Name: "the default warehouse cannot be deactivated", Method: "POST", URL: base + "/warehouses/main/deactivate", Headers: staff,
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"default_warehouse"`}, ExpectedEvents: none},
		{Name: "empty the warehouse", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("east", "main", 2), ExpectedStatus: 201},
		{Name: "deactivate the empty warehouse", Method: "POST", URL: base + "/warehouses/east/deactivate", Headers: staff,
			ExpectedStatus: 200, ExpectedContent: []string{`"active":false`}, ExpectedEvents: map[string]int{"inventory.warehouse_updated": 1}},
		{Name: "no transfer into an inactive warehouse", Method: "POST", URL: base + "/transfers", Headers: staff, Body: transfer("main", "east", 1),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"warehouse_inactive"`}, ExpectedEvents: none, After: unchanged(15, 0)},

		{Name: "default settings", Method: "GET", URL: base + "/variants/" + vid + "/settings", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"backorder":"deny"`}, ExpectedHeaders: map[string]string{"ETag": `"0"`}},
		{Name: "bad settings", Method: "PUT", URL: base + "/variants/" + vid + "/settings", Headers: staff,
			Body: map[string]any{"backorder": "maybe", "low_stock_threshold": -1}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"backorder"`, `"field":"low_stock_threshold"`}, ExpectedEvents: none},
		{Name: "settings of an unknown variant", Method: "PUT", URL: base + "/variants/nope/settings", Headers: staff,
			Body: map[string]any{"backorder": "deny"}, ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "set a low-stock threshold", Method: "PUT", URL: base + "/variants/" + vid + "/settings", Headers: staff,
			Body: map[string]any{"backorder": "deny", "low_stock_threshold": 12}, ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"ETag": `"1"`}, ExpectedEvents: map[string]int{"inventory.item_updated": 1}},
		{Name: "an adjustment crossing the threshold emits low_stock", Method: "POST", URL: base + "/adjustments", Headers: staff,
			Body: adjust(-4, "damaged", "main"), ExpectedStatus: 201, ExpectedContent: []string{`"sellable":11`},
			ExpectedEvents: map[string]int{"inventory.adjusted": 1, "inventory.low_stock": 1}},

		{Name: "reservations list", Method: "GET", URL: base + "/reservations", Headers: staff, ExpectedStatus: 200, ExpectedContent: []string{`"items":[`}},
		{Name: "an order without a reservation", Method: "GET", URL: base + "/reservations/01ARZ3NDEKTSV4RRFFQ69G5FAV", Headers: staff, ExpectedStatus: 404},
	})

	// Checkout reserves (cash: held until paid), cancelling releases.
	var c struct {
		ID string `json:"id"`
	}
	a.Do(t, "POST", "/api/v1/carts", nil, nil).JSON(t, &c)
	if r := a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": vid, "quantity": 2}, nil); r.Status != 200 {
		t.Fatalf("add to cart: %d %s", r.Status, r.Body)
	}
	r := a.Do(t, "POST", "/api/v1/orders", checkoutBody(c.ID), nil)
	if r.Status != 201 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the order's reservation", Method: "GET", URL: base + "/reservations/" + o.ID, Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"active"`, `"warehouse":"main"`, `"quantity":2`}, NotExpectedContent: []string{`"expires_at"`}},
		{Name: "active reservations list it", Method: "GET", URL: base + "/reservations", Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"order_id":"` + o.ID + `"`}},
		{Name: "reserved units are not sellable", Method: "GET", URL: base + "/variants/" + vid, Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"sellable":9`, `"reserved":2`}},
		{Name: "cancel the order", Method: "PUT", URL: "/api/v1/orders/" + o.ID + "/status", Headers: staff, Body: map[string]any{"status": "CANCELLED"},
			ExpectedStatus: 200},
		{Name: "the reservation is released", Method: "GET", URL: base + "/reservations/" + o.ID, Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"released"`}},
		{Name: "the units are sellable again", Method: "GET", URL: base + "/variants/" + vid, Headers: staff, ExpectedStatus: 200,
			ExpectedContent: []string{`"sellable":11`, `"reserved":0`}},
	})
}
