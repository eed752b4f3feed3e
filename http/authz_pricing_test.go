package http_test

import "testing"

// newPriceList, newPromotion and newTaxZone create a resource as admin and return its URL.
func (f *authzFixture) newPriceList(t *testing.T) string {
	t.Helper()
	var out struct{ ID string }
	f.must(t, admin, "POST", "/api/v1/admin/price-lists", map[string]any{"name": "matrix", "currency": "USD"}, 201, &out)
	return "/api/v1/admin/price-lists/" + out.ID
}

func (f *authzFixture) newPromotion(t *testing.T) string {
	t.Helper()
	var out struct{ ID string }
	f.must(t, admin, "POST", "/api/v1/admin/promotions", map[string]any{"kind": "free_shipping", "code": "", "min_subtotal": map[string]any{"amount": 1 << 40, "currency": "USD"}}, 201, &out)
	return "/api/v1/admin/promotions/" + out.ID
}

func (f *authzFixture) newTaxZone(t *testing.T) string {
	t.Helper()
	var out struct{ ID string }
	f.must(t, admin, "POST", "/api/v1/admin/tax-zones", map[string]any{"country": "ZZ", "region": "r" + itoa(f.n()), "rate": 0}, 201, &out)
	return "/api/v1/admin/tax-zones/" + out.ID
}

func itoa(n int64) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func init() {
	authzParts = append(authzParts, func() map[string]authzRow {
		list := func(path string) func(*testing.T, *authzFixture, int) authzReq {
			return func(t *testing.T, f *authzFixture, _ int) authzReq { return authzReq{path: path} }
		}
		on := func(make func(*authzFixture, *testing.T) string, suffix string, body any) func(*testing.T, *authzFixture, int) authzReq {
			return func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: make(f, t) + suffix, body: body}
			}
		}
		pl, pr, tz := (*authzFixture).newPriceList, (*authzFixture).newPromotion, (*authzFixture).newTaxZone
		return map[string]authzRow{
			"GET /api/v1/admin/price-lists":        {want: staffOnly(200), build: list("/api/v1/admin/price-lists")},
			"POST /api/v1/admin/price-lists":       {want: staffOnly(201), build: fixed("/api/v1/admin/price-lists", map[string]any{"name": "x", "currency": "USD"})},
			"GET /api/v1/admin/price-lists/:id":    {want: staffOnly(200), build: on(pl, "", nil)},
			"PUT /api/v1/admin/price-lists/:id":    {want: staffOnly(200), build: on(pl, "", map[string]any{"name": "y", "currency": "USD"})},
			"DELETE /api/v1/admin/price-lists/:id": {want: staffOnly(204), build: on(pl, "", nil)},
			"GET /api/v1/admin/promotions":         {want: staffOnly(200), build: list("/api/v1/admin/promotions")},
			"POST /api/v1/admin/promotions": {want: staffOnly(201), build: fixed("/api/v1/admin/promotions",
				map[string]any{"kind": "free_shipping", "min_subtotal": map[string]any{"amount": 1 << 40, "currency": "USD"}})},
			"GET /api/v1/admin/promotions/:id": {want: staffOnly(200), build: on(pr, "", nil)},
			"PUT /api/v1/admin/promotions/:id": {want: staffOnly(200), build: on(pr, "",
				map[string]any{"kind": "free_shipping", "min_subtotal": map[string]any{"amount": 1 << 41, "currency": "USD"}})},
			"DELETE /api/v1/admin/promotions/:id":    {want: staffOnly(204), build: on(pr, "", nil)},
			"GET /api/v1/admin/promotions/:id/usage": {want: staffOnly(200), build: on(pr, "/usage", nil)},
			"GET /api/v1/admin/tax-zones":            {want: staffOnly(200), build: list("/api/v1/admin/tax-zones")},
			"POST /api/v1/admin/tax-zones": {want: staffOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/admin/tax-zones", body: map[string]any{"country": "ZY", "region": "p" + itoa(f.n()), "rate": 0}}
			}},
			"GET /api/v1/admin/tax-zones/:id": {want: staffOnly(200), build: on(tz, "", nil)},
			"PUT /api/v1/admin/tax-zones/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: f.newTaxZone(t), body: map[string]any{"country": "ZX", "region": "q" + itoa(f.n()), "rate": 0}}
			}},
			"DELETE /api/v1/admin/tax-zones/:id": {want: staffOnly(204), build: on(tz, "", nil)},
			"GET /api/v1/admin/customer-groups/:user_id": {want: staffOnly(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/admin/customer-groups/" + f.users[custA].ID}
			}},
			"PUT /api/v1/admin/customer-groups/:user_id": {want: staffOnly(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/admin/customer-groups/" + f.users[custB].ID, body: map[string]any{"customer_group": "vip"}}
			}},
			// Cart coupons follow the cart's access rule; merge needs a signed-in user whose
			// cart it is not (A's account cart: A gets it back unchanged, others 404).
			"POST /api/v1/carts/:id/coupons": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/carts/" + f.cartA + "/coupons", body: map[string]any{"code": "MATRIX"}}
			}},
			"DELETE /api/v1/carts/:id/coupons/:code": {want: ownerOrStaff(200, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
				cartID, _ := f.cart(t, custA)
				f.must(t, custA, "POST", "/api/v1/carts/"+cartID+"/coupons", map[string]any{"code": "GONE"}, 200, nil)
				return authzReq{path: "/api/v1/carts/" + cartID + "/coupons/GONE"}
			}},
			"POST /api/v1/carts/:id/merge": {want: [nActors]int{401, 200, 404, 404, 404, 404}, build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
				return authzReq{path: "/api/v1/carts/" + f.cartA + "/merge"}
			}},
			"GET /api/v1/carts/recover/:token": {want: allOK(404), build: fixed("/api/v1/carts/recover/"+"unknown-token-unknown-token-unknown", nil)},
		}
	})
}
