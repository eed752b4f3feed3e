package http_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/reviews"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// reviewFixture is a shop with one product, a customer who bought it, one who did not, a
// third who votes, and an admin.
type reviewFixture struct {
	a                        *apptest.App
	admin, buyer, other, fan apptest.User
	product, slug, word      string
}

func newReviewFixture(t *testing.T) *reviewFixture {
	f := &reviewFixture{a: apptest.New(t)}
	f.admin = f.a.NewUser(t, auth.RoleAdmin)
	f.buyer = f.a.NewUser(t, auth.RoleCustomer)
	f.other = f.a.NewUser(t, auth.RoleCustomer)
	f.fan = f.a.NewUser(t, auth.RoleCustomer)
	f.word = "zephyrkettle"
	var p struct {
		ID       string `json:"id"`
		Slug     string `json:"slug"`
		Variants []struct {
			ID string `json:"id"`
		} `json:"variants"`
	}
	r := f.a.Do(t, "POST", "/api/v1/products", map[string]any{"title": "Copper " + f.word,
		"variants": []map[string]any{{"sku": "ZK-1", "price": map[string]any{"amount": 2500, "currency": "USD"}, "stock": 100}}}, f.admin.Bearer())
	if r.Status != 201 {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &p)
	f.product, f.slug = p.ID, p.Slug
	// The buyer checks out a cart holding the product.
	var c struct {
		ID string `json:"id"`
	}
	r = f.a.Do(t, "POST", "/api/v1/carts", nil, f.buyer.Bearer())
	r.JSON(t, &c)
	if r = f.a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": p.Variants[0].ID, "quantity": 1}, f.buyer.Bearer()); r.Status != 200 {
		t.Fatalf("add to cart: %d %s", r.Status, r.Body)
	}
	if r = f.a.Do(t, "POST", "/api/v1/orders", checkoutBody(c.ID), f.buyer.Bearer()); r.Status != 201 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	return f
}

// keepID stores the response's "id" in dst.
func keepID(dst *string) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) {
		var v struct {
			ID string `json:"id"`
		}
		r.JSON(t, &v)
		*dst = v.ID
	}
}

// searchRated reports whether a search for the product's word with rating_min finds it.
func (f *reviewFixture) searchRated(t testing.TB, min int) bool {
	r := f.a.Do(t, "GET", fmt.Sprintf("/api/v1/products/search?q=%s&rating_min=%d", f.word, min), nil, nil)
	return r.Status == 200 && strings.Contains(string(r.Body), f.product)
}

