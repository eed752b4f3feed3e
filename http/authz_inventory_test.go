package http_test

import (
	"fmt"
	"testing"
)

// newWarehouse creates an empty active warehouse as the admin and returns its code.
func (f *authzFixture) newWarehouse(t *testing.T) string {
	t.Helper()
	code := fmt.Sprintf("wh%d", f.n())
	f.must(t, admin, "POST", "/api/v1/admin/inventory/warehouses", map[string]any{"code": code, "name": "Warehouse " + code}, 201, nil)
	return code
}

// The inventory rows of the authorization matrix (http/inventory.go): staff with
// inventory:manage only.
func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		const base = "/api/v1/admin/inventory"
		wh := func(suffix string, body any) func(*testing.T, *authzFixture, int) authzReq {
			return func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/warehouses/" + f.newWarehouse(t) + suffix, body: body}
			}
		}
		variant := func(suffix string, body any) func(*testing.T, *authzFixture, int) authzReq {
			return func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/variants/" + f.variant + suffix, body: body}
			}
		}
		return map[string]authzRow{
			"GET " + base + "/warehouses": {want: staffOnly(200), build: fixed(base+"/warehouses", nil)},
			"POST " + base + "/warehouses": {want: staffOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/warehouses", body: map[string]any{"code": fmt.Sprintf("m%d", f.n()), "name": "Matrix"}}
			}},
			"GET " + base + "/warehouses/:code":             {want: staffOnly(200), build: fixed(base+"/warehouses/main", nil)},
			"PUT " + base + "/warehouses/:code":             {want: staffOnly(200), build: wh("", map[string]any{"name": "Renamed"})},
			"POST " + base + "/warehouses/:code/deactivate": {want: staffOnly(200), build: wh("/deactivate", nil)},
			"GET " + base + "/warehouses/:code/levels":      {want: staffOnly(200), build: fixed(base+"/warehouses/main/levels", nil)},
			"GET " + base + "/warehouses/:code/movements":   {want: staffOnly(200), build: fixed(base+"/warehouses/main/movements", nil)},
			"GET " + base + "/variants/:id":                 {want: staffOnly(200), build: variant("", nil)},
			"GET " + base + "/variants/:id/movements":       {want: staffOnly(200), build: variant("/movements", nil)},
			"GET " + base + "/variants/:id/settings":        {want: staffOnly(200), build: variant("/settings", nil)},
			"PUT " + base + "/variants/:id/settings":        {want: staffOnly(200), build: variant("/settings", map[string]any{"backorder": "deny"})},
			"POST " + base + "/adjustments": {want: staffOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/adjustments", body: map[string]any{"variant_id": f.variant, "quantity": 1, "reason": "received"}}
			}},
			"POST " + base + "/transfers": {want: staffOnly(201), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/transfers", body: map[string]any{"from": "main", "to": f.newWarehouse(t),
					"lines": []map[string]any{{"variant_id": f.variant, "quantity": 1}}}}
			}},
			"GET " + base + "/reservations": {want: staffOnly(200), build: fixed(base+"/reservations", nil)},
			"GET " + base + "/reservations/:order_id": {want: staffOnly(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: base + "/reservations/" + f.orderA}
			}},
		}
	})
}
