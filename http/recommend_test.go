package http_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
	"github.com/ultramarket/ultramarket/store"
)

type summaryBody struct {
	ID     string         `json:"id"`
	Slug   string         `json:"slug"`
	Title  string         `json:"title"`
	Price  commerce.Money `json:"price"`
	Rating float64        `json:"rating"`
}

type trendingBody struct {
	Items []summaryBody `json:"items"`
}

type recommendationsBody struct {
	BoughtTogether []summaryBody `json:"bought_together"`
	Similar        []summaryBody `json:"similar"`
}

func summaryIDs(ss []summaryBody) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

// recommendShop is a small shop: categories Food > Tea and Toys, and products in them.
type recommendShop struct {
	food, tea, toys catalog.Category
	// green, black (similar to green), white (similar, but a draft), kettle, honey, cup (to be
	// archived), robot (nothing in common with the tea).
	green, black, white, kettle, honey, cup, robot catalog.Product
}

func newRecommendShop(t *testing.T, a *apptest.App) recommendShop {
	t.Helper()
	ctx := context.Background()
	category := func(name, parent string) catalog.Category {
		c, err := a.Shop.CreateCategory(ctx, catalog.CategoryInput{Name: name, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var s recommendShop
	s.food = category("Food", "")
	s.tea = category("Tea", s.food.ID)
	s.toys = category("Toys", "")
	stock := int64(100)
	product := func(title, brand, categoryID, status string, tags ...string) catalog.Product {
		p, err := a.Shop.CreateProduct(ctx, catalog.ProductInput{Title: title, Brand: brand, CategoryID: categoryID, Status: status, Tags: tags,
			Variants: []catalog.VariantInput{{SKU: "REC-" + commerce.NewID(), Price: commerce.Money{Amount: 1000, Currency: "USD"}, Stock: &stock}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	s.green = product("Green tea", "Leafy", s.tea.ID, catalog.StatusActive, "organic")
	s.black = product("Black tea", "Leafy", s.tea.ID, catalog.StatusActive, "organic")
	s.white = product("White tea", "Leafy", s.tea.ID, catalog.StatusDraft, "organic")
	s.kettle = product("Kettle", "Pot Co", s.food.ID, catalog.StatusActive)
	s.honey = product("Honey", "Bees", s.food.ID, catalog.StatusActive)
	s.cup = product("Cup", "Pot Co", s.food.ID, catalog.StatusActive)
	s.robot = product("Robot", "Toyco", s.toys.ID, catalog.StatusActive)
	return s
}

// buyTogether buys one unit of each product through a guest cart and POST /orders.
func buyTogether(t *testing.T, a *apptest.App, ps ...catalog.Product) {
	t.Helper()
	cart := newCart(t, a, nil)
	for _, p := range ps {
		addItem(t, a, cart, p.Variants[0].ID, 1, nil)
	}
	if r := a.Do(t, "POST", "/api/v1/orders", checkoutBody(cart), nil); r.Status != 201 {
		t.Fatalf("place order: %d %s", r.Status, r.Body)
	}
}

func getRecommendations(t testing.TB, a *apptest.App, ref string) recommendationsBody {
	t.Helper()
	r := a.Do(t, "GET", "/api/v1/products/"+ref+"/recommendations", nil, nil)
	if r.Status != 200 {
		t.Fatalf("recommendations: %d %s", r.Status, r.Body)
	}
	var rec recommendationsBody
	r.JSON(t, &rec)
	return rec
}

func getTrending(t testing.TB, a *apptest.App, query string) []string {
	t.Helper()
	r := a.Do(t, "GET", "/api/v1/products/trending"+query, nil, nil)
	if r.Status != 200 {
		t.Fatalf("trending: %d %s", r.Status, r.Body)
	}
	var tr trendingBody
	r.JSON(t, &tr)
	return summaryIDs(tr.Items)
}

func TestRecommendAPI(t *testing.T) {
	// Views are written and the ranking recomputed every 10 ms, so the test waits for
	// nothing longer.
	a := apptest.New(t, func(c *config.Config) { c.Recommend.FlushInterval = config.Dur(10 * time.Millisecond) })
	ctx := context.Background()
	s := newRecommendShop(t, a)
	admin := a.NewUser(t, auth.RoleAdmin)

	// Bought together: the cup three times with the green tea, the kettle twice, honey once.
	for range 3 {
		buyTogether(t, a, s.green, s.cup)
	}
	buyTogether(t, a, s.green, s.kettle)
	buyTogether(t, a, s.kettle, s.green)
	buyTogether(t, a, s.green, s.honey)
	// The cup, most often bought with the green tea, is archived: it is never recommended.
	cup, err := a.Shop.Product(ctx, s.cup.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Shop.UpdateProduct(ctx, cup.ID, catalog.ProductInput{Title: cup.Title, Brand: cup.Brand, CategoryID: cup.CategoryID,
		Status: catalog.StatusArchived, Variants: []catalog.VariantInput{{ID: cup.Variants[0].ID, SKU: cup.Variants[0].SKU, Price: cup.Variants[0].Price}}}, nil); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the honey order to be counted", func() bool {
		return slices.Contains(summaryIDs(getRecommendations(t, a, s.green.ID).BoughtTogether), s.honey.ID)
	})
	pairs := func(id string) map[string]int64 {
		cs, err := store.NewRecommend(a.DB).BoughtWith(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, c := range cs {
			m[c.ProductID] = c.Count
		}
		return m
	}
	wantPairs := map[string]int64{s.cup.ID: 3, s.kettle.ID: 2, s.honey.ID: 1}
	if got := pairs(s.green.ID); !reflect.DeepEqual(got, wantPairs) {
		t.Fatalf("pairs of the green tea %v, want %v", got, wantPairs)
	}

	t.Run("an orders.placed event delivered again counts once", func(t *testing.T) {
		var placed commerce.Event
		for _, ev := range a.EventsAfter(t, 0, a.DB.LastSeq()) {
			if ev.Type == orders.EventPlaced {
				placed = ev // the last: green tea and honey
			}
		}
		// A new event ID, so JetStream's de-duplication does not drop it: the consumer must.
		again := placed
		again.ID = commerce.NewID()
		if err := a.Bus.Publish(ctx, again); err != nil {
			t.Fatal(err)
		}
		// Events are handled in stream order: once a later order counts, the copy was handled.
		buyTogether(t, a, s.robot, s.honey)
		poll.Until(t, "the robot order to be counted", func() bool {
			return slices.Contains(summaryIDs(getRecommendations(t, a, s.robot.ID).BoughtTogether), s.honey.ID)
		})
		if got := pairs(s.green.ID); !reflect.DeepEqual(got, wantPairs) {
			t.Fatalf("pairs of the green tea after the copy %v, want %v", got, wantPairs)
		}
	})

	none := map[string]int{}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "bought together: most often first, archived products left out", Method: "GET",
			URL: "/api/v1/products/" + s.green.ID + "/recommendations", ExpectedStatus: 200, ExpectedEvents: none,
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var rec recommendationsBody
				r.JSON(t, &rec)
				if got, want := summaryIDs(rec.BoughtTogether), []string{s.kettle.ID, s.honey.ID}; !reflect.DeepEqual(got, want) {
					t.Fatalf("bought together %v, want %v (kettle, honey)", got, want)
				}
				k := rec.BoughtTogether[0]
				if k.Title != "Kettle" || k.Slug != s.kettle.Slug || k.Price != (commerce.Money{Amount: 1000, Currency: "USD"}) {
					t.Fatalf("summary %+v", k)
				}
				// Similar: the same category, brand and tags first; never itself or the draft.
				if len(rec.Similar) == 0 || rec.Similar[0].ID != s.black.ID {
					t.Fatalf("similar %v, want the black tea first", summaryIDs(rec.Similar))
				}
				for _, id := range summaryIDs(rec.Similar) {
					if id == s.green.ID || id == s.white.ID || id == s.cup.ID || id == s.robot.ID {
						t.Fatalf("similar %v lists %s", summaryIDs(rec.Similar), id)
					}
				}
			}},
		{Name: "the other side of a pair, by slug", Method: "GET", URL: "/api/v1/products/" + s.kettle.Slug + "/recommendations?limit=1",
			ExpectedStatus: 200, ExpectedContent: []string{`"bought_together":[{"id":"` + s.green.ID + `"`}},
		{Name: "a limit", Method: "GET", URL: "/api/v1/products/" + s.green.ID + "/recommendations?limit=1", ExpectedStatus: 200,
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var rec recommendationsBody
				r.JSON(t, &rec)
				if len(rec.BoughtTogether) != 1 || len(rec.Similar) != 1 {
					t.Fatalf("limit 1: %s", r.Body)
				}
			}},
		{Name: "a product nobody bought with another", Method: "GET", URL: "/api/v1/products/" + s.black.ID + "/recommendations",
			ExpectedStatus: 200, ExpectedContent: []string{`"bought_together":[]`}},
		{Name: "limit 0", Method: "GET", URL: "/api/v1/products/" + s.green.ID + "/recommendations?limit=0",
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"limit"`}},
		{Name: "limit not a number", Method: "GET", URL: "/api/v1/products/" + s.green.ID + "/recommendations?limit=x",
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"limit"`}},
		{Name: "an unknown product", Method: "GET", URL: "/api/v1/products/" + commerce.NewID() + "/recommendations",
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"product_not_found"`}},
		{Name: "a draft is not found by shoppers", Method: "GET", URL: "/api/v1/products/" + s.white.ID + "/recommendations",
			ExpectedStatus: 404},
		{Name: "staff see a draft's recommendations (never itself)", Method: "GET", URL: "/api/v1/products/" + s.white.ID + "/recommendations",
			Headers: admin.Bearer(), ExpectedStatus: 200, NotExpectedContent: []string{`"id":"` + s.white.ID + `"`},
			ExpectedContent: []string{`"id":"` + s.green.ID + `"`}},
		{Name: "trending: a category that does not exist", Method: "GET", URL: "/api/v1/products/trending?category=nope", ExpectedStatus: 404},
		{Name: "trending: limit too large", Method: "GET", URL: "/api/v1/products/trending?limit=101",
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"limit"`}},
	})

	t.Run("trending by sales, then by views after the flush", func(t *testing.T) {
		// Sales: green 6 units (60 points), kettle 2, honey 2, robot 1; the cup is archived.
		poll.Until(t, "sales to rank", func() bool {
			got := getTrending(t, a, "")
			return len(got) > 0 && got[0] == s.green.ID
		})
		if got := getTrending(t, a, ""); slices.Contains(got, s.cup.ID) {
			t.Fatalf("trending %v lists the archived cup", got)
		}
		// 70 views of the robot's page (70 points) put it on top; a staff member reading the
		// draft's page counts nothing.
		for range 70 {
			if r := a.Do(t, "GET", "/api/v1/products/"+s.robot.Slug, nil, nil); r.Status != 200 {
				t.Fatalf("product page: %d", r.Status)
			}
		}
		for range 100 {
			a.Do(t, "GET", "/api/v1/products/"+s.white.ID, nil, admin.Bearer())
		}
		poll.Until(t, "the robot to top trending after the flush", func() bool {
			got := getTrending(t, a, "")
			return len(got) > 0 && got[0] == s.robot.ID
		})
		for _, sc := range []struct {
			query string
			want  []string
		}{
			{"?limit=2", []string{s.robot.ID, s.green.ID}},
			{"?category=" + s.food.Slug + "&limit=1", []string{s.green.ID}}, // its sub-category Tea included
			{"?category=" + s.toys.ID, []string{s.robot.ID}},
		} {
			if got := getTrending(t, a, sc.query); !reflect.DeepEqual(got, sc.want) {
				t.Errorf("trending%s: %v, want %v", sc.query, got, sc.want)
			}
		}
		for _, sc := range a.Recommend.Ranking() {
			if sc.ProductID == s.white.ID {
				t.Fatalf("the draft's staff views were counted: %+v", sc)
			}
		}
	})

	t.Run("rebuild from the stored orders", func(t *testing.T) {
		before := pairs(s.green.ID)
		n, err := a.RebuildRecommendations(ctx)
		if err != nil || n != 7 {
			t.Fatalf("rebuilt from %d orders, %v", n, err)
		}
		if got := pairs(s.green.ID); !reflect.DeepEqual(got, before) {
			t.Fatalf("pairs after the rebuild %v, want %v", got, before)
		}
		if got := getTrending(t, a, "?limit=2"); !reflect.DeepEqual(got, []string{s.robot.ID, s.green.ID}) {
			t.Fatalf("trending after the rebuild %v", got)
		}
	})
}