func TestReviewsAPI(t *testing.T) {
	f := newReviewFixture(t)
	a := f.a
	var mine, theirs string // the buyer's and the other customer's reviews
	reviewsURL := "/api/v1/products/" + f.product + "/reviews"

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous cannot review", Method: "POST", URL: reviewsURL, Body: map[string]any{"rating": 5},
			ExpectedStatus: 401, ExpectedEvents: map[string]int{}},
		{Name: "staff do not review", Method: "POST", URL: reviewsURL, Body: map[string]any{"rating": 5}, Headers: f.admin.Bearer(),
			ExpectedStatus: 403, ExpectedEvents: map[string]int{}},
		{Name: "invalid fields are named", Method: "POST", URL: reviewsURL, Headers: f.buyer.Bearer(),
			Body:           map[string]any{"rating": 0, "title": strings.Repeat("t", 121), "body": strings.Repeat("b", 5001)},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"rating"`, `"field":"title"`, `"field":"body"`}, ExpectedEvents: map[string]int{}},
		{Name: "unknown fields are refused", Method: "POST", URL: reviewsURL, Headers: f.buyer.Bearer(),
			Body: map[string]any{"rating": 5, "stars": 5}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"stars"`}},
		{Name: "unknown product", Method: "POST", URL: "/api/v1/products/no-such-product/reviews", Headers: f.buyer.Bearer(),
			Body: map[string]any{"rating": 5}, ExpectedStatus: 404},
		{Name: "a buyer's review is verified and pending", Method: "POST", URL: "/api/v1/products/" + f.slug + "/reviews", Headers: f.buyer.Bearer(),
			Body:           map[string]any{"rating": 5, "title": "Boils fast", "body": "Lovely copper finish."},
			ExpectedStatus: 201, ExpectedHeaders: map[string]string{"ETag": `"1"`},
			ExpectedContent:    []string{`"verified_purchase":true`, `"status":"PENDING"`, `"author_name":"Test U."`, `"mine":true`},
			NotExpectedContent: []string{"@example.com", `"user_id"`},
			ExpectedEvents:     map[string]int{"reviews.created": 1}, After: keepID(&mine)},
		{Name: "one review per product per customer", Method: "POST", URL: reviewsURL, Headers: f.buyer.Bearer(),
			Body: map[string]any{"rating": 1}, ExpectedStatus: 409, ExpectedContent: []string{"review_exists"}, ExpectedEvents: map[string]int{}},
		{Name: "a review without a purchase is not verified", Method: "POST", URL: reviewsURL, Headers: f.other.Bearer(),
			Body: map[string]any{"rating": 2}, ExpectedStatus: 201, ExpectedContent: []string{`"verified_purchase":false`},
			ExpectedEvents: map[string]int{"reviews.created": 1}, After: keepID(&theirs)},
		{Name: "pending reviews are not listed", Method: "GET", URL: reviewsURL, ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[]`}, NotExpectedContent: []string{"own_review"}},
		{Name: "the author sees their pending review", Method: "GET", URL: reviewsURL, Headers: f.buyer.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[]`, `"own_review":{`, `"status":"PENDING"`}},
		// Read the product page now, so it is cached when the approval comes.
		{Name: "no ratings before approval", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			NotExpectedContent: []string{`"ratings"`}},
		{Name: "no ratings before approval (cached)", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			NotExpectedContent: []string{`"ratings"`}},
	})
	if mine == "" || theirs == "" {
		t.Fatal("reviews were not created")
	}
	poll.Until(t, "the product to be searchable", func() bool { return f.searchRated(t, 0) })
	if f.searchRated(t, 4) {
		t.Fatal("an unrated product passes rating_min=4")
	}

	admin := "/api/v1/admin/reviews/"
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "queue: anonymous", Method: "GET", URL: "/api/v1/admin/reviews", ExpectedStatus: 401},
		{Name: "queue: customer", Method: "GET", URL: "/api/v1/admin/reviews", Headers: f.buyer.Bearer(), ExpectedStatus: 403},
		{Name: "queue: admin sees both, oldest first, with the author's account", Method: "GET", URL: "/api/v1/admin/reviews?status=PENDING",
			Headers: f.admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{mine, theirs, `"user_id":"` + f.buyer.ID}},
		{Name: "queue: bad status", Method: "GET", URL: "/api/v1/admin/reviews?status=LOST", Headers: f.admin.Bearer(), ExpectedStatus: 422},
		{Name: "approve: customer", Method: "POST", URL: admin + mine + "/approve", Headers: f.buyer.Bearer(), ExpectedStatus: 403, ExpectedEvents: map[string]int{}},
		{Name: "approve: anonymous", Method: "POST", URL: admin + mine + "/approve", ExpectedStatus: 401},
		{Name: "approve: stale If-Match", Method: "POST", URL: admin + mine + "/approve", Headers: withHeader(f.admin.Bearer(), "If-Match", `"7"`),
			ExpectedStatus: 412, ExpectedContent: []string{"version_mismatch"}, ExpectedEvents: map[string]int{}},
		{Name: "approve", Method: "POST", URL: admin + mine + "/approve", Headers: withHeader(f.admin.Bearer(), "If-Match", `"1"`),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"APPROVED"`, `"moderated_by":"user:` + f.admin.ID},
			ExpectedEvents: map[string]int{"reviews.approved": 1}},
		{Name: "approve twice", Method: "POST", URL: admin + mine + "/approve", Headers: f.admin.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{"invalid_transition"}, ExpectedEvents: map[string]int{}},
		{Name: "approve: unknown review", Method: "POST", URL: admin + "01J00000000000000000000000/approve", Headers: f.admin.Bearer(), ExpectedStatus: 404},
		{Name: "the cached product page shows the rating", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			ExpectedContent: []string{`"rating":5`, `"ratings":{"average":5,"count":1,"histogram":[0,0,0,0,1]}`},
			ExpectedHeaders: map[string]string{"ETag": `"1"`}}, // a review does not move the product's version
		{Name: "approve the other", Method: "POST", URL: admin + theirs + "/approve", Headers: f.admin.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{"reviews.approved": 1}},
		{Name: "average of two", Method: "GET", URL: "/api/v1/products/" + f.slug, ExpectedStatus: 200,
			ExpectedContent: []string{`"rating":3.5`, `"ratings":{"average":3.5,"count":2,"histogram":[0,1,0,0,1]}`}},
		{Name: "approved reviews are listed, best first", Method: "GET", URL: reviewsURL + "?sort=rating_high", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"id":"` + mine}},
		{Name: "lowest first", Method: "GET", URL: reviewsURL + "?sort=rating_low&limit=1", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"id":"` + theirs, `"next_cursor":"`}},
		{Name: "bad sort", Method: "GET", URL: reviewsURL + "?sort=stars", ExpectedStatus: 422, ExpectedContent: []string{`"field":"sort"`}},
		{Name: "reject needs a reason", Method: "POST", URL: admin + theirs + "/reject", Headers: f.admin.Bearer(), Body: map[string]any{"reason": " "},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: map[string]int{}},
		{Name: "take an approved review down", Method: "POST", URL: admin + theirs + "/reject", Headers: f.admin.Bearer(),
			Body: map[string]any{"reason": "Not about the product"}, ExpectedStatus: 200, ExpectedContent: []string{`"status":"REJECTED"`},
			ExpectedEvents: map[string]int{"reviews.rejected": 1}},
		{Name: "the rejected review leaves the rating", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			ExpectedContent: []string{`"ratings":{"average":5,"count":1,"histogram":[0,0,0,0,1]}`}},
		{Name: "a rejected review is hidden from others", Method: "GET", URL: "/api/v1/reviews/" + theirs, Headers: f.fan.Bearer(), ExpectedStatus: 404},
		{Name: "its author sees why", Method: "GET", URL: "/api/v1/reviews/" + theirs, Headers: f.other.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"rejection_reason":"Not about the product"`}},
		{Name: "an approved review is public", Method: "GET", URL: "/api/v1/reviews/" + mine, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"APPROVED"`}, NotExpectedContent: []string{`"user_id"`, `"moderated_by"`}},
	})
	poll.Until(t, "the search index to see the rating", func() bool { return f.searchRated(t, 4) })

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "vote: anonymous", Method: "POST", URL: "/api/v1/reviews/" + mine + "/helpful", ExpectedStatus: 401},
		{Name: "vote: the author", Method: "POST", URL: "/api/v1/reviews/" + mine + "/helpful", Headers: f.buyer.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{"own_review"}, ExpectedEvents: map[string]int{}},
		{Name: "vote", Method: "POST", URL: "/api/v1/reviews/" + mine + "/helpful", Headers: f.fan.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"helpful_count":1`, `"helpful":true`}, ExpectedEvents: map[string]int{"reviews.voted": 1}},
		{Name: "vote again counts once", Method: "POST", URL: "/api/v1/reviews/" + mine + "/helpful", Headers: f.fan.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"helpful_count":1`}, ExpectedEvents: map[string]int{}},
		{Name: "staff may vote", Method: "POST", URL: "/api/v1/reviews/" + mine + "/helpful", Headers: f.admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"helpful_count":2`}, ExpectedEvents: map[string]int{"reviews.voted": 1}},
		{Name: "vote on a rejected review", Method: "POST", URL: "/api/v1/reviews/" + theirs + "/helpful", Headers: f.fan.Bearer(), ExpectedStatus: 404},
		{Name: "withdraw", Method: "DELETE", URL: "/api/v1/reviews/" + mine + "/helpful", Headers: f.fan.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"helpful_count":1`, `"helpful":false`}, ExpectedEvents: map[string]int{"reviews.voted": 1}},
		{Name: "votes do not move the version", Method: "GET", URL: "/api/v1/reviews/" + mine, ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"ETag": `"2"`}, ExpectedContent: []string{`"helpful_count":1`}},
		{Name: "most helpful first", Method: "GET", URL: reviewsURL + "?sort=helpful", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"id":"` + mine}},

		{Name: "edit: someone else's", Method: "PUT", URL: "/api/v1/reviews/" + mine, Headers: f.other.Bearer(), Body: map[string]any{"rating": 1},
			ExpectedStatus: 404, ExpectedEvents: map[string]int{}},
		{Name: "edit: stale If-Match", Method: "PUT", URL: "/api/v1/reviews/" + mine, Headers: withHeader(f.buyer.Bearer(), "If-Match", `"1"`),
			Body: map[string]any{"rating": 3}, ExpectedStatus: 412, ExpectedEvents: map[string]int{}},
		{Name: "edit: invalid", Method: "PUT", URL: "/api/v1/reviews/" + mine, Headers: f.buyer.Bearer(), Body: map[string]any{"rating": 7},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"rating"`}},
		{Name: "edit an approved review: back to pending", Method: "PUT", URL: "/api/v1/reviews/" + mine, Headers: withHeader(f.buyer.Bearer(), "If-Match", `"2"`),
			Body: map[string]any{"rating": 3, "title": "Boils fast, lid rattles"}, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"PENDING"`, `"rating":3`, `"verified_purchase":true`}, ExpectedHeaders: map[string]string{"ETag": `"3"`},
			ExpectedEvents: map[string]int{"reviews.updated": 1}},
		{Name: "the edited review left the rating", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			NotExpectedContent: []string{`"count":1`, `"rating":5`}},
		{Name: "re-approve the edit", Method: "POST", URL: admin + mine + "/approve", Headers: f.admin.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{"reviews.approved": 1}},
		{Name: "rating follows the edit", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			ExpectedContent: []string{`"ratings":{"average":3,"count":1,"histogram":[0,0,1,0,0]}`}},

		{Name: "delete: someone else's", Method: "DELETE", URL: "/api/v1/reviews/" + mine, Headers: f.fan.Bearer(), ExpectedStatus: 404, ExpectedEvents: map[string]int{}},
		{Name: "delete: anonymous", Method: "DELETE", URL: "/api/v1/reviews/" + mine, ExpectedStatus: 401},
		{Name: "delete my rejected review", Method: "DELETE", URL: "/api/v1/reviews/" + theirs, Headers: f.other.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{"reviews.deleted": 1}},
		{Name: "staff delete an approved review", Method: "DELETE", URL: "/api/v1/reviews/" + mine, Headers: f.admin.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{"reviews.deleted": 1}},
		{Name: "gone", Method: "GET", URL: "/api/v1/reviews/" + mine, ExpectedStatus: 404},
		{Name: "no ratings left", Method: "GET", URL: "/api/v1/products/" + f.product, ExpectedStatus: 200,
			NotExpectedContent: []string{`"count":1`, `"rating":3`}},
		{Name: "the buyer may review again", Method: "POST", URL: reviewsURL, Headers: f.buyer.Bearer(), Body: map[string]any{"rating": 4},
			ExpectedStatus: 201, ExpectedEvents: map[string]int{"reviews.created": 1}},
	})
	poll.Until(t, "the search index to drop the rating", func() bool { return !f.searchRated(t, 4) })
}

// withHeader returns h with one more header.
func withHeader(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for x, y := range h {
		out[x] = y
	}
	return out
}

// newReview writes customer A's review of a new product through the service, approved when
// approve is set, and returns its ID (for the authorization matrix).
func (f *authzFixture) newReview(t *testing.T, approve bool) string {
	t.Helper()
	ctx := context.Background()
	r, err := f.a.Reviews.Create(ctx, f.newProduct(t), f.users[custA].ID, reviews.Input{Rating: 5})
	if err != nil {
		t.Fatal(err)
	}
	if approve {
		if _, err := f.a.Reviews.Approve(ctx, r.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	return r.ID
}
