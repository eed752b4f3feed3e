package http_test

import "testing"

// The order lifecycle rows of the authorization matrix (http/orders*.go): each actor checks
// out its own cart; A's order is A's and staff's; staff manage.
func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		return map[string]authzRow{
			"POST /api/v1/orders": {want: allOK(201), build: func(t *testing.T, f *authzFixture, who int) authzReq {
				cart, _ := f.cart(t, who)
				return authzReq{path: "/api/v1/orders", body: checkoutBody(cart)}
			}},
			"GET /api/v1/orders": {want: signedIn(200), build: fixed("/api/v1/orders", nil)},
			"GET /api/v1/orders/:id": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.orderA}
			}},
			"GET /api/v1/orders/:id/status": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.orderA + "/status"}
			}},
			"GET /api/v1/orders/:id/tracking": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.orderA + "/tracking"}
			}},
			"PUT /api/v1/orders/:id/status": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.order(t, custA) + "/status", body: map[string]any{"status": "CONFIRMED"}}
			}},
		}
	})
}
