package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// seedProduct saves a product with one variant per stock figure (price 1000+i in currency)
// straight into the store and returns the variant IDs.
func seedProduct(t testing.TB, a *apptest.App, status, currency string, stocks ...int64) []string {
	t.Helper()
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: "Green tea", Status: status, CreatedAt: now, UpdatedAt: now, Version: 1}
	p.Slug = strings.ToLower("green-tea-" + p.ID)
	var ids []string
	for i, n := range stocks {
		v := catalog.Variant{ID: commerce.NewID(), SKU: fmt.Sprintf("TEA-%s-%d", p.ID, i),
			Price: commerce.Money{Amount: int64(1000 + i), Currency: currency}, Stock: n, Options: map[string]string{"Size": fmt.Sprint(i)}}
		p.Variants = append(p.Variants, v)
		ids = append(ids, v.ID)
	}
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return ids
}

// stockOf reads a variant's stock through the catalog store.
func stockOf(t testing.TB, a *apptest.App, variantID string) int64 {
	t.Helper()
	ref, err := a.Catalog.Variant(context.Background(), variantID)
	if err != nil {
		t.Fatal(err)
	}
	return ref.Variant.Stock
}

type cartBody struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Currency string `json:"currency"`
	Lines    []struct {
		ID        string         `json:"id"`
		VariantID string         `json:"variant_id"`
		ProductID string         `json:"product_id"`
		SKU       string         `json:"sku"`
		Quantity  int64          `json:"quantity"`
		UnitPrice commerce.Money `json:"unit_price"`
		LineTotal commerce.Money `json:"line_total"`
		Available bool           `json:"available"`
	} `json:"lines"`
	Totals struct {
		Subtotal  commerce.Money `json:"subtotal"`
		Total     commerce.Money `json:"total"`
		ItemCount int64          `json:"item_count"`
	} `json:"totals"`
}

// newCart creates a cart (an account's when headers carry a token) and returns its id.
func newCart(t testing.TB, a *apptest.App, headers map[string]string) string {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/carts", nil, headers)
	if r.Status != 201 {
		t.Fatalf("create cart: %d %s", r.Status, r.Body)
	}
	var c cartBody
	r.JSON(t, &c)
	return c.ID
}

// addItem puts qty units of vid into the cart.
func addItem(t testing.TB, a *apptest.App, cartID, vid string, qty int64, headers map[string]string) {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/carts/"+cartID+"/items", map[string]any{"variant_id": vid, "quantity": qty}, headers)
	if r.Status != 200 {
		t.Fatalf("add item: %d %s", r.Status, r.Body)
	}
}

func TestCartAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10, 1)
	draft := seedProduct(t, a, catalog.StatusDraft, "USD", 5)
	eur := seedProduct(t, a, catalog.StatusActive, "EUR", 5)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}

	var guest, annCart cartBody
	keepCart := func(dst *cartBody) func(testing.TB, *apptest.App, *apptest.Response) {
		return func(t testing.TB, _ *apptest.App, r *apptest.Response) { r.JSON(t, dst) }
	}
	items := func() string { return "/api/v1/carts/" + guest.ID + "/items" }
	line := func() string { return items() + "/" + guest.Lines[0].ID }
	scenarios := []apptest.Scenario{
		{Name: "create a guest cart", Method: "POST", URL: "/api/v1/carts", ExpectedStatus: 201,
			ExpectedContent: []string{`"lines":[]`, `"status":"open"`, `"item_count":0`},
			ExpectedEvents:  map[string]int{cart.EventCreated: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				keepCart(&guest)(t, a, r)
				if len(guest.ID) != 22 || strings.Contains(guest.ID, "=") {
					t.Fatalf("cart id %q is not a 128-bit secret", guest.ID)
				}
			}},
		{Name: "create with an empty object body", Method: "POST", URL: "/api/v1/carts", Body: map[string]any{}, ExpectedStatus: 201},
		{Name: "create with an unknown field", Method: "POST", URL: "/api/v1/carts", Body: `{"user_id":"x"}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"user_id"`}, ExpectedEvents: none},
		{Name: "create with a bad token", Method: "POST", URL: "/api/v1/carts", Headers: apptest.Bearer("nope"), ExpectedStatus: 401},
	}
	apptest.Run(t, a, scenarios)

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "add a variant", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[0], "quantity": 2},
			ExpectedStatus: 200, ExpectedEvents: map[string]int{cart.EventLineAdded: 1},
			ExpectedContent: []string{`"unit_price":{"amount":1000,"currency":"USD"}`, `"line_total":{"amount":2000,"currency":"USD"}`,
				`"item_count":2`, `"available":true`, `"currency":"USD"`},
			After: keepCart(&guest)},
		{Name: "adding the same variant adds to its line", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[0], "quantity": 1},
			ExpectedStatus: 200, ExpectedEvents: map[string]int{cart.EventLineUpdated: 1},
			ExpectedContent: []string{`"quantity":3`, `"subtotal":{"amount":3000,"currency":"USD"}`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				keepCart(&guest)(t, a, r)
				if len(guest.Lines) != 1 {
					t.Fatalf("%d lines, want 1", len(guest.Lines))
				}
			}},
		{Name: "a price from the client is refused", Method: "POST", URL: items(),
			Body:           `{"variant_id":"` + v[1] + `","quantity":1,"price":{"amount":1,"currency":"USD"}}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"price"`, "unknown field"}, ExpectedEvents: none},
		{Name: "zero quantity", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[1], "quantity": 0},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}, ExpectedEvents: none},
		{Name: "negative quantity", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[1], "quantity": -3},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}, ExpectedEvents: none},
		{Name: "quantity over 999", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[1], "quantity": 1000},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}},
		{Name: "missing variant id", Method: "POST", URL: items(), Body: map[string]any{"quantity": 1},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variant_id"`}},
		{Name: "a variant that does not exist", Method: "POST", URL: items(), Body: map[string]any{"variant_id": commerce.NewID(), "quantity": 1},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variant_id"`, "no such variant"}, ExpectedEvents: none},
		{Name: "a variant of a draft product", Method: "POST", URL: items(), Body: map[string]any{"variant_id": draft[0], "quantity": 1},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variant_id"`, "not for sale"}, ExpectedEvents: none},
		{Name: "another currency", Method: "POST", URL: items(), Body: map[string]any{"variant_id": eur[0], "quantity": 1},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"currency_mismatch"`}, ExpectedEvents: none},
		{Name: "more than the stock", Method: "POST", URL: items(), Body: map[string]any{"variant_id": v[1], "quantity": 2},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"out_of_stock"`, `"variant_id":"` + v[1] + `"`, `"requested":2`, `"available":1`},
			ExpectedEvents: none},
		{Name: "malformed JSON", Method: "POST", URL: items(), Body: `{"variant_id":`, ExpectedStatus: 400,
			ExpectedContent: []string{`"code":"malformed_json"`}},
		{Name: "wrong type", Method: "POST", URL: items(), Body: `{"variant_id":"x","quantity":"2"}`, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"quantity"`}},
		{Name: "read it", Method: "GET", URL: "/api/v1/carts/" + guest.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"sku":"TEA-`, `"product_id":"`, `"quantity":3`, `"total":{"amount":3000,"currency":"USD"}`}},
		{Name: "a cart that does not exist", Method: "GET", URL: "/api/v1/carts/" + commerce.NewSecret(16), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"cart_not_found"`}},
		{Name: "a malformed cart id", Method: "GET", URL: "/api/v1/carts/short", ExpectedStatus: 404},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "change a line's quantity", Method: "PUT", URL: line(), Body: map[string]any{"quantity": 5},
			ExpectedStatus: 200, ExpectedContent: []string{`"quantity":5`, `"line_total":{"amount":5000,"currency":"USD"}`},
			ExpectedEvents: map[string]int{cart.EventLineUpdated: 1}},
		{Name: "a line quantity beyond the stock", Method: "PUT", URL: line(), Body: map[string]any{"quantity": 11},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"out_of_stock"`}, ExpectedEvents: none},
		{Name: "a line quantity of zero", Method: "PUT", URL: line(), Body: map[string]any{"quantity": 0},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"quantity"`}, ExpectedEvents: none},
		{Name: "a line price from the client", Method: "PUT", URL: line(), Body: `{"quantity":1,"unit_price":{"amount":1,"currency":"USD"}}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"unit_price"`}, ExpectedEvents: none},
		{Name: "a line that does not exist", Method: "PUT", URL: items() + "/" + commerce.NewID(), Body: map[string]any{"quantity": 1},
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"cart_line_not_found"`}},
		{Name: "remove a line", Method: "DELETE", URL: line(), ExpectedStatus: 200,
			ExpectedContent: []string{`"lines":[]`, `"item_count":0`}, ExpectedEvents: map[string]int{cart.EventLineRemoved: 1}},
		{Name: "remove it again", Method: "DELETE", URL: line(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "an emptied cart takes another currency", Method: "POST", URL: items(), Body: map[string]any{"variant_id": eur[0], "quantity": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`"currency":"EUR"`}},
	})

	annURL := func() string { return "/api/v1/carts/" + annCart.ID }
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "an account cart", Method: "POST", URL: "/api/v1/carts", Headers: ann.Bearer(), ExpectedStatus: 201,
			ExpectedEvents: map[string]int{cart.EventCreated: 1}, After: keepCart(&annCart)},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "its owner adds to it", Method: "POST", URL: annURL() + "/items", Headers: ann.Bearer(),
			Body: map[string]any{"variant_id": v[0], "quantity": 1}, ExpectedStatus: 200},
		{Name: "its owner reads it", Method: "GET", URL: annURL(), Headers: ann.Bearer(), ExpectedStatus: 200},
		{Name: "another customer does not see it", Method: "GET", URL: annURL(), Headers: bob.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"cart_not_found"`}},
		{Name: "another customer cannot add to it", Method: "POST", URL: annURL() + "/items", Headers: bob.Bearer(),
			Body: map[string]any{"variant_id": v[0], "quantity": 1}, ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "a guest does not see it", Method: "GET", URL: annURL(), ExpectedStatus: 404},
		{Name: "an admin sees it", Method: "GET", URL: annURL(), Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"quantity":1`}},
		{Name: "a signed-in shopper may use a guest cart by its id", Method: "GET", URL: "/api/v1/carts/" + guest.ID,
			Headers: bob.Bearer(), ExpectedStatus: 200},
	})
}

func TestCartPricesComeFromTheCatalogAtReadTime(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10)
	id := newCart(t, a, nil)
	addItem(t, a, id, v[0], 2, nil)
	// The merchant changes the price: the cart shows the new one.
	ref, err := a.Catalog.Variant(context.Background(), v[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Catalog.Product(context.Background(), ref.ProductID)
	if err != nil {
		t.Fatal(err)
	}
	p.Variants[0].Price.Amount = 1500
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	r := a.Do(t, "GET", "/api/v1/carts/"+id, nil, nil)
	var c cartBody
	r.JSON(t, &c)
	if len(c.Lines) != 1 || c.Lines[0].UnitPrice.Amount != 1500 || c.Totals.Total.Amount != 3000 {
		t.Fatalf("cart after a price change: %s", r.Body)
	}
	// The product is archived: the line stays but is unavailable and out of the totals.
	p.Status = catalog.StatusArchived
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	r = a.Do(t, "GET", "/api/v1/carts/"+id, nil, nil)
	c = cartBody{}
	if err := json.Unmarshal(r.Body, &c); err != nil || len(c.Lines) != 1 || c.Lines[0].Available || c.Totals.Total.Amount != 0 {
		t.Fatalf("cart after archiving: %s", r.Body)
	}
}
