package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// journeyConfig is the configuration file the commerce journey's server runs with: taxed
// shipping on exclusive prices, the built-in methods the journey pays with, fraud screening
// on with its defaults, and a carrier of the shop's own with a tracking page.
const journeyConfig = `
[inventory]
reservation_ttl = '30m'
sweep_interval = '1m'

[pricing]
prices_include_tax = false
tax_shipping = true

[payments]
methods = ['cash', 'wallet', 'gift_card']

[[shipping.carriers]]
id = 'courier'
name = 'City Courier'
tracking_url = 'https://track.example/c/{number}'
`

// journey is an HTTP client of one server that signs its requests as whoever the caller says.
type journey struct {
	t    *testing.T
	base string
	http *http.Client
}

// money is a Money value in the API's shape.
type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func usd(amount int64) map[string]any { return map[string]any{"amount": amount, "currency": "USD"} }

// do sends in as JSON (when not nil) with token as the bearer (when not empty) and extra
// headers as key, value pairs.
func (j *journey) do(method, path, token string, in any, headers ...string) reply {
	j.t.Helper()
	r := reply{method: method, path: path}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			j.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, j.base+path, body)
	if err != nil {
		j.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := j.http.Do(req)
	if err != nil {
		j.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	if r.body, err = io.ReadAll(resp.Body); err != nil {
		j.t.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	return r
}

// must sends a request that has to answer want and decodes its body into out (when not nil).
func (j *journey) must(method, path, token string, in any, want int, out any, headers ...string) reply {
	j.t.Helper()
	r := j.do(method, path, token, in, headers...)
	if r.status != want {
		j.t.Fatalf("want %d: %s", want, r)
	}
	if out != nil {
		if err := r.decode(out); err != nil {
			j.t.Fatal(err)
		}
	}
	return r
}

// refused sends a request that has to be refused with status and error code.
func (j *journey) refused(method, path, token string, in any, status int, code string) reply {
	j.t.Helper()
	r := j.do(method, path, token, in)
	if r.status != status || (code != "" && r.errorCode() != code) {
		j.t.Fatalf("want %d %s: %s", status, code, r)
	}
	return r
}

func (j *journey) login(email, password string) string {
	j.t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	j.must("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, 200, &out)
	if out.AccessToken == "" {
		j.t.Fatal("login answered without an access_token")
	}
	return out.AccessToken
}

// journeyOrder is the part of an order the journey reads.
type journeyOrder struct {
	ID            string `json:"id"`
	Number        string `json:"number"`
	Status        string `json:"status"`
	PaymentStatus string `json:"payment_status"`
	PaymentID     string `json:"payment_id"`
	PaymentMethod string `json:"payment_method"`
	Subtotal      money  `json:"subtotal"`
	DiscountTotal money  `json:"discount_total"`
	ShippingTotal money  `json:"shipping_total"`
	TaxTotal      money  `json:"tax_total"`
	Total         money  `json:"total"`
	Discounts     []struct {
		Code   string `json:"code"`
		Amount money  `json:"amount"`
	} `json:"discounts"`
	Lines []struct {
		VariantID string `json:"variant_id"`
		Quantity  int64  `json:"quantity"`
		Discount  money  `json:"discount"`
		Tax       money  `json:"tax"`
	} `json:"lines"`
	Invoice *struct {
		Number string `json:"number"`
	} `json:"invoice"`
}

// totals describes an order's money for failure messages and comparisons.
func (o journeyOrder) totals() string {
	return fmt.Sprintf("subtotal %d discount %d shipping %d tax %d total %d %s", o.Subtotal.Amount, o.DiscountTotal.Amount,
		o.ShippingTotal.Amount, o.TaxTotal.Amount, o.Total.Amount, o.Total.Currency)
}

// TestCommerceJourney runs the shop's whole commerce journey against the real binary on
// 127.0.0.1 with a configuration file: the first administrator from the CLI; a product with
// two variants, a second warehouse and a transfer, a shipping zone and flat method, a tax
// zone, an automatic promotion, a coupon and a gift card; a customer who registers, fills a
// cart, applies the coupon, gets shipping rates and checks out with cash; staff capture the
// cash, ship in two parts, deliver; the customer tracks the shipments and returns one unit,
// refunded to store credit; a second order is paid with the gift card; the first order's
// invoice is issued and downloaded. Then the server stops, and the ledger check and the audit
// chain verify pass on the data dir. A bad input per stage is refused and changes nothing.
func TestCommerceJourney(t *testing.T) {
	began := time.Now()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := writeFile(t, dir, "ultramarket.toml", journeyConfig)
	mustRun(t, "config", "check", cfg)
	const ownerEmail = "owner@journey.example"
	mustRun(t, "admin", "user", "create", "--config", cfg, "--data", data, "--email", ownerEmail, "--password", strongPassword,
		"--role", "SUPER_ADMIN", "--name", "Owner")

	s := serve(t, data, "--config", cfg)
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("server listens on %s, want 127.0.0.1", s.url)
	}
	j := &journey{t: t, base: s.url, http: &http.Client{Timeout: 15 * time.Second}}
	admin := j.login(ownerEmail, strongPassword)

	// The catalog: one product, two variants with stock in the default warehouse.
	var product struct {
		ID       string `json:"id"`
		Variants []struct {
			ID  string `json:"id"`
			SKU string `json:"sku"`
		} `json:"variants"`
	}
	j.must("POST", "/api/v1/products", admin, map[string]any{"title": "Journey tea", "status": "active", "variants": []map[string]any{
		{"sku": "JT-S", "price": usd(2000), "stock": 10, "options": map[string]string{"Size": "S"}},
		{"sku": "JT-L", "price": usd(4000), "stock": 5, "options": map[string]string{"Size": "L"}},
	}}, 201, &product)
	if len(product.Variants) != 2 {
		t.Fatalf("product = %+v", product)
	}
	small, large := product.Variants[0].ID, product.Variants[1].ID
	if product.Variants[0].SKU != "JT-S" {
		small, large = large, small
	}
	type level struct {
		Warehouse string `json:"warehouse"`
		OnHand    int64  `json:"on_hand"`
		Reserved  int64  `json:"reserved"`
	}
	stockOf := func(variant string) (sellable int64, levels map[string]level) {
		t.Helper()
		var v struct {
			Sellable int64   `json:"sellable"`
			Levels   []level `json:"levels"`
		}
		j.must("GET", "/api/v1/admin/inventory/variants/"+variant, admin, nil, 200, &v)
		levels = map[string]level{}
		for _, l := range v.Levels {
			levels[l.Warehouse] = l
		}
		return v.Sellable, levels
	}
	wantStock := func(stage, variant string, sellable int64, onHand map[string]int64) {
		t.Helper()
		got, levels := stockOf(variant)
		bad := got != sellable
		for w, n := range onHand {
			bad = bad || levels[w].OnHand != n
		}
		if bad {
			t.Fatalf("%s: stock of %s: sellable %d levels %+v, want sellable %d on hand %v", stage, variant, got, levels, sellable, onHand)
		}
	}

	// A second warehouse; a transfer without the stock is refused and moves nothing, one with
	// it moves three small units east.
	j.must("POST", "/api/v1/admin/inventory/warehouses", admin, map[string]any{"code": "east", "name": "East depot", "priority": 200,
		"address": map[string]any{"name": "East depot", "line1": "9 Dock Rd", "city": "Newark", "region": "NJ", "postal_code": "07102", "country": "US"}}, 201, nil)
	j.refused("POST", "/api/v1/admin/inventory/transfers", admin, map[string]any{"from": "main", "to": "east",
		"lines": []map[string]any{{"variant_id": small, "quantity": 1}, {"variant_id": large, "quantity": 6}}}, 409, "insufficient_stock")
	wantStock("refused transfer", small, 10, map[string]int64{"main": 10, "east": 0})
	wantStock("refused transfer", large, 5, map[string]int64{"main": 5})
	j.must("POST", "/api/v1/admin/inventory/transfers", admin, map[string]any{"from": "main", "to": "east",
		"lines": []map[string]any{{"variant_id": small, "quantity": 3}}, "note": "stock the depot"}, 201, nil)
	wantStock("transfer", small, 10, map[string]int64{"main": 7, "east": 3})

	// Shipping: a US zone with a flat method carried by the shop's own courier.
	var zone, method struct {
		ID string `json:"id"`
	}
	j.must("POST", "/api/v1/admin/shipping/zones", admin, map[string]any{"name": "United States", "countries": []string{"US"}}, 201, &zone)
	j.must("POST", "/api/v1/admin/shipping/methods", admin, map[string]any{"zone_id": zone.ID, "name": "Standard", "kind": "flat",
		"currency": "USD", "amount": 1000, "carrier_id": "courier", "min_days": 2, "max_days": 5}, 201, &method)
	// Tax: 10% in the US, on the goods and (tax_shipping) on shipping.
	j.must("POST", "/api/v1/admin/tax-zones", admin, map[string]any{"name": "US sales tax", "country": "US", "rate": 1000}, 201, nil)
	// Promotions: 5.00 off every cart automatically, 10.00 off with SAVE10; OLD5 ended yesterday.
	j.must("POST", "/api/v1/admin/promotions", admin, map[string]any{"name": "Welcome", "kind": "fixed_amount", "amount": usd(500),
		"stackable": true}, 201, nil)
	j.must("POST", "/api/v1/admin/promotions", admin, map[string]any{"name": "Ten off", "code": "SAVE10", "kind": "fixed_amount",
		"amount": usd(1000), "stackable": true}, 201, nil)
	now := time.Now().UTC()
	j.must("POST", "/api/v1/admin/promotions", admin, map[string]any{"name": "Last week", "code": "OLD5", "kind": "fixed_amount",
		"amount": usd(500), "stackable": true, "starts_at": now.Add(-7 * 24 * time.Hour), "ends_at": now.Add(-24 * time.Hour)}, 201, nil)
	// A gift card of 200.00; its code is shown only now.
	var card struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	j.must("POST", "/api/v1/admin/gift-cards", admin, map[string]any{"initial_value": usd(20000), "note": "journey"}, 201, &card)
	if card.Code == "" {
		t.Fatalf("gift card issued without its code: %+v", card)
	}

	// The customer registers and signs in.
	const custEmail = "ann@journey.example"
	j.must("POST", "/api/v1/auth/register", "", map[string]string{"email": custEmail, "password": strongPassword, "name": "Ann Lee"}, 202, nil)
	ann := j.login(custEmail, strongPassword)
	address := map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701",
		"country": "US", "phone": "+12175550100"}

	// The cart: two small, one large, the coupon kept.
	var cart struct {
		ID string `json:"id"`
	}
	j.must("POST", "/api/v1/carts", ann, nil, 201, &cart)
	j.must("POST", "/api/v1/carts/"+cart.ID+"/items", ann, map[string]any{"variant_id": small, "quantity": 2}, 200, nil)
	j.must("POST", "/api/v1/carts/"+cart.ID+"/items", ann, map[string]any{"variant_id": large, "quantity": 1}, 200, nil)
	j.must("POST", "/api/v1/carts/"+cart.ID+"/coupons", ann, map[string]any{"code": "save10"}, 200, nil)
	var rates struct {
		Items []struct {
			MethodID  string `json:"method_id"`
			Name      string `json:"name"`
			Amount    money  `json:"amount"`
			CarrierID string `json:"carrier_id"`
		} `json:"items"`
	}
	j.must("POST", "/api/v1/shipping/rates", ann, map[string]any{"cart_id": cart.ID, "address": address}, 200, &rates)
	if len(rates.Items) != 1 || rates.Items[0].MethodID != method.ID || rates.Items[0].Amount != (money{1000, "USD"}) || rates.Items[0].CarrierID != "courier" {
		t.Fatalf("shipping rates = %+v", rates)
	}
	checkout := func(cartID string, extra map[string]any) map[string]any {
		body := map[string]any{"cart_id": cartID, "email": custEmail, "shipping_address": address, "shipping_method_id": method.ID}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	countOrders := func(token string) int {
		t.Helper()
		var l struct {
			Items []journeyOrder `json:"items"`
		}
		j.must("GET", "/api/v1/orders?limit=100", token, nil, 200, &l)
		return len(l.Items)
	}

	// A coupon past its window: 422 on coupons[0], and nothing is written — no order, no stock
	// taken, the cart still open.
	r := j.refused("POST", "/api/v1/orders", ann, checkout(cart.ID, map[string]any{"payment_method": "cash", "coupons": []string{"OLD5"}}), 422, "")
	if !strings.Contains(string(r.body), `"field":"coupons[0]"`) {
		t.Fatalf("an ended coupon is not named: %s", r)
	}
	if n := countOrders(ann); n != 0 {
		t.Fatalf("a refused checkout left %d orders", n)
	}
	wantStock("refused checkout", small, 10, map[string]int64{"main": 7, "east": 3})
	wantStock("refused checkout", large, 5, map[string]int64{"main": 5})
	var cartView struct {
		Status string `json:"status"`
	}
	j.must("GET", "/api/v1/carts/"+cart.ID, ann, nil, 200, &cartView)
	if cartView.Status != "open" {
		t.Fatalf("after a refused checkout the cart is %q", cartView.Status)
	}

	// Checkout with cash: subtotal 2×20.00 + 40.00 = 80.00; discounts 5.00 + 10.00; shipping
	// 10.00; tax 10% of (80.00 − 15.00 + 10.00) = 7.50; total 82.50. A retry with the same
	// Idempotency-Key gets the same order back.
	var order journeyOrder
	placeBody := checkout(cart.ID, map[string]any{"payment_method": "cash"})
	j.must("POST", "/api/v1/orders", ann, placeBody, 201, &order, "Idempotency-Key", "journey-order-1")
	var again journeyOrder
	j.must("POST", "/api/v1/orders", ann, placeBody, 201, &again, "Idempotency-Key", "journey-order-1")
	if again.ID != order.ID {
		t.Fatalf("a replayed checkout placed order %s, the first was %s", again.ID, order.ID)
	}
	if order.Subtotal.Amount != 8000 || order.DiscountTotal.Amount != 1500 || order.ShippingTotal.Amount != 1000 ||
		order.TaxTotal.Amount != 750 || order.Total != (money{8250, "USD"}) {
		t.Fatalf("order totals: %s, want subtotal 8000 discount 1500 shipping 1000 tax 750 total 8250 USD", order.totals())
	}
	if order.Total.Amount != order.Subtotal.Amount-order.DiscountTotal.Amount+order.ShippingTotal.Amount+order.TaxTotal.Amount {
		t.Fatalf("total is not subtotal − discounts + shipping + tax: %s", order.totals())
	}
	codes := map[string]int64{}
	for _, d := range order.Discounts {
		codes[d.Code] += d.Amount.Amount
	}
	if codes["SAVE10"] != 1000 || codes[""] != 500 {
		t.Fatalf("order discounts = %+v", order.Discounts)
	}
	if order.Status != "PENDING" || order.PaymentStatus != "unpaid" || order.PaymentMethod != "cash" || order.PaymentID == "" {
		t.Fatalf("cash order placed as %s/%s (%s, payment %q)", order.Status, order.PaymentStatus, order.PaymentMethod, order.PaymentID)
	}
	if n := countOrders(ann); n != 1 {
		t.Fatalf("the customer sees %d orders, want 1", n)
	}
	j.refused("POST", "/api/v1/orders", ann, placeBody, 409, "cart_checked_out")
	wantStock("placed", small, 8, map[string]int64{"main": 7, "east": 3})
	wantStock("placed", large, 4, map[string]int64{"main": 5})

	// Staff take the cash: captured, paid, CONFIRMED, the units leave on hand.
	orderURL := "/api/v1/orders/" + order.ID
	j.refused("POST", "/api/v1/payments/"+order.PaymentID+"/capture", ann, nil, 403, "")
	j.must("POST", "/api/v1/payments/"+order.PaymentID+"/capture", admin, nil, 200, nil)
	// Taking the same cash twice captures it once.
	var pay struct {
		Status   string `json:"status"`
		Captured money  `json:"captured"`
	}
	if r := j.do("POST", "/api/v1/payments/"+order.PaymentID+"/capture", admin, nil); r.status != 200 && r.status != 409 {
		t.Fatalf("a second capture: %s", r)
	}
	j.must("GET", "/api/v1/payments/"+order.PaymentID, ann, nil, 200, &pay)
	if pay.Status != "captured" || pay.Captured != order.Total {
		t.Fatalf("payment after two captures = %+v, want captured %v", pay, order.Total)
	}
	j.must("GET", orderURL, ann, nil, 200, &order)
	if order.Status != "CONFIRMED" || order.PaymentStatus != "paid" {
		t.Fatalf("after the capture the order is %s/%s", order.Status, order.PaymentStatus)
	}
	wantStock("captured", small, 8, map[string]int64{"main": 5, "east": 3})
	wantStock("captured", large, 4, map[string]int64{"main": 4})

	// Ship the small units first (PROCESSING), then the rest (SHIPPED); deliver (DELIVERED).
	j.refused("POST", orderURL+"/fulfilments", admin, map[string]any{"lines": []map[string]any{{"variant_id": small, "quantity": 3}}}, 422, "")
	var shipped struct {
		Order journeyOrder `json:"order"`
	}
	j.must("POST", orderURL+"/fulfilments", admin, map[string]any{"lines": []map[string]any{{"variant_id": small, "quantity": 2}},
		"carrier": "courier", "tracking_number": "CC-1001"}, 201, &shipped)
	if shipped.Order.Status != "PROCESSING" {
		t.Fatalf("after the first shipment the order is %s", shipped.Order.Status)
	}
	wantStock("first shipment", small, 8, map[string]int64{"main": 5, "east": 3})
	j.must("POST", orderURL+"/fulfilments", admin, map[string]any{"carrier": "courier", "tracking_number": "CC-1002"}, 201, &shipped)
	j.must("GET", orderURL, ann, nil, 200, &order)
	if shipped.Order.Status != "SHIPPED" || order.Status != "SHIPPED" {
		t.Fatalf("after the last shipment the order is %s (read back: %s)", shipped.Order.Status, order.Status)
	}
	j.refused("PUT", orderURL+"/status", admin, map[string]any{"status": "CANCELLED"}, 409, "illegal_transition")
	j.must("PUT", orderURL+"/status", admin, map[string]any{"status": "DELIVERED", "note": "left at the door"}, 200, nil)
	j.must("GET", orderURL, ann, nil, 200, &order)
	if order.Status != "DELIVERED" {
		t.Fatalf("after delivery the order is %s", order.Status)
	}
	tracking := j.must("GET", orderURL+"/tracking", ann, nil, 200, nil)
	for _, want := range []string{"City Courier", "https://track.example/c/CC-1001", "https://track.example/c/CC-1002"} {
		if !strings.Contains(string(tracking.body), want) {
			t.Fatalf("tracking lacks %q: %s", want, tracking)
		}
	}

	// The customer returns the large unit; staff approve and receive it (restocked).
	j.refused("POST", orderURL+"/returns", ann, map[string]any{"reason": "too big",
		"lines": []map[string]any{{"variant_id": large, "quantity": 2}}}, 422, "")
	var ret struct {
		Return struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"return"`
	}
	j.must("POST", orderURL+"/returns", ann, map[string]any{"reason": "too big",
		"lines": []map[string]any{{"variant_id": large, "quantity": 1}}}, 201, &ret)
	if ret.Return.ID == "" || ret.Return.Status != "requested" {
		t.Fatalf("return = %+v", ret)
	}
	retURL := orderURL + "/returns/" + ret.Return.ID
	j.refused("POST", retURL+"/approve", ann, nil, 403, "")
	j.must("POST", retURL+"/approve", admin, nil, 200, nil)
	j.must("POST", retURL+"/receive", admin, map[string]any{}, 200, nil)
	wantStock("received", large, 5, map[string]int64{"main": 5})

	// A refund larger than what was paid is refused and credits nothing; the return's own
	// refund to store credit pays the line's value: 40.00 less its 7.50 discount share, plus
	// its 3.25 tax = 35.75, into Ann's wallet.
	walletOf := func() money {
		t.Helper()
		var w struct {
			Balance money `json:"balance"`
		}
		j.must("GET", "/api/v1/wallet", ann, nil, 200, &w)
		return w.Balance
	}
	j.refused("POST", retURL+"/refund", admin, map[string]any{"amount": usd(order.Total.Amount + 1), "to": "store_credit"}, 422, "refund_exceeds_paid")
	if w := walletOf(); w.Amount != 0 {
		t.Fatalf("a refused refund credited %d", w.Amount)
	}
	j.must("POST", retURL+"/refund", admin, map[string]any{"to": "store_credit", "reason": "returned"}, 200, nil)
	if w := walletOf(); w != (money{3575, "USD"}) {
		t.Fatalf("wallet after the refund = %+v, want 3575 USD", w)
	}
	// The same return's refund again is applied once.
	if r := j.do("POST", retURL+"/refund", admin, map[string]any{"to": "store_credit", "reason": "returned"}); r.status != 200 && r.status != 409 {
		t.Fatalf("a second refund of the return: %s", r)
	}
	if w := walletOf(); w != (money{3575, "USD"}) {
		t.Fatalf("wallet after refunding the return twice = %+v, want 3575 USD", w)
	}
	j.must("GET", orderURL, ann, nil, 200, &order)
	if order.PaymentStatus != "partially_refunded" || order.Status != "DELIVERED" {
		t.Fatalf("after refunding one unit the order is %s/%s", order.Status, order.PaymentStatus)
	}

	// A second order, paid with the gift card in the checkout write: 20.00 − 5.00 + 10.00 +
	// 10% of 25.00 = 27.50, leaving 172.50 on the card.
	// A card of 10.00 cannot pay it: 409 insufficient_funds, nothing taken from the card or
	// the shelf.
	cardBalance := func(code string) money {
		t.Helper()
		var b struct {
			Balance money `json:"balance"`
		}
		j.must("POST", "/api/v1/gift-cards/balance", "", map[string]string{"code": code}, 200, &b)
		return b.Balance
	}
	var short struct {
		Code string `json:"code"`
	}
	j.must("POST", "/api/v1/admin/gift-cards", admin, map[string]any{"initial_value": usd(1000)}, 201, &short)
	var cart2 struct {
		ID string `json:"id"`
	}
	j.must("POST", "/api/v1/carts", ann, nil, 201, &cart2)
	j.must("POST", "/api/v1/carts/"+cart2.ID+"/items", ann, map[string]any{"variant_id": small, "quantity": 1}, 200, nil)
	j.refused("POST", "/api/v1/orders", ann, checkout(cart2.ID, map[string]any{"payment_method": "gift_card", "gift_card_code": short.Code}), 409, "insufficient_funds")
	if b := cardBalance(short.Code); b != (money{1000, "USD"}) {
		t.Fatalf("a refused checkout took from the card: balance %+v", b)
	}
	wantStock("refused gift card", small, 8, map[string]int64{"main": 5, "east": 3})
	if n := countOrders(ann); n != 1 {
		t.Fatalf("a refused gift card checkout left an order: %d orders", n)
	}
	var order2 journeyOrder
	j.must("POST", "/api/v1/orders", ann, checkout(cart2.ID, map[string]any{"payment_method": "gift_card", "gift_card_code": card.Code}), 201, &order2)
	if order2.Total != (money{2750, "USD"}) || order2.Status != "CONFIRMED" || order2.PaymentStatus != "paid" {
		t.Fatalf("gift card order: %s/%s %s", order2.Status, order2.PaymentStatus, order2.totals())
	}
	if b := cardBalance(card.Code); b != (money{17250, "USD"}) {
		t.Fatalf("gift card balance %+v, want 17250 USD", b)
	}
	wantStock("gift card order (paid: the unit left on hand)", small, 7, map[string]int64{"main": 4, "east": 3})

	// The first order's invoice: issued once with the year's first number, then its PDF.
	j.refused("GET", orderURL+"/invoice.pdf", ann, nil, 404, "invoice_not_issued")
	j.must("POST", orderURL+"/invoice", admin, nil, 201, nil)
	j.must("POST", orderURL+"/invoice", admin, nil, 200, nil)
	j.must("GET", orderURL, admin, nil, 200, &order)
	if want := fmt.Sprintf("INV-%d-000001", time.Now().UTC().Year()); order.Invoice == nil || order.Invoice.Number != want {
		t.Fatalf("invoice = %+v, want %s", order.Invoice, want)
	}
	pdf := j.must("GET", orderURL+"/invoice.pdf", ann, nil, 200, nil)
	if !bytes.HasPrefix(pdf.body, []byte("%PDF")) {
		t.Fatalf("the invoice is not a PDF: %.40q", pdf.body)
	}

	// The ledger balances while serving: the gift cards' and the wallet's movements each have
	// their counter entry.
	var check struct {
		OK      bool   `json:"ok"`
		Problem string `json:"problem"`
	}
	j.must("GET", "/api/v1/admin/ledger/check", admin, nil, 200, &check)
	if !check.OK {
		t.Fatalf("ledger check: %+v", check)
	}

	// Stopped, the data dir passes the ledger check and the audit chain verify.
	s.stop()
	if r := ultramarket(t, "ledger", "check", "--config", cfg, "--data", data); r.code != 0 {
		t.Fatalf("ledger check:\n%s", r)
	}
	if r := ultramarket(t, "audit", "verify", "--config", cfg, "--data", data); r.code != 0 {
		t.Fatalf("audit verify:\n%s", r)
	}
	if took := time.Since(began); took > 60*time.Second {
		t.Errorf("the journey took %v, want under 60 s", took)
	}
}
