package http_test

import (
	"encoding/json"
	stdhttp "net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// richBody is a product with every field of issue 5.
func richBody(sku string) map[string]any {
	usd := func(n int) map[string]any { return map[string]any{"amount": n, "currency": "USD"} }
	return map[string]any{
		"title": "Cotton Tee", "description": "Soft.", "status": "active",
		"options": []map[string]any{{"name": "Size", "values": []string{"S", "M"}}, {"name": "Color", "values": []string{"Red", "Blue"}}},
		"variants": []map[string]any{
			{"sku": sku + "-S-R", "price": usd(1000), "compare_at_price": usd(1500), "weight_grams": 180, "barcode": "4006381333931", "options": map[string]string{"Size": "S", "Color": "Red"}},
			{"sku": sku + "-S-B", "price": usd(1000), "compare_at_price": usd(900), "options": map[string]string{"Size": "S", "Color": "Blue"}},
			{"sku": sku + "-M-R", "price": usd(1100), "options": map[string]string{"Size": "M", "Color": "Red"}},
			{"sku": sku + "-M-B", "price": usd(1100), "options": map[string]string{"Size": "M", "Color": "Blue"}},
		},
		"attributes":   map[string]string{"Material": "Cotton", "Fit": "Regular"},
		"seo":          map[string]string{"title": "Cotton Tee | Shop", "description": "A soft cotton tee."},
		"translations": map[string]any{"ru": map[string]string{"title": "Хлопковая футболка", "seo_title": "Футболка"}, "uz": map[string]string{"description": "Yumshoq."}},
		"featured":     true,
		"images": []map[string]any{
			{"source": "https://cdn.example.com/back.jpg", "position": 2, "alt": "Back"},
			{"source": "https://cdn.example.com/front.jpg", "position": 1, "alt": "Front", "variant_skus": []string{sku + "-S-R"}},
		},
	}
}

func TestProductModelAPI(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}
	var p catalog.Product

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "create with every field", Method: "POST", URL: "/api/v1/products", Body: richBody("CT"), Headers: admin.Bearer(),
			ExpectedStatus: 201,
			ExpectedContent: []string{`"options":[{"name":"Size","values":["S","M"]},{"name":"Color","values":["Red","Blue"]}]`,
				`"compare_at_price":{"amount":1500,"currency":"USD"},"on_sale":true`, `"weight_grams":180`, `"barcode":"4006381333931"`,
				`"attributes":{"Fit":"Regular","Material":"Cotton"}`, `"seo":{"title":"Cotton Tee | Shop","description":"A soft cotton tee."}`,
				`"translations":{"ru":{"title":"Хлопковая футболка","seo_title":"Футболка"},"uz":{"description":"Yumshoq."}}`, `"featured":true`,
				`{"id":"","url":"https://cdn.example.com/front.jpg","position":1,"alt":"Front","source":"https://cdn.example.com/front.jpg","variant_ids":["`,
				`{"id":"","url":"https://cdn.example.com/back.jpg","position":2,"alt":"Back","source":"https://cdn.example.com/back.jpg"}`},
			NotExpectedContent: []string{`"compare_at_price":{"amount":900,"currency":"USD"},"on_sale"`},
			ExpectedEvents:     map[string]int{catalog.EventProductCreated: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &p)
				if len(p.Images) != 2 || !slices.Equal(p.Images[0].VariantIDs, []string{p.Variants[0].ID}) {
					t.Errorf("images %+v", p.Images)
				}
			}},
		{Name: "422 names every path", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body: func() map[string]any {
				b := richBody("BAD")
				vs := b["variants"].([]map[string]any)
				vs[2]["compare_at_price"] = map[string]any{"amount": 100, "currency": "EUR"}
				vs[3]["options"] = map[string]string{"Size": "XL", "Color": "Blue"}
				b["images"] = []map[string]any{{"alt": "nothing"}, {"source": "https://x.example.com/a.jpg", "variant_skus": []string{"NOPE"}}}
				b["translations"] = map[string]any{"ru": map[string]string{"title": string(make([]byte, catalog.MaxTitleLen+1))}, "de": map[string]string{"title": "T"}}
				b["seo"] = map[string]string{"title": string(slices.Repeat([]byte("s"), catalog.MaxSEOTitleLen+1))}
				return b
			}(),
			ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"variants[2].compare_at_price.currency"`, `"field":"variants[3].options.Size"`, `"field":"images[0].source"`,
				`"field":"images[1].variant_skus[0]"`, `"field":"translations.ru.title"`, `"field":"translations.de"`, `"field":"seo.title"`},
			ExpectedEvents: none},
		{Name: "options derived from the variants", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body: func() map[string]any {
				b := richBody("DER")
				delete(b, "options")
				b["title"] = "Derived Tee"
				return b
			}(),
			ExpectedStatus: 201, ExpectedContent: []string{`"options":[{"name":"Color","values":["Red","Blue"]},{"name":"Size","values":["S","M"]}]`}},
	})

	put := richBody("CT")
	vs := put["variants"].([]map[string]any)
	for i := range vs {
		vs[i]["id"] = p.Variants[i].ID
	}
	put["slug"] = "cotton-tee-classic"
	delete(put, "images")
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "localized read", Method: "GET", URL: "/api/v1/products/" + p.ID + "?locale=ru", ExpectedStatus: 200,
			ExpectedContent:    []string{`"title":"Хлопковая футболка"`, `"description":"Soft."`, `"seo":{"title":"Футболка","description":"A soft cotton tee."}`},
			NotExpectedContent: []string{`"translations"`},
			ExpectedHeaders:    map[string]string{"Content-Language": "ru", "ETag": `"1"`}},
		{Name: "localized read by Accept-Language", Method: "GET", URL: "/api/v1/products/cotton-tee",
			Headers: map[string]string{"Accept-Language": "de-DE,uz;q=0.8,ru;q=0.5"}, ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"Cotton Tee"`, `"description":"Yumshoq."`}, ExpectedHeaders: map[string]string{"Content-Language": "uz"}},
		{Name: "staff keep the translations", Method: "GET", URL: "/api/v1/products/" + p.ID + "?locale=ru", Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"Хлопковая футболка"`, `"translations":{"ru":`}},
		{Name: "default read is the product's own text", Method: "GET", URL: "/api/v1/products/" + p.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"Cotton Tee"`, `"translations":{"ru":`}},
		{Name: "unknown locale", Method: "GET", URL: "/api/v1/products/" + p.ID + "?locale=fr", ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"locale"`}},
		{Name: "localized list", Method: "GET", URL: "/api/v1/products?locale=ru", ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"derived-tee","title":"Хлопковая футболка"`, `"slug":"cotton-tee","title":"Хлопковая футболка"`}, NotExpectedContent: []string{`"translations"`}},
		{Name: "stale If-Match", Method: "PUT", URL: "/api/v1/products/" + p.ID, Body: put,
			Headers: withIfMatch(admin.Bearer(), `"5"`), ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "slug change keeps images without images in the body", Method: "PUT", URL: "/api/v1/products/" + p.ID, Body: put,
			Headers: withIfMatch(admin.Bearer(), `"1"`), ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"cotton-tee-classic"`, `"url":"https://cdn.example.com/front.jpg"`, `"version":2`},
			ExpectedEvents:  map[string]int{catalog.EventProductUpdated: 1}},
	})

	// The old slug answers 301 to the new one (the default client would follow it).
	noFollow := &stdhttp.Client{CheckRedirect: func(*stdhttp.Request, []*stdhttp.Request) error { return stdhttp.ErrUseLastResponse }}
	for _, sc := range []struct{ path, want, id string }{
		{"/api/v1/products/cotton-tee?locale=ru", "/api/v1/products/cotton-tee-classic?locale=ru", p.ID},
	} {
		res, err := noFollow.Get(a.BaseURL + sc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 301 || res.Header.Get("Location") != sc.want || res.Header.Get("X-Product-ID") != sc.id {
			t.Errorf("GET %s: %d Location %q X-Product-ID %q", sc.path, res.StatusCode, res.Header.Get("Location"), res.Header.Get("X-Product-ID"))
		}
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "following the redirect", Method: "GET", URL: "/api/v1/products/cotton-tee", ExpectedStatus: 200,
			ExpectedContent: []string{`"slug":"cotton-tee-classic"`}},
		{Name: "featured list", Method: "GET", URL: "/api/v1/products/featured?limit=1", ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"Derived Tee"`, `"next_cursor":"`}, NotExpectedContent: []string{`"title":"Cotton Tee"`}},
		{Name: "featured is not a slug", Method: "POST", URL: "/api/v1/products", Headers: admin.Bearer(),
			Body: productBody("Featured", "FE", 100, map[string]any{"slug": "featured"}), ExpectedStatus: 409, ExpectedContent: []string{`"code":"slug_taken"`}},
		{Name: "featured with a bad sort", Method: "GET", URL: "/api/v1/products/featured?sort=best", ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"sort"`}},
	})
	r := a.Do(t, "GET", "/api/v1/products/featured?limit=1", nil, nil)
	var page struct {
		Items      []catalog.Product `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	r.JSON(t, &page)
	r = a.Do(t, "GET", "/api/v1/products/featured?limit=1&cursor="+page.NextCursor, nil, nil)
	if r.Status != 200 || !json.Valid(r.Body) {
		t.Fatalf("second page: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != p.ID || page.NextCursor != "" {
		t.Errorf("second featured page: %+v", page)
	}
}

func TestVendorCannotFeature(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	vendor, vendorID := newVendor(t, a, admin, "Tees", true)
	b := richBody("VT")
	r := a.Do(t, "POST", "/api/v1/products", b, vendor.Bearer())
	if r.Status != 201 {
		t.Fatalf("vendor create: %d %s", r.Status, r.Body)
	}
	var p catalog.Product
	r.JSON(t, &p)
	if p.Featured || p.VendorID != vendorID {
		t.Errorf("vendor's product featured %v vendor %q", p.Featured, p.VendorID)
	}
	if r := a.Do(t, "GET", "/api/v1/products/featured", nil, nil); r.Status != 200 || strings.Contains(string(r.Body), p.ID) {
		t.Errorf("featured list: %d %s", r.Status, r.Body)
	}
}

func withIfMatch(h map[string]string, v string) map[string]string {
	out := map[string]string{"If-Match": v}
	for k, x := range h {
		out[k] = x
	}
	return out
}

func TestCategoryMoveAPI(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	drinks := createCategory(t, a, admin, "Drinks", "")
	food := createCategory(t, a, admin, "Food", "")
	tea := createCategory(t, a, admin, "Tea", drinks.ID)
	green := createCategory(t, a, admin, "Green", tea.ID)
	coffee := createCategory(t, a, admin, "Coffee", drinks.ID)
	p := createProduct(t, a, admin, productBody("Sencha", "SE", 1200, map[string]any{"category_id": green.ID}))
	none := map[string]int{}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "customer move", Method: "POST", URL: "/api/v1/categories/" + tea.ID + "/move", Body: map[string]any{"parent_id": food.ID},
			Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "move under its own sub-category", Method: "POST", URL: "/api/v1/categories/" + tea.ID + "/move", Body: map[string]any{"parent_id": green.ID},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"parent_id"`}, ExpectedEvents: none},
		{Name: "stale If-Match", Method: "POST", URL: "/api/v1/categories/" + tea.ID + "/move", Body: map[string]any{"parent_id": food.ID},
			Headers: withIfMatch(admin.Bearer(), `"9"`), ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "unknown category", Method: "POST", URL: "/api/v1/categories/nope/move", Body: map[string]any{}, Headers: admin.Bearer(), ExpectedStatus: 404},
		{Name: "unknown field", Method: "POST", URL: "/api/v1/categories/" + tea.ID + "/move", Body: map[string]any{"parent": food.ID},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "move Tea under Food", Method: "POST", URL: "/api/v1/categories/" + tea.Slug + "/move", Body: map[string]any{"parent_id": food.Slug},
			Headers: withIfMatch(admin.Bearer(), `"1"`), ExpectedStatus: 200,
			ExpectedContent: []string{`"parent_id":"` + food.ID + `"`, `"version":2`}, ExpectedHeaders: map[string]string{"ETag": `"2"`},
			// Tea, and Sencha filed under Green under Tea: its category path changes.
			ExpectedEvents: map[string]int{catalog.EventCategoryUpdated: 1, catalog.EventProductUpdated: 1}},
		{Name: "products follow", Method: "GET", URL: "/api/v1/products?category=" + food.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + p.ID + `"`, `"category_path":["` + food.ID + `","` + tea.ID + `","` + green.ID + `"]`}},
		{Name: "reorder Food first", Method: "POST", URL: "/api/v1/categories/" + food.ID + "/move", Body: map[string]any{"position": 0},
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"position":0`}},
	})
	r := a.Do(t, "GET", "/api/v1/categories", nil, nil)
	var list struct{ Items []catalog.Category }
	r.JSON(t, &list)
	var names []string
	for _, c := range list.Items {
		names = append(names, c.Name)
	}
	if want := []string{"Food", "Tea", "Green", "Drinks", "Coffee"}; !slices.Equal(names, want) {
		t.Errorf("tree %q, want %q", names, want)
	}
	_ = coffee // stays under Drinks

	// A renamed category slug redirects.
	if r := a.Do(t, "PUT", "/api/v1/categories/"+tea.ID, map[string]any{"name": "Tea", "slug": "teas", "parent_id": food.ID}, admin.Bearer()); r.Status != 200 {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	noFollow := &stdhttp.Client{CheckRedirect: func(*stdhttp.Request, []*stdhttp.Request) error { return stdhttp.ErrUseLastResponse }}
	res, err := noFollow.Get(a.BaseURL + "/api/v1/categories/tea")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 301 || res.Header.Get("Location") != "/api/v1/categories/teas" || res.Header.Get("X-Category-ID") != tea.ID {
		t.Errorf("category redirect: %d %q %q", res.StatusCode, res.Header.Get("Location"), res.Header.Get("X-Category-ID"))
	}
}
