package http_test

import (
	"context"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// The payments rows of the authorization matrix (http/payments.go): an order's payment is
// its owner's and staff's (others get 404); staff capture and refund; methods are public;
// webhooks authenticate the gateway themselves (none is configured here: 404).
func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		rows := map[string]authzRow{
			"GET /api/v1/payments/methods": {want: allOK(200), build: fixed("/api/v1/payments/methods?currency=USD", nil)},
			"POST /api/v1/payments/process": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/payments/process", body: map[string]any{"order_id": f.orderA}}
			}},
			"GET /api/v1/payments/:id": {want: ownerOrStaff(200, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/payments/" + f.paymentOf(t, f.orderA)}
			}},
			"GET /api/v1/orders/:id/payments": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.orderA + "/payments"}
			}},
			"POST /api/v1/payments/:id/capture": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/payments/" + f.paymentOf(t, f.order(t, custA)) + "/capture"}
			}},
			"POST /api/v1/payments/:id/refund": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				id := f.paymentOf(t, f.order(t, custA))
				f.must(t, admin, "POST", "/api/v1/payments/"+id+"/capture", nil, 200, nil)
				return authzReq{path: "/api/v1/payments/" + id + "/refund", body: map[string]any{"amount": map[string]any{"amount": 1}}}
			}},
		}
		for _, g := range payments.GatewayIDs {
			rows["POST /api/v1/payments/webhooks/"+g] = authzRow{want: allOK(404), build: fixed("/api/v1/payments/webhooks/"+g, map[string]any{})}
		}
		return rows
	})
}

// paymentOf returns the current payment of an order.
func (f *authzFixture) paymentOf(t *testing.T, orderID string) string {
	t.Helper()
	o, err := f.a.Orders.Get(context.Background(), orders.Viewer{Staff: true}, orderID)
	if err != nil || o.PaymentID == "" {
		t.Fatalf("setup: the payment of order %s: %v %+v", orderID, err, o.PaymentID)
	}
	return o.PaymentID
}
