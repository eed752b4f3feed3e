package http_test

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// TestSearchRoutes covers search highlights and filters, suggest and the synonyms admin API
// against the in-process app.
func TestSearchRoutes(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	shelf := createCategory(t, a, admin, "Living Room", "")
	createProduct(t, a, admin, productBody("Velvet Sofa", "SOFA", 49900, map[string]any{
		"brand": "Comfy", "category_id": shelf.ID, "description": "A deep <b>three-seat</b> sofa in green velvet."}))
	createProduct(t, a, admin, productBody("Oak Coffee Table", "TABLE", 19900, map[string]any{"brand": "Woodsy", "category_id": shelf.ID}))
	createProduct(t, a, admin, productBody("Smart Television 55", "TV55", 59900, map[string]any{"brand": "Visio"}))
	poll.Until(t, "the products to be searchable", func() bool {
		for _, want := range []string{"Oak Coffee Table", "Velvet Sofa", "Smart Television 55"} {
			r := a.Do(t, "GET", "/api/v1/products/search?q="+strings.ReplaceAll(want, " ", "+"), nil, nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), want) {
				return false
			}
		}
		return true
	})
	poll.Until(t, "suggestions", func() bool {
		r := a.Do(t, "GET", "/api/v1/products/search/suggest?q=oak", nil, nil)
		return strings.Contains(string(r.Body), "Oak Coffee Table")
	})
	etag0 := map[string]string{"Authorization": admin.Bearer()["Authorization"], "If-Match": `"0"`}
	stale := map[string]string{"Authorization": admin.Bearer()["Authorization"], "If-Match": `"0"`}

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "search highlights matched words, escaping the rest", Method: "GET", URL: "/api/v1/products/search?q=velvet+sofa",
			ExpectedStatus: 200, ExpectedContent: []string{
				`"title":"\u003cmark\u003eVelvet\u003c/mark\u003e \u003cmark\u003eSofa\u003c/mark\u003e"`,
				`\u0026lt;b\u0026gt;three-seat\u0026lt;/b\u0026gt; \u003cmark\u003esofa\u003c/mark\u003e`,
			}},
		{Name: "search without highlights", Method: "GET", URL: "/api/v1/products/search?q=velvet&highlight=false",
			ExpectedStatus: 200, NotExpectedContent: []string{`"highlights"`}},
		{Name: "category facet carries names", Method: "GET", URL: "/api/v1/products/search?q=oak",
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Living Room","count":1`, `"rating":[]`, `"vendor":[]`}},
		{Name: "several brands", Method: "GET", URL: "/api/v1/products/search?brand=Comfy&brand=Woodsy",
			ExpectedStatus: 200, ExpectedContent: []string{`"total":2`}, NotExpectedContent: []string{"Television"}},
		{Name: "tag filter", Method: "GET", URL: "/api/v1/products/search?tags=outdoor&tags=nope", ExpectedStatus: 200, ExpectedContent: []string{`"total":0`}},
		{Name: "bad rating_min", Method: "GET", URL: "/api/v1/products/search?rating_min=7", ExpectedStatus: 422, ExpectedContent: []string{`"field":"rating_min"`}},
		{Name: "rating_min not a number", Method: "GET", URL: "/api/v1/products/search?rating_min=high", ExpectedStatus: 422, ExpectedContent: []string{`"field":"rating_min"`}},
		{Name: "configured synonym", Method: "GET", URL: "/api/v1/products/search?q=tv", ExpectedStatus: 200,
			ExpectedContent: []string{"Smart Television 55", `"total":1`}},

		{Name: "suggest completes a prefix", Method: "GET", URL: "/api/v1/products/search/suggest?q=velv", ExpectedStatus: 200,
			ExpectedContent: []string{`{"text":"Velvet Sofa","kind":"product","id":"`}},
		{Name: "suggest brands first", Method: "GET", URL: "/api/v1/products/search/suggest?q=com", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"text":"Comfy","kind":"brand","id":"Comfy"}`}},
		{Name: "suggest nothing", Method: "GET", URL: "/api/v1/products/search/suggest?q=", ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "suggest bad limit", Method: "GET", URL: "/api/v1/products/search/suggest?q=a&limit=500", ExpectedStatus: 422, ExpectedContent: []string{`"field":"limit"`}},

		{Name: "synonyms: anonymous", Method: "GET", URL: "/api/v1/admin/search/synonyms", ExpectedStatus: 401},
		{Name: "synonyms: customer", Method: "GET", URL: "/api/v1/admin/search/synonyms", Headers: customer.Bearer(), ExpectedStatus: 403},
		{Name: "synonyms: read the configured ones", Method: "GET", URL: "/api/v1/admin/search/synonyms", Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"synonyms":[]`, `"config":["tv, television","phone, smartphone, mobile"]`, `"version":0`}, ExpectedHeaders: map[string]string{"ETag": `"0"`}},
		{Name: "synonyms: invalid groups named", Method: "PUT", URL: "/api/v1/admin/search/synonyms", Headers: admin.Bearer(),
			Body: map[string]any{"synonyms": []string{"sofa, couch", "lonely"}}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"synonyms[1]"`}, ExpectedEvents: map[string]int{}},
		{Name: "synonyms: missing list", Method: "PUT", URL: "/api/v1/admin/search/synonyms", Headers: admin.Bearer(),
			Body: map[string]any{}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"synonyms"`}},
		{Name: "synonyms: unknown field", Method: "PUT", URL: "/api/v1/admin/search/synonyms", Headers: admin.Bearer(),
			Body: map[string]any{"synonym": []string{}}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"synonym","message":"unknown field"`}},
		{Name: "synonyms: set at version 0", Method: "PUT", URL: "/api/v1/admin/search/synonyms", Headers: etag0,
			Body: map[string]any{"synonyms": []string{"sofa, couch, settee"}}, ExpectedStatus: 200,
			ExpectedContent: []string{`"synonyms":["sofa, couch, settee"]`, `"version":1`}, ExpectedHeaders: map[string]string{"ETag": `"1"`},
			ExpectedEvents: map[string]int{"search.synonyms_updated": 1}},
		{Name: "synonyms: stale If-Match", Method: "PUT", URL: "/api/v1/admin/search/synonyms", Headers: stale,
			Body: map[string]any{"synonyms": []string{}}, ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: map[string]int{}},
		{Name: "synonyms apply at once, no reindex", Method: "GET", URL: "/api/v1/products/search?q=couch", ExpectedStatus: 200,
			ExpectedContent: []string{"Velvet Sofa", `\u003cmark\u003eSofa\u003c/mark\u003e`}},
	})
}
