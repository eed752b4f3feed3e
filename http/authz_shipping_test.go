package http_test

import (
	"fmt"
	"sync"
	"testing"
)

// shippingWorld remembers, per fixture, that the every-country zone with a free USD method
// exists: once any zone exists, only served addresses check out, and the matrix's other
// rows check out to UZ.
var shippingWorld sync.Map // *authzFixture → *sync.Once

// shipZone creates a zone in Antarctica (no row ships there) as admin, after making sure
// every other address stays served, and returns its ID.
func (f *authzFixture) shipZone(t *testing.T) string {
	t.Helper()
	once, _ := shippingWorld.LoadOrStore(f, &sync.Once{})
	once.(*sync.Once).Do(func() {
		var z struct{ ID string }
		f.must(t, admin, "POST", "/api/v1/admin/shipping/zones", map[string]any{"name": "World", "countries": []string{}}, 201, &z)
		f.must(t, admin, "POST", "/api/v1/admin/shipping/methods", map[string]any{"zone_id": z.ID, "name": "Free", "kind": "flat", "currency": "USD", "amount": 0}, 201, nil)
	})
	var z struct{ ID string }
	f.must(t, admin, "POST", "/api/v1/admin/shipping/zones", shippingZoneBody(f.n()), 201, &z)
	return z.ID
}

// shipMethod creates a flat method in a new Antarctic zone as admin and returns its ID.
func (f *authzFixture) shipMethod(t *testing.T) string {
	t.Helper()
	var m struct{ ID string }
	f.must(t, admin, "POST", "/api/v1/admin/shipping/methods", shippingMethodBody(f.shipZone(t)), 201, &m)
	return m.ID
}

func shippingZoneBody(n int64) map[string]any {
	return map[string]any{"name": fmt.Sprint("Antarctica ", n), "countries": []string{"AQ"}}
}

func shippingMethodBody(zoneID string) map[string]any {
	return map[string]any{"zone_id": zoneID, "name": "Sled", "kind": "flat", "currency": "USD", "amount": 900}
}

// The shipping rows (http/shipping.go): zones and methods are staff's (shipping:manage);
// carriers and rate quotes are public.
func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		const zones, methods = "/api/v1/admin/shipping/zones", "/api/v1/admin/shipping/methods"
		return map[string]authzRow{
			"GET " + zones: {want: staffOnly(200), build: fixed(zones, nil)},
			"POST " + zones: {want: staffOnly(201), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				f.shipZone(t) // makes the world zone first
				return authzReq{path: zones, body: shippingZoneBody(f.n())}
			}},
			"GET " + zones + "/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: zones + "/" + f.shipZone(t)}
			}},
			"PUT " + zones + "/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: zones + "/" + f.shipZone(t), body: shippingZoneBody(f.n())}
			}},
			"DELETE " + zones + "/:id": {want: staffOnly(204), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: zones + "/" + f.shipZone(t)}
			}},
			"GET " + methods: {want: staffOnly(200), build: fixed(methods, nil)},
			"POST " + methods: {want: staffOnly(201), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: methods, body: shippingMethodBody(f.shipZone(t))}
			}},
			"GET " + methods + "/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: methods + "/" + f.shipMethod(t)}
			}},
			"PUT " + methods + "/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				m := f.shipMethod(t)
				return authzReq{path: methods + "/" + m, body: shippingMethodBody(f.shipZone(t))}
			}},
			"DELETE " + methods + "/:id": {want: staffOnly(204), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: methods + "/" + f.shipMethod(t)}
			}},
			"GET /api/v1/shipping/carriers": {want: allOK(200), build: fixed("/api/v1/shipping/carriers", nil)},
			"POST /api/v1/shipping/rates": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/shipping/rates", body: map[string]any{
					"lines": []map[string]any{{"variant_id": f.variant, "quantity": 1}}, "address": map[string]any{"country": "AQ"}}}
			}},
		}
	})
}
