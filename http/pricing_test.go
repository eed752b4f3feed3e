package http_test

import (
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// TestPricingAPI: admin CRUD with validation, 404, 409, 412 and an Idempotency-Key replay;
// the cart view prices with the price list, the promotion and the kept coupon.
func TestPricingAPI(t *testing.T) {
	a := apptest.New(t)
	adm := a.NewUser(t, auth.RoleAdmin).Bearer()
	v := seedProduct(t, a, "active", "USD", 100)[0] // 1000 USD

	// Validation names the field; unknown IDs are 404.
	r := a.Do(t, "POST", "/api/v1/admin/price-lists", map[string]any{"name": "", "currency": "usd",
		"prices": map[string]any{v: map[string]any{"amount": -1}}}, adm)
	if r.Status != 422 || !contains(r.Body, `"customer_group"`) && !contains(r.Body, `prices.`+v+`.amount`) || !contains(r.Body, `"name"`) {
		t.Fatalf("bad price list: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "GET", "/api/v1/admin/price-lists/nope", nil, adm); r.Status != 404 {
		t.Fatalf("unknown list: %d", r.Status)
	}
	var list struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	r = a.Do(t, "POST", "/api/v1/admin/price-lists", map[string]any{"name": "base", "currency": "USD",
		"prices": map[string]any{v: map[string]any{"amount": 900, "compare_at": 1200, "tiers": []any{map[string]any{"min_quantity": 3, "amount": 800}}}}}, adm)
	if r.Status != 201 || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("create list: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &list)
	stale := map[string]string{"Authorization": adm["Authorization"], "If-Match": `"7"`}
	if r := a.Do(t, "PUT", "/api/v1/admin/price-lists/"+list.ID, map[string]any{"name": "x", "currency": "USD"}, stale); r.Status != 412 || !contains(r.Body, "version_mismatch") {
		t.Fatalf("stale If-Match: %d %s", r.Status, r.Body)
	}

	// A coupon, created once under an Idempotency-Key and replayed; its code is unique.
	promo := map[string]any{"name": "ten off", "code": "save10", "kind": "percentage", "percent": 1000}
	key := map[string]string{"Authorization": adm["Authorization"], "Idempotency-Key": "promo-1"}
	first := a.Do(t, "POST", "/api/v1/admin/promotions", promo, key)
	again := a.Do(t, "POST", "/api/v1/admin/promotions", promo, key)
	if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) {
		t.Fatalf("replay: %d %d", first.Status, again.Status)
	}
	if r := a.Do(t, "POST", "/api/v1/admin/promotions", promo, adm); r.Status != 409 || !contains(r.Body, "coupon_code_taken") {
		t.Fatalf("duplicate code: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/admin/promotions", map[string]any{"kind": "percentage", "percent": 0}, adm); r.Status != 422 || !contains(r.Body, `"percent"`) {
		t.Fatalf("bad promotion: %d %s", r.Status, r.Body)
	}
	var p struct{ ID string }
	first.JSON(t, &p)
	if r := a.Do(t, "GET", "/api/v1/admin/promotions/"+p.ID+"/usage", nil, adm); r.Status != 200 || !contains(r.Body, `"total":0`) {
		t.Fatalf("usage: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/admin/tax-zones", map[string]any{"country": "uz", "rate": 1200, "inclusive": true}, adm); r.Status != 201 {
		t.Fatalf("zone: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/admin/tax-zones", map[string]any{"country": "UZ", "rate": 1000}, adm); r.Status != 409 {
		t.Fatalf("second zone for UZ: %d %s", r.Status, r.Body)
	}

	// The cart: tier price, compare-at, the kept coupon applied.
	var c struct{ ID string }
	a.Do(t, "POST", "/api/v1/carts", nil, nil).JSON(t, &c)
	if r := a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": v, "quantity": 3}, nil); r.Status != 200 {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	r = a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/coupons", map[string]any{"code": "Save10"}, nil)
	var view struct {
		Coupons []string `json:"coupons"`
		Lines   []struct {
			UnitPrice   struct{ Amount int64 } `json:"unit_price"`
			CompareAt   struct{ Amount int64 } `json:"compare_at"`
			PriceListID string                 `json:"price_list_id"`
			Discount    struct{ Amount int64 } `json:"discount"`
		} `json:"lines"`
		Promotions []struct {
			Code  string `json:"code"`
			Title string `json:"title"`
		} `json:"promotions"`
		Totals struct {
			Subtotal struct{ Amount int64 } `json:"subtotal"`
			Discount struct{ Amount int64 } `json:"discount"`
			Total    struct{ Amount int64 } `json:"total"`
		} `json:"totals"`
	}
	r.JSON(t, &view)
	if r.Status != 200 || len(view.Lines) != 1 || view.Lines[0].UnitPrice.Amount != 800 || view.Lines[0].CompareAt.Amount != 1200 ||
		view.Lines[0].PriceListID != list.ID || view.Totals.Subtotal.Amount != 2400 || view.Totals.Discount.Amount != 240 ||
		view.Totals.Total.Amount != 2160 || len(view.Promotions) != 1 || view.Promotions[0].Code != "SAVE10" ||
		view.Promotions[0].Title != "ten off" {
		t.Fatalf("cart view: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "DELETE", "/api/v1/carts/"+c.ID+"/coupons/NOPE", nil, nil); r.Status != 404 {
		t.Fatalf("drop unknown code: %d", r.Status)
	}
	if r := a.Do(t, "DELETE", "/api/v1/carts/"+c.ID+"/coupons/save10", nil, nil); r.Status != 200 || contains(r.Body, "SAVE10") {
		t.Fatalf("drop code: %d %s", r.Status, r.Body)
	}

	// Merge on sign-in: the guest cart's line moves into the account's cart.
	cust := a.NewUser(t, auth.RoleCustomer).Bearer()
	if r := a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/merge", nil, nil); r.Status != 401 {
		t.Fatalf("anonymous merge: %d", r.Status)
	}
	r = a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/merge", nil, cust)
	var merged struct {
		ID    string `json:"id"`
		Lines []struct {
			Quantity int64 `json:"quantity"`
		} `json:"lines"`
	}
	r.JSON(t, &merged)
	if r.Status != 200 || merged.ID == c.ID || len(merged.Lines) != 1 || merged.Lines[0].Quantity != 3 {
		t.Fatalf("merge: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": v, "quantity": 1}, nil); r.Status != 409 {
		t.Fatalf("merged guest cart still open: %d", r.Status)
	}
	if r := a.Do(t, "GET", "/api/v1/carts/recover/not-a-real-token-not-a-real-token", nil, nil); r.Status != 404 {
		t.Fatalf("unknown recovery token: %d", r.Status)
	}
}

func contains(b []byte, s string) bool { return len(s) > 0 && indexOf(string(b), s) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
