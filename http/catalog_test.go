package http_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

func productBody(title, sku string, amount int64, extra map[string]any) map[string]any {
	b := map[string]any{
		"title": title, "description": "Waterproof leather.", "brand": "Stride", "tags": []string{"outdoor"}, "status": "active",
		"variants": []map[string]any{
			{"sku": sku + "-40", "price": map[string]any{"amount": amount, "currency": "USD"}, "stock": 5, "options": map[string]string{"Size": "40"}},
			{"sku": sku + "-41", "price": map[string]any{"amount": amount + 100, "currency": "USD"}, "stock": 0, "options": map[string]string{"Size": "41"}},
		},
	}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func createProduct(t testing.TB, a *apptest.App, admin apptest.User, body map[string]any) catalog.Product {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/products", body, admin.Bearer())
	if r.Status != 201 {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	var p catalog.Product
	r.JSON(t, &p)
	return p
}

func createCategory(t testing.TB, a *apptest.App, admin apptest.User, name, parent string) catalog.Category {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/categories", map[string]any{"name": name, "parent_id": parent}, admin.Bearer())
	if r.Status != 201 {
		t.Fatalf("create category: %d %s", r.Status, r.Body)
	}
	var c catalog.Category
	r.JSON(t, &c)
	return c
}

func TestProductRoutes(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	var p catalog.Product // the product the scenarios work on
	ifMatch := func(v string) map[string]string {
		h := admin.Bearer()
		h["If-Match"] = v
		return h
	}
	boots := productBody("Trail Boot", "TB", 5000, nil)
	var draftID string

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous create", Method: "POST", URL: "/api/v1/products", Body: boots,
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"authentication_required"`}, ExpectedEvents: none},
		{Name: "customer create", Method: "POST", URL: "/api/v1/products", Body: boots, Headers: customer.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}, ExpectedEvents: none},
		{Name: "create", Method: "POST", URL: "/api/v1/products", Body: boots, Headers: admin.Bearer(),
			ExpectedStatus: 201,
			ExpectedContent: []string{`"slug":"trail-boot"`, `"images":[]`, `"status":"active"`, `"version":1`, `"sku":"TB-40"`, `"stock":5`,
				`"price":{"amount":5000,"currency":"USD"}`, `"options":{"Size":"40"}`},
			ExpectedHeaders: map[string]string{"ETag": `"1"`},
			ExpectedEvents:  map[string]int{catalog.EventProductCreated: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &p)
				if p.ID == "" || len(p.Variants) != 2 || p.Variants[0].ID == "" || p.Variants[0].ID == p.Variants[1].ID {
					t.Errorf("ids missing: %+v", p)
				}
				if loc := r.Header.Get("Location"); loc != "/api/v1/products/"+p.ID {
					t.Errorf("Location %q", loc)
				}
			}},
		{Name: "validation names every field", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body: map[string]any{"title": "", "status": "live", "tags": []string{""},
				"variants": []map[string]any{{"sku": "", "price": map[string]any{"amount": -1, "currency": "usd"}, "stock": -2}}},
			ExpectedStatus: 422,
			ExpectedContent: []string{`"code":"validation_failed"`, `"field":"title"`, `"field":"status"`, `"field":"tags[0]"`, `"field":"variants[0].sku"`,
				`"field":"variants[0].price.amount"`, `"field":"variants[0].price.currency"`, `"field":"variants[0].stock"`},
			ExpectedEvents: none},
		{Name: "no variants", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           map[string]any{"title": "Bare", "variants": []any{}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variants"`}, ExpectedEvents: none},
		{Name: "unknown field", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           productBody("X", "X", 1, map[string]any{"rating": 5}),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"rating"`, "unknown field"}, ExpectedEvents: none},
		{Name: "price as a float is refused", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           `{"title":"X","variants":[{"sku":"F1","price":{"amount":19.99,"currency":"USD"}}]}`,
			ExpectedStatus: 422, ExpectedContent: []string{`amount`}, ExpectedEvents: none},
		{Name: "malformed JSON", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(), Body: `{"title":`,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"malformed_json"`}, ExpectedEvents: none},
		{Name: "taken SKU", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(), Body: productBody("Other Boot", "TB", 100, nil),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"sku_taken"`, `"sku":"TB-40"`}, ExpectedEvents: none},
		{Name: "taken explicit slug", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           productBody("Other Boot", "OB", 100, map[string]any{"slug": "trail-boot"}),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"slug_taken"`}, ExpectedEvents: none},
		{Name: "unknown category", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           productBody("Other Boot", "OB", 100, map[string]any{"category_id": "01J00000000000000000000000"}),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"category_id"`}, ExpectedEvents: none},
		{Name: "same title gets the next slug", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           productBody("Trail Boot", "TB2", 100, map[string]any{"status": "draft"}),
			ExpectedStatus: 201, ExpectedContent: []string{`"slug":"trail-boot-2"`, `"status":"draft"`},
			ExpectedEvents: map[string]int{catalog.EventProductCreated: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var d catalog.Product
				r.JSON(t, &d)
				draftID = d.ID
			}},
	})

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "get by id", Method: "GET", URL: "/api/v1/products/" + p.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + p.ID + `"`, `"stock":5`, `"images":[]`}, ExpectedHeaders: map[string]string{"ETag": `"1"`}, ExpectedEvents: none},
		{Name: "get by slug", Method: "GET", URL: "/api/v1/products/trail-boot", ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + p.ID + `"`}},
		{Name: "unknown product", Method: "GET", URL: "/api/v1/products/no-such-thing", ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"product_not_found"`}},
		{Name: "a draft is hidden from shoppers", Method: "GET", URL: "/api/v1/products/" + draftID, ExpectedStatus: 404},
		{Name: "a draft is hidden from customers", Method: "GET", URL: "/api/v1/products/trail-boot-2", Headers: customer.Bearer(), ExpectedStatus: 404},
		{Name: "staff see drafts", Method: "GET", URL: "/api/v1/products/trail-boot-2", Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"draft"`}},
		{Name: "search is not a product id", Method: "GET", URL: "/api/v1/products/search?q=boot", ExpectedStatus: 200,
			ExpectedContent: []string{`"total":`, `"facets":`}},

		{Name: "anonymous update", Method: "PUT", URL: "/api/v1/products/" + p.ID, Body: boots, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer update", Method: "PUT", URL: "/api/v1/products/" + p.ID, Body: boots, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "update of an unknown product", Method: "PUT", URL: "/api/v1/products/nope", Body: boots, Headers: admin.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "stale If-Match", Method: "PUT", URL: "/api/v1/products/" + p.ID, Body: boots, Headers: ifMatch(`"7"`),
			ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "update validation", Method: "PUT", URL: "/api/v1/products/" + p.ID, Headers: admin.Bearer(),
			Body:           productBody("", "TB", 5000, nil),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"title"`}, ExpectedEvents: none},
		{Name: "update keeps, changes and adds variants", Method: "PUT", URL: "/api/v1/products/" + p.ID, Headers: ifMatch(`"1"`),
			Body: map[string]any{"title": "Trail Boot Pro", "status": "active", "variants": []map[string]any{
				{"id": p.Variants[0].ID, "sku": "TB-40", "price": map[string]any{"amount": 5500, "currency": "USD"}, "options": map[string]string{"Size": "40"}},
				{"sku": "TB-42", "price": map[string]any{"amount": 5600, "currency": "USD"}, "stock": 3, "options": map[string]string{"Size": "42"}},
			}},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"title":"Trail Boot Pro"`, `"slug":"trail-boot"`, `"version":2`, `"amount":5500`, `"sku":"TB-42"`},
			ExpectedHeaders: map[string]string{"ETag": `"2"`},
			ExpectedEvents:  map[string]int{catalog.EventProductUpdated: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var up catalog.Product
				r.JSON(t, &up)
				if len(up.Variants) != 2 || up.Variants[0].ID != p.Variants[0].ID || up.Variants[0].Stock != 5 || up.Variants[1].Stock != 3 {
					t.Errorf("variants after update: %+v", up.Variants)
				}
				if slices.ContainsFunc(up.Variants, func(v catalog.Variant) bool { return v.ID == p.Variants[1].ID }) {
					t.Errorf("dropped variant still there")
				}
			}},
		{Name: "the dropped variant's SKU is free", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body:           map[string]any{"title": "Boot 41", "variants": []map[string]any{{"sku": "TB-41", "price": map[string]any{"amount": 1, "currency": "USD"}}}},
			ExpectedStatus: 201, ExpectedEvents: map[string]int{catalog.EventProductCreated: 1}},
		{Name: "a variant id of another product", Method: "PUT", URL: "/api/v1/products/" + p.ID, Headers: admin.Bearer(),
			Body: map[string]any{"title": "X", "variants": []map[string]any{
				{"id": "01J00000000000000000000000", "sku": "TB-40", "price": map[string]any{"amount": 1, "currency": "USD"}}}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variants[0].id"`}, ExpectedEvents: none},

		{Name: "anonymous delete", Method: "DELETE", URL: "/api/v1/products/" + p.ID, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer delete", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "delete with a stale If-Match", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: ifMatch(`"1"`), ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "delete", Method: "DELETE", URL: "/api/v1/products/trail-boot", Headers: ifMatch(`"2"`),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{catalog.EventProductDeleted: 1}},
		{Name: "deleted is gone", Method: "GET", URL: "/api/v1/products/" + p.ID, ExpectedStatus: 404},
		{Name: "delete again", Method: "DELETE", URL: "/api/v1/products/" + p.ID, Headers: admin.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "its SKUs and slug are free", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body: map[string]any{"title": "Trail Boot", "variants": []map[string]any{
				{"sku": "TB-40", "price": map[string]any{"amount": 1, "currency": "USD"}, "options": map[string]string{"Size": "40"}},
				{"sku": "TB-42", "price": map[string]any{"amount": 1, "currency": "USD"}, "options": map[string]string{"Size": "42"}}}},
			ExpectedStatus: 201, ExpectedContent: []string{`"slug":"trail-boot"`}},
	})
}

