package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/reviews"
)

type reviewShop struct {
	db   *DB
	cat  *Catalog
	shop *catalog.Service
	rev  *reviews.Service
	repo *Reviews
}

func newReviewShop(t testing.TB) reviewShop {
	t.Helper()
	db, cat, shop := newCatalogShop(t)
	repo := NewReviews(db)
	return reviewShop{db: db, cat: cat, shop: shop, repo: repo,
		rev: reviews.NewService(repo, &stepClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})}
}

func (s reviewShop) product(t testing.TB, sku string) catalog.Product {
	t.Helper()
	p, err := s.shop.CreateProduct(context.Background(), catalog.ProductInput{Title: "Tea " + sku, Variants: []catalog.VariantInput{variant(sku, 500, ptr64(10))}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s reviewShop) user(t testing.TB, name string) string {
	t.Helper()
	id := commerce.NewID()
	must(t, s.db.Update(context.Background(), func(tx *Tx) error {
		return putJSON(tx, userKey(id), auth.User{ID: id, Email: id + "@example.com", Name: name, Role: auth.RoleCustomer})
	}))
	return id
}

// order writes an order of userID holding one line of each product, in status.
func (s reviewShop) order(t testing.TB, userID, status string, productIDs ...string) {
	t.Helper()
	o := orders.Order{ID: commerce.NewID(), UserID: userID, Status: status, Number: time.Now().UnixNano()}
	for _, id := range productIDs {
		o.Lines = append(o.Lines, orders.Line{ProductID: id, VariantID: "v", Quantity: 1})
	}
	must(t, s.db.Update(context.Background(), func(tx *Tx) error { return putOrder(tx, o, nil) }))
}

// recount checks that every product's stored rating summary equals a recount of its
// approved reviews, and that the status, author and listing rows are exactly those of the
// stored reviews.
func recount(t *testing.T, db *DB) {
	t.Helper()
	want := map[string]*reviews.Summary{}
	rows := map[string]bool{}
	err := db.View(context.Background(), func(r *Reader) error {
		if err := r.Scan([]byte(prefixReview), PrefixEnd([]byte(prefixReview)), func(_, v []byte) error {
			var x reviews.Review
			if err := decode(v, &x); err != nil {
				return err
			}
			if want[x.ProductID] == nil {
				want[x.ProductID] = &reviews.Summary{}
			}
			if x.Status == reviews.StatusApproved {
				want[x.ProductID].Add(x.Rating)
			}
			rows[string(reviewByStatusKey(x.Status, x.ID))] = true
			rows[string(reviewByAuthorKey(x.ProductID, x.UserID))] = true
			for _, k := range reviewListKeys(x) {
				rows[string(k)] = true
			}
			return nil
		}); err != nil {
			return err
		}
		for _, prefix := range []string{prefixReviewByStatus, prefixReviewByAuthor, prefixReviewByProduct} {
			if err := r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(k, _ []byte) error {
				if !rows[string(k)] {
					t.Errorf("stray index row %q", k)
				}
				delete(rows, string(k))
				return nil
			}); err != nil {
				return err
			}
		}
		for k := range rows {
			t.Errorf("missing index row %q", k)
		}
		return r.Scan([]byte(prefixRating), PrefixEnd([]byte(prefixRating)), func(k, v []byte) error {
			var got reviews.Summary
			if err := decode(v, &got); err != nil {
				return err
			}
			id := string(k[len(prefixRating):])
			w := reviews.Summary{}
			if want[id] != nil {
				w = *want[id]
			}
			if got != w {
				t.Errorf("product %s: stored summary %+v, recount %+v", id, got, w)
			}
			delete(want, id)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, w := range want {
		if w.Count > 0 {
			t.Errorf("product %s has approved reviews (%+v) but no rating row", id, *w)
		}
	}
}

// TestRatingSummaryEqualsRecount runs random review operations and checks after each that
// every product's summary equals a recount of its approved reviews (and the products read
// through the catalog show it).
func TestRatingSummaryEqualsRecount(t *testing.T) {
	ctx := context.Background()
	s := newReviewShop(t)
	var products []catalog.Product
	for i := range 3 {
		products = append(products, s.product(t, fmt.Sprintf("R%d", i)))
	}
	var users []string
	for i := range 6 {
		users = append(users, s.user(t, fmt.Sprintf("User %d", i)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []string
	for step := range 300 {
		u, p := users[rng.IntN(len(users))], products[rng.IntN(len(products))]
		in := reviews.Input{Rating: 1 + rng.IntN(5), Title: "t"}
		var err error
		var op string
		switch n := rng.IntN(7); {
		case n == 0 || len(ids) == 0:
			op = "create"
			var r reviews.Review
			if r, err = s.rev.Create(ctx, p.ID, u, in); err == nil {
				ids = append(ids, r.ID)
			}
		default:
			id := ids[rng.IntN(len(ids))]
			cur, gerr := s.repo.Review(ctx, id)
			if gerr != nil {
				t.Fatal(gerr)
			}
			switch n {
			case 1:
				op = "edit"
				_, err = s.rev.Edit(ctx, id, cur.UserID, in, nil)
			case 2, 3:
				op = "approve"
				_, err = s.rev.Approve(ctx, id, nil)
			case 4:
				op = "reject"
				_, err = s.rev.Reject(ctx, id, "spam", nil)
			case 5:
				op = "delete"
				if err = s.rev.Delete(ctx, id, reviews.Viewer{UserID: cur.UserID}, nil); err == nil {
					ids = slices.DeleteFunc(ids, func(x string) bool { return x == id })
				}
			case 6:
				op = "vote"
				_, err = s.rev.Vote(ctx, id, u, rng.IntN(2) == 0)
			}
		}
		if err != nil && !errors.Is(err, reviews.ErrExists) && !errors.Is(err, reviews.ErrTransition) &&
			!errors.Is(err, reviews.ErrOwnReview) && !errors.Is(err, reviews.ErrNotFound) {
			t.Fatalf("step %d %s: %v", step, op, err)
		}
		if step%25 == 0 {
			recount(t, s.db)
		}
	}
	recount(t, s.db)
	for _, p := range products {
		got, err := s.cat.Product(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum, _, _ := ratingOf(mustReader(t, s.db), p.ID)
		if got.Ratings.Count != sum.Count || got.Ratings.Average != sum.Average || got.Rating != sum.Average || got.Ratings.Histogram != sum.Histogram {
			t.Errorf("product %s reads ratings %+v / %v, stored %+v", p.ID, got.Ratings, got.Rating, sum)
		}
		if got.Version != p.Version {
			t.Errorf("product %s version moved from %d to %d: reviews must not touch the product record", p.ID, p.Version, got.Version)
		}
	}
}

// mustReader returns a reader of the newest state.
func mustReader(t testing.TB, db *DB) getter { return latest{db} }

func TestOneReviewPerAuthorUnderConcurrentSubmits(t *testing.T) {
	ctx := context.Background()
	s := newReviewShop(t)
	p := s.product(t, "C1")
	u := s.user(t, "Ann Lee")
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = s.rev.Create(ctx, p.ID, u, reviews.Input{Rating: 1 + i%5}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, reviews.ErrExists):
			t.Errorf("submit: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submits succeeded, want exactly 1", ok)
	}
	list, err := s.rev.Queue(ctx, reviews.StatusPending, commerce.Page{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("pending queue %d items (%v), want 1", len(list.Items), err)
	}
	// Another author may still review it.
	if _, err := s.rev.Create(ctx, p.ID, s.user(t, "Bo"), reviews.Input{Rating: 3}); err != nil {
		t.Fatal(err)
	}
	recount(t, s.db)
}

func TestVerifiedPurchase(t *testing.T) {
	ctx := context.Background()
	s := newReviewShop(t)
	tea, cup := s.product(t, "V1"), s.product(t, "V2")
	scenarios := []struct {
		name   string
		orders func(user string)
		want   bool
	}{
		{"no orders", func(string) {}, false},
		{"an order of another product", func(u string) { s.order(t, u, orders.StatusDelivered, cup.ID) }, false},
		{"a cancelled order", func(u string) { s.order(t, u, orders.StatusCancelled, tea.ID) }, false},
		{"a pending order", func(u string) { s.order(t, u, orders.StatusPending, cup.ID, tea.ID) }, true},
		{"a delivered order and a cancelled one", func(u string) {
			s.order(t, u, orders.StatusDelivered, tea.ID)
			s.order(t, u, orders.StatusCancelled, tea.ID)
		}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			u := s.user(t, "Ann Marie Lee")
			sc.orders(u)
			r, err := s.rev.Create(ctx, tea.ID, u, reviews.Input{Rating: 4})
			if err != nil {
				t.Fatal(err)
			}
			if r.VerifiedPurchase != sc.want {
				t.Errorf("verified_purchase = %v, want %v", r.VerifiedPurchase, sc.want)
			}
			if r.AuthorName != "Ann L." {
				t.Errorf("author name %q", r.AuthorName)
			}
		})
	}
	// An edit takes the flag afresh: a purchase made after writing verifies the review.
	u := s.user(t, "Late Buyer")
	r, err := s.rev.Create(ctx, tea.ID, u, reviews.Input{Rating: 2})
	if err != nil || r.VerifiedPurchase {
		t.Fatalf("before buying: %+v %v", r, err)
	}
	s.order(t, u, orders.StatusConfirmed, tea.ID)
	if r, err = s.rev.Edit(ctx, r.ID, u, reviews.Input{Rating: 3}, nil); err != nil || !r.VerifiedPurchase {
		t.Fatalf("after buying: %+v %v", r, err)
	}
}

// TestProductPageShowsNewRatings: the product page cache serves a product without reading
// it until a product write; a review approval writes only the rating row, which must make
// the cached page stale too (readerCacheChanges counts rating rows).
func TestProductPageShowsNewRatings(t *testing.T) {
	ctx := context.Background()
	s := newReviewShop(t)
	p := s.product(t, "P1")
	doc := func() map[string]any {
		t.Helper()
		d, err := s.cat.ProductDocument(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(d.JSON, &m); err != nil {
			t.Fatal(err)
		}
		if d.Version != p.Version {
			t.Errorf("document version %d, want %d (reviews must not move it)", d.Version, p.Version)
		}
		return m
	}
	doc()
	doc() // now served from the cache without a read
	a, b := s.user(t, "Ann Lee"), s.user(t, "Bo Ray")
	ra, err := s.rev.Create(ctx, p.ID, a, reviews.Input{Rating: 5})
	must(t, err)
	rb, err := s.rev.Create(ctx, p.ID, b, reviews.Input{Rating: 4})
	must(t, err)
	if m := doc(); m["ratings"] != nil {
		t.Fatalf("pending reviews show on the page: %v", m["ratings"])
	}
	check := func(avg float64, count int) {
		t.Helper()
		m := doc()
		r, _ := m["ratings"].(map[string]any)
		if r == nil && count == 0 {
			return
		}
		if r == nil || r["average"] != avg || r["count"] != float64(count) || m["rating"] != nilIfZero(avg) {
			t.Fatalf("page ratings %v rating %v, want average %v count %d", m["ratings"], m["rating"], avg, count)
		}
		got, err := s.cat.Product(ctx, p.ID)
		if err != nil || got.Ratings.Average != avg || got.Ratings.Count != count || got.Rating != avg {
			t.Fatalf("product ratings %+v rating %v (%v), want %v / %d", got.Ratings, got.Rating, err, avg, count)
		}
	}
	_, err = s.rev.Approve(ctx, ra.ID, nil)
	must(t, err)
	check(5, 1)
	_, err = s.rev.Approve(ctx, rb.ID, nil)
	must(t, err)
	check(4.5, 2)
	_, err = s.rev.Reject(ctx, ra.ID, "off topic", nil)
	must(t, err)
	check(4, 1)
	must(t, s.rev.Delete(ctx, rb.ID, reviews.Viewer{UserID: b}, nil))
	check(0, 0)
	// The listing documents (read in a snapshot) and the scan the search index rebuilds from
	// carry the ratings too.
	_, err = s.rev.Approve(ctx, ra.ID, nil)
	must(t, err)
	must(t, s.cat.ScanProducts(ctx, func(p catalog.Product) error {
		if p.Ratings.Count != 1 || p.Rating != 5 {
			t.Errorf("scanned product ratings %+v rating %v", p.Ratings, p.Rating)
		}
		return nil
	}))
	list, err := s.cat.ListProductDocuments(ctx, catalog.ListFilter{Sort: catalog.SortNewest, Status: catalog.StatusActive})
	must(t, err)
	if len(list.Items) != 1 || !strings.Contains(string(list.Items[0].JSON), `"ratings":{"average":5,"count":1,"histogram":[0,0,0,0,1]}`) {
		t.Fatalf("listing documents: %+v", list.Items)
	}
}

func nilIfZero(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

func TestProductReviewsSortsAndPages(t *testing.T) {
	ctx := context.Background()
	s := newReviewShop(t)
	p := s.product(t, "S1")
	var ids []string // in creation order
	ratings := []int{3, 5, 1, 4, 5, 2}
	var authors []string
	for i, rating := range ratings {
		u := s.user(t, fmt.Sprintf("Author %d", i))
		authors = append(authors, u)
		r, err := s.rev.Create(ctx, p.ID, u, reviews.Input{Rating: rating})
		must(t, err)
		_, err = s.rev.Approve(ctx, r.ID, nil)
		must(t, err)
		ids = append(ids, r.ID)
	}
	// A pending review is not listed.
	_, err := s.rev.Create(ctx, p.ID, s.user(t, "Pending"), reviews.Input{Rating: 5})
	must(t, err)
	// Helpful votes: review 2 gets three, review 0 one.
	for _, v := range []struct{ review, voter int }{{2, 0}, {2, 1}, {2, 3}, {0, 1}} {
		_, err := s.rev.Vote(ctx, ids[v.review], authors[v.voter], true)
		must(t, err)
	}
	scenarios := []struct {
		sort string
		want []int // indexes into ids
	}{
		{reviews.SortNewest, []int{5, 4, 3, 2, 1, 0}},
		{reviews.SortHelpful, []int{2, 0, 5, 4, 3, 1}},
		{reviews.SortRatingHigh, []int{4, 1, 3, 0, 5, 2}},
		{reviews.SortRatingLow, []int{2, 5, 0, 3, 1, 4}},
	}
	for _, sc := range scenarios {
		t.Run(sc.sort, func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("cursor loops")
				}
				list, err := s.rev.ProductReviews(ctx, p.ID, reviews.ListFilter{Sort: sc.sort, Limit: 4, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range list.Items {
					got = append(got, r.ID)
				}
				if cursor = list.NextCursor; cursor == "" {
					break
				}
			}
			var want []string
			for _, i := range sc.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("order %v, want %v", got, want)
			}
		})
	}
	// A cursor of another sort is refused.
	list, err := s.rev.ProductReviews(ctx, p.ID, reviews.ListFilter{Sort: reviews.SortNewest, Limit: 1})
	must(t, err)
	if _, err := s.rev.ProductReviews(ctx, p.ID, reviews.ListFilter{Sort: reviews.SortHelpful, Cursor: list.NextCursor}); !errors.Is(err, reviews.ErrInvalidCursor) {
		t.Errorf("foreign cursor: %v", err)
	}
	// Withdrawing votes; voting twice counts once; the author cannot vote.
	r, err := s.rev.Vote(ctx, ids[2], authors[0], true)
	if err != nil || r.HelpfulCount != 3 {
		t.Fatalf("second vote: %d %v", r.HelpfulCount, err)
	}
	if r, err = s.rev.Vote(ctx, ids[2], authors[0], false); err != nil || r.HelpfulCount != 2 {
		t.Fatalf("withdrawn vote: %d %v", r.HelpfulCount, err)
	}
	if _, err := s.rev.Vote(ctx, ids[2], authors[2], true); !errors.Is(err, reviews.ErrOwnReview) {
		t.Fatalf("own vote: %v", err)
	}
	// Deleting a review removes its votes.
	must(t, s.rev.Delete(ctx, ids[2], reviews.Viewer{Moderator: true}, nil))
	err = s.db.View(ctx, func(r *Reader) error {
		return r.Scan(reviewVotesPrefix(ids[2]), PrefixEnd(reviewVotesPrefix(ids[2])), func(k, _ []byte) error {
			t.Errorf("vote row %q left after delete", k)
			return nil
		})
	})
	must(t, err)
	recount(t, s.db)
}
