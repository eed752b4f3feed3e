package http_test

import "testing"

// shippableOrderA is a new order of A's released from any fraud hold (the matrix places
// many orders of A's, which the velocity rule holds).
func (f *authzFixture) shippableOrderA(t *testing.T) string {
	t.Helper()
	id := f.order(t, custA)
	var o struct {
		Review *struct {
			Status string `json:"status"`
		} `json:"review"`
	}
	f.must(t, admin, "GET", "/api/v1/orders/"+id, nil, 200, &o)
	if o.Review != nil && o.Review.Status == "pending" {
		f.must(t, admin, "POST", "/api/v1/admin/fraud/reviews/"+id+"/approve", map[string]any{"note": "known customer"}, 200, nil)
	}
	return id
}

// deliveredOrderA is a new order of A's, shipped and delivered by staff; it returns the
// order ID.
func (f *authzFixture) deliveredOrderA(t *testing.T) string {
	t.Helper()
	id := f.shippableOrderA(t)
	f.must(t, admin, "POST", "/api/v1/orders/"+id+"/fulfilments", nil, 201, nil)
	f.must(t, admin, "PUT", "/api/v1/orders/"+id+"/status", map[string]any{"status": "DELIVERED"}, 200, nil)
	return id
}

// returnA opens a return of a delivered order of A's and returns its URL; approved
// approves it too.
func (f *authzFixture) returnA(t *testing.T, approved bool) string {
	t.Helper()
	id := f.deliveredOrderA(t)
	var r struct {
		Return struct {
			ID string `json:"id"`
		} `json:"return"`
	}
	f.must(t, custA, "POST", "/api/v1/orders/"+id+"/returns", map[string]any{"reason": "too big"}, 201, &r)
	u := "/api/v1/orders/" + id + "/returns/" + r.Return.ID
	if approved {
		f.must(t, admin, "POST", u+"/approve", nil, 200, nil)
	}
	return u
}

// orderRow is a row for a route on a new order of A's: anyone but A and staff gets 404.
func orderRow(want [nActors]int, suffix string, body any) authzRow {
	return authzRow{want: want, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
		return authzReq{path: "/api/v1/orders/" + f.order(t, custA) + suffix, body: body}
	}}
}

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
			// PUT /orders/:id: A may change only the address of a PENDING order (403 for the
			// internal note); strangers get 404.
			"PUT /api/v1/orders/:id":        orderRow([nActors]int{404, 403, 404, 404, 200, 200}, "", map[string]any{"internal_note": "call first"}),
			"DELETE /api/v1/orders/:id":     orderRow(ownerOrStaff(204, 404), "", nil),
			"POST /api/v1/orders/:id/notes": orderRow(staffOnly(201), "/notes", map[string]any{"text": "hello"}),
			"POST /api/v1/orders/:id/fulfilments": {want: staffOnly(201), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.shippableOrderA(t) + "/fulfilments"}
			}},
			"POST /api/v1/orders/:id/fulfilments/:fid/delivered": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				id := f.shippableOrderA(t)
				var out struct {
					Fulfilment struct {
						ID string `json:"id"`
					} `json:"fulfilment"`
				}
				f.must(t, admin, "POST", "/api/v1/orders/"+id+"/fulfilments", nil, 201, &out)
				return authzReq{path: "/api/v1/orders/" + id + "/fulfilments/" + out.Fulfilment.ID + "/delivered"}
			}},
			"POST /api/v1/orders/:id/returns": {want: ownerOrStaff(201, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.deliveredOrderA(t) + "/returns", body: map[string]any{"reason": "too big"}}
			}},
			"GET /api/v1/orders/:id/returns": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/orders/" + f.orderA + "/returns"}
			}},
			"POST /api/v1/orders/:id/returns/:rid/approve": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: f.returnA(t, false) + "/approve"}
			}},
			"POST /api/v1/orders/:id/returns/:rid/reject": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: f.returnA(t, false) + "/reject", body: map[string]any{"reason": "worn"}}
			}},
			"POST /api/v1/orders/:id/returns/:rid/receive": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: f.returnA(t, true) + "/receive"}
			}},
			// The order is unpaid: staff get past the guard to 409 order_not_paid.
			"POST /api/v1/orders/:id/returns/:rid/refund": {want: staffOnly(409), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				u := f.returnA(t, true)
				f.must(t, admin, "POST", u+"/receive", nil, 200, nil)
				return authzReq{path: u + "/refund"}
			}},
			"POST /api/v1/orders/:id/invoice": orderRow(staffOnly(201), "/invoice", nil),
			"GET /api/v1/orders/:id/invoice.pdf": {want: ownerOrStaff(200, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				id := f.order(t, custA)
				f.must(t, admin, "POST", "/api/v1/orders/"+id+"/invoice", nil, 201, nil)
				return authzReq{path: "/api/v1/orders/" + id + "/invoice.pdf"}
			}},
		}
	})
}