func TestCategoryRoutes(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	shoes := createCategory(t, a, admin, "Shoes", "")
	boots := createCategory(t, a, admin, "Boots", shoes.ID)
	withIfMatch := func(v string) map[string]string {
		h := admin.Bearer()
		h["If-Match"] = v
		return h
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous create", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Hats"}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer create", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Hats"}, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "create", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Ski Boots", "parent_id": "boots", "position": 2}, Headers: admin.Bearer(),
			ExpectedStatus: 201, ExpectedContent: []string{`"slug":"ski-boots"`, `"parent_id":"` + boots.ID + `"`, `"position":2`},
			ExpectedHeaders: map[string]string{"ETag": `"1"`}, ExpectedEvents: map[string]int{catalog.EventCategoryCreated: 1}},
		{Name: "validation", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "", "slug": "Bad Slug", "position": -1}, Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"name"`, `"field":"slug"`, `"field":"position"`}, ExpectedEvents: none},
		{Name: "unknown parent", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Hats", "parent_id": "nope"}, Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"parent_id"`}, ExpectedEvents: none},
		{Name: "unknown field", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Hats", "color": "red"}, Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"color"`}, ExpectedEvents: none},
		{Name: "taken slug", Method: "POST", URL: "/api/v1/categories", Body: map[string]any{"name": "Hats", "slug": "boots"}, Headers: admin.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"slug_taken"`}, ExpectedEvents: none},
		{Name: "list", Method: "GET", URL: "/api/v1/categories", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[`, `"slug":"shoes"`, `"slug":"boots"`, `"slug":"ski-boots"`}},
		{Name: "list top level", Method: "GET", URL: "/api/v1/categories?parent_id=", ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"shoes"`}, NotExpectedContent: []string{`"slug":"boots"`}},
		{Name: "list children", Method: "GET", URL: "/api/v1/categories?parent_id=shoes", ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"boots"`}, NotExpectedContent: []string{`"slug":"shoes"`, `"slug":"ski-boots"`}},
		{Name: "get by slug", Method: "GET", URL: "/api/v1/categories/boots", ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + boots.ID + `"`}},
		{Name: "get by id", Method: "GET", URL: "/api/v1/categories/" + boots.ID, ExpectedStatus: 200, ExpectedHeaders: map[string]string{"ETag": `"1"`}},
		{Name: "unknown", Method: "GET", URL: "/api/v1/categories/nope", ExpectedStatus: 404, ExpectedContent: []string{`"code":"category_not_found"`}},
		{Name: "anonymous update", Method: "PUT", URL: "/api/v1/categories/boots", Body: map[string]any{"name": "B"}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer update", Method: "PUT", URL: "/api/v1/categories/boots", Body: map[string]any{"name": "B"}, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "cycle", Method: "PUT", URL: "/api/v1/categories/shoes", Body: map[string]any{"name": "Shoes", "parent_id": "ski-boots"}, Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"parent_id"`}, ExpectedEvents: none},
		{Name: "stale If-Match", Method: "PUT", URL: "/api/v1/categories/boots", Body: map[string]any{"name": "B"}, Headers: withIfMatch(`"3"`),
			ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "update", Method: "PUT", URL: "/api/v1/categories/boots", Body: map[string]any{"name": "Boots & Wellies", "parent_id": shoes.ID, "position": 1}, Headers: withIfMatch(`"1"`),
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Boots \u0026 Wellies"`, `"slug":"boots"`, `"version":2`},
			ExpectedHeaders: map[string]string{"ETag": `"2"`}, ExpectedEvents: map[string]int{catalog.EventCategoryUpdated: 1}},
		{Name: "update of an unknown category", Method: "PUT", URL: "/api/v1/categories/nope", Body: map[string]any{"name": "B"}, Headers: admin.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "delete with children", Method: "DELETE", URL: "/api/v1/categories/shoes", Headers: admin.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"category_not_empty"`}, ExpectedEvents: none},
		{Name: "delete with products", Method: "DELETE", URL: "/api/v1/categories/ski-boots", Headers: admin.Bearer(),
			Before: func(t testing.TB, a *apptest.App) {
				skiBoots, _ := a.Shop.Category(t.Context(), "ski-boots")
				createProduct(t, a, admin, productBody("Ski Boot", "SKI", 20000, map[string]any{"category_id": skiBoots.ID}))
			},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"category_not_empty"`}, ExpectedEvents: none},
		{Name: "anonymous delete", Method: "DELETE", URL: "/api/v1/categories/ski-boots", ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer delete", Method: "DELETE", URL: "/api/v1/categories/ski-boots", Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "delete an empty category", Method: "DELETE", URL: "/api/v1/categories/ski-boots", Headers: admin.Bearer(),
			Before: func(t testing.TB, a *apptest.App) {
				if r := a.Do(t, "DELETE", "/api/v1/products/ski-boot", nil, admin.Bearer()); r.Status != 204 {
					t.Fatalf("delete product: %d", r.Status)
				}
			},
			ExpectedStatus: 204, ExpectedEvents: map[string]int{catalog.EventCategoryDeleted: 1}},
		{Name: "deleted category", Method: "GET", URL: "/api/v1/categories/ski-boots", ExpectedStatus: 404},
		{Name: "delete of an unknown category", Method: "DELETE", URL: "/api/v1/categories/ski-boots", Headers: admin.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
	})
}

type listBody struct {
	Items      []catalog.Product `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func TestProductListAndSearchRoutes(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	tea := createCategory(t, a, admin, "Tea", "")
	green := createCategory(t, a, admin, "Green Tea", tea.ID)
	mk := func(title, cat, status string, price int64, stock int) catalog.Product {
		return createProduct(t, a, admin, map[string]any{"title": title, "category_id": cat, "status": status, "brand": "Chaikhana",
			"variants": []map[string]any{{"sku": strings.ToUpper(catalog.Slugify(title)), "price": map[string]any{"amount": price, "currency": "USD"}, "stock": stock}}})
	}
	mk("Sencha", green.ID, "active", 1200, 5)
	mk("Matcha", green.ID, "active", 3000, 0)
	mk("Assam", tea.ID, "active", 900, 2)
	mk("Earl Grey", tea.ID, "draft", 1100, 9)
	mk("Teapot", "", "active", 4500, 1)

	titles := func(t testing.TB, r *apptest.Response) []string {
		var l listBody
		r.JSON(t, &l)
		var out []string
		for _, p := range l.Items {
			out = append(out, p.Title)
		}
		return out
	}
	scenarios := []struct {
		query string
		admin bool
		want  []string
	}{
		{"", false, []string{"Teapot", "Assam", "Matcha", "Sencha"}},
		{"?sort=oldest&status=any", true, []string{"Sencha", "Matcha", "Assam", "Earl Grey", "Teapot"}},
		{"?sort=oldest", true, []string{"Sencha", "Matcha", "Assam", "Teapot"}},
		{"?status=draft", true, []string{"Earl Grey"}},
		{"?category=tea&sort=title_asc", false, []string{"Assam", "Matcha", "Sencha"}},
		{"?category=" + green.ID + "&sort=price_desc", false, []string{"Matcha", "Sencha"}},
		{"?min_price=1000&max_price=3000&sort=price_asc", false, []string{"Sencha", "Matcha"}},
		{"?in_stock=true&category=tea", false, []string{"Assam", "Sencha"}},
		{"?in_stock=false", false, []string{"Matcha"}},
	}
	for _, sc := range scenarios {
		var h map[string]string
		if sc.admin {
			h = admin.Bearer()
		}
		r := a.Do(t, "GET", "/api/v1/products"+sc.query, nil, h)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", sc.query, r.Status, r.Body)
			continue
		}
		if got := titles(t, r); !slices.Equal(got, sc.want) {
			t.Errorf("%s: %q, want %q", sc.query, got, sc.want)
		}
	}
	// Paging with cursors.
	var all []string
	next := "/api/v1/products?limit=3"
	for pages := 0; next != ""; pages++ {
		r := a.Do(t, "GET", next, nil, nil)
		var l listBody
		r.JSON(t, &l)
		for _, p := range l.Items {
			all = append(all, p.Title)
		}
		next = ""
		if l.NextCursor != "" {
			next = "/api/v1/products?limit=3&cursor=" + url.QueryEscape(l.NextCursor)
		}
		if pages > 3 {
			t.Fatal("too many pages")
		}
	}
	if want := []string{"Teapot", "Assam", "Matcha", "Sencha"}; !slices.Equal(all, want) {
		t.Errorf("paged %q, want %q", all, want)
	}

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "list: bad numbers", Method: "GET", URL: "/api/v1/products?min_price=cheap&in_stock=maybe&limit=x", ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"min_price"`, `"field":"in_stock"`, `"field":"limit"`}},
		{Name: "list: bad sort", Method: "GET", URL: "/api/v1/products?sort=random", ExpectedStatus: 422, ExpectedContent: []string{`"field":"sort"`}},
		{Name: "list: shoppers may not list drafts", Method: "GET", URL: "/api/v1/products?status=draft", ExpectedStatus: 403},
		{Name: "list: unknown category", Method: "GET", URL: "/api/v1/products?category=coffee", ExpectedStatus: 404, ExpectedContent: []string{`"code":"category_not_found"`}},
		{Name: "list: bad cursor", Method: "GET", URL: "/api/v1/products?cursor=zzz", ExpectedStatus: 400, ExpectedContent: []string{`"code":"invalid_cursor"`}},
		{Name: "search: bad sort", Method: "GET", URL: "/api/v1/products/search?q=tea&sort=random", ExpectedStatus: 422, ExpectedContent: []string{`"field":"sort"`}},
		{Name: "search: shoppers may not search drafts", Method: "GET", URL: "/api/v1/products/search?status=draft", ExpectedStatus: 403},
		{Name: "search: unknown category", Method: "GET", URL: "/api/v1/products/search?category=coffee", ExpectedStatus: 404},
	})

	// Search: products are searchable within a second of their creation.
	type searchBody struct {
		Items  []catalog.Product `json:"items"`
		Total  int               `json:"total"`
		Facets map[string][]struct {
			Term  string `json:"term"`
			Count int    `json:"count"`
		} `json:"facets"`
	}
	search := func(q string, h map[string]string) searchBody {
		r := a.Do(t, "GET", "/api/v1/products/search"+q, nil, h)
		if r.Status != 200 {
			t.Fatalf("search %s: %d %s", q, r.Status, r.Body)
		}
		var s searchBody
		r.JSON(t, &s)
		return s
	}
	start := time.Now()
	oolong := mk("Oolong Milk", tea.ID, "active", 1500, 4)
	poll.Within(t, time.Second, "a new product to be searchable", func() bool {
		s := search("?q=oolong", nil)
		return len(s.Items) == 1 && s.Items[0].ID == oolong.ID
	})
	t.Logf("searchable after %v", time.Since(start))

	poll.Within(t, 5*time.Second, "every product to be indexed", func() bool { return search("?status=any", admin.Bearer()).Total == 6 })
	s := search("?category=tea&sort=price_asc", nil)
	var got []string
	for _, p := range s.Items {
		got = append(got, p.Title)
	}
	if want := []string{"Assam", "Sencha", "Oolong Milk", "Matcha"}; !slices.Equal(got, want) || s.Total != 4 {
		t.Errorf("search by category with sub-categories: %q (total %d), want %q", got, s.Total, want)
	}
	if s.Items[0].Variants[0].Stock != 2 || len(s.Items[0].Images) != 0 || s.Items[0].Images == nil {
		t.Errorf("search items are not whole products: %+v", s.Items[0])
	}
	if fc := s.Facets["brand"]; len(fc) != 1 || fc[0].Term != "Chaikhana" || fc[0].Count != 4 {
		t.Errorf("brand facet %+v", fc)
	}
	if s := search("?q=grey", nil); s.Total != 0 {
		t.Errorf("shoppers found a draft: %+v", s.Items)
	}
	if s := search("?q=grey", admin.Bearer()); s.Total != 0 {
		t.Errorf("staff found a draft without asking: %d", s.Total)
	}
	if s := search("?q=grey&status=draft", admin.Bearer()); s.Total != 1 {
		t.Errorf("staff did not find the draft: %d", s.Total)
	}

	// An update and a stock change reach the index: renamed, then sold out.
	r := a.Do(t, "PUT", "/api/v1/products/"+oolong.ID, map[string]any{"title": "Oolong Supreme", "category_id": tea.ID,
		"variants": []map[string]any{{"id": oolong.Variants[0].ID, "sku": oolong.Variants[0].SKU, "price": map[string]any{"amount": 1500, "currency": "USD"}, "stock": 0}}}, admin.Bearer())
	if r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	poll.Within(t, time.Second, "the update to be searchable", func() bool {
		s := search("?q=supreme&in_stock=false", nil)
		return s.Total == 1 && s.Items[0].Title == "Oolong Supreme"
	})
	r = a.Do(t, "DELETE", "/api/v1/products/"+oolong.ID, nil, admin.Bearer())
	if r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	poll.Within(t, time.Second, "the deletion to reach the index", func() bool { return search("?q=supreme", nil).Total == 0 })
}
