package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func TestSlugRedirects(t *testing.T) {
	ctx := context.Background()
	db, cat, svc := newCatalogShop(t)
	p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Green Tea", Variants: []catalog.VariantInput{variant("G1", 100, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	rename := func(ref, slug string) catalog.Product {
		t.Helper()
		q, err := svc.UpdateProduct(ctx, ref, catalog.ProductInput{Title: "Green Tea", Slug: slug, Variants: []catalog.VariantInput{{ID: p.Variants[0].ID, SKU: "G1", Price: p.Variants[0].Price}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	redirect := func(slug string) string {
		t.Helper()
		q, err := svc.ProductRedirect(ctx, slug, false)
		if errors.Is(err, catalog.ErrProductNotFound) {
			return ""
		} else if err != nil {
			t.Fatal(err)
		}
		return q.Slug
	}
	rename(p.ID, "sencha")
	rename(p.ID, "gyokuro")
	checkIndexes(t, db)
	for _, sc := range []struct{ old, want string }{{"green-tea", "gyokuro"}, {"sencha", "gyokuro"}, {"gyokuro", ""}, {"matcha", ""}, {"Not A Slug", ""}} {
		if got := redirect(sc.old); got != sc.want {
			t.Errorf("redirect of %q = %q, want %q", sc.old, got, sc.want)
		}
	}
	if id, _ := cat.ProductIDByFormerSlug(ctx, "green-tea"); id != p.ID {
		t.Errorf("redirect row of green-tea = %q", id)
	}
	// Back to a former slug: its redirect goes, the slug it leaves gets one.
	rename(p.ID, "sencha")
	checkIndexes(t, db)
	if got := redirect("gyokuro"); got != "sencha" {
		t.Errorf("redirect of gyokuro = %q", got)
	}
	// A new product taking a former slug wins over the redirect.
	q, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Green Tea", Variants: []catalog.VariantInput{variant("G2", 100, nil)}})
	if err != nil || q.Slug != "green-tea" {
		t.Fatalf("new product on a former slug: %v %q", err, q.Slug)
	}
	if got := redirect("green-tea"); got != "" {
		t.Errorf("redirect of a taken slug = %q", got)
	}
	checkIndexes(t, db)
	// A deleted product's redirects lead nowhere; a draft's only staff follow.
	if _, err := svc.UpdateProduct(ctx, p.ID, catalog.ProductInput{Title: "Green Tea", Status: catalog.StatusDraft, Variants: []catalog.VariantInput{{ID: p.Variants[0].ID, SKU: "G1", Price: p.Variants[0].Price}}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := redirect("gyokuro"); got != "" {
		t.Errorf("shopper follows a draft's redirect to %q", got)
	}
	if r, err := svc.ProductRedirect(ctx, "gyokuro", true); err != nil || r.ID != p.ID {
		t.Errorf("staff redirect of a draft: %v", err)
	}
	if err := svc.DeleteProduct(ctx, p.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ProductRedirect(ctx, "gyokuro", true); !errors.Is(err, catalog.ErrProductNotFound) {
		t.Errorf("redirect of a deleted product: %v", err)
	}
	checkIndexes(t, db)

	// Categories too.
	c, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: "Tea"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateCategory(ctx, c.ID, catalog.CategoryInput{Name: "Tea", Slug: "teas"}, nil); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.CategoryRedirect(ctx, "tea"); err != nil || r.Slug != "teas" {
		t.Errorf("category redirect: %v %+v", err, r)
	}
	if _, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: "Tea"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CategoryRedirect(ctx, "tea"); !errors.Is(err, catalog.ErrCategoryNotFound) {
		t.Errorf("redirect of a taken category slug: %v", err)
	}
	checkIndexes(t, db)
}

func TestFeaturedList(t *testing.T) {
	ctx := context.Background()
	db, _, svc := newCatalogShop(t)
	tea, _ := svc.CreateCategory(ctx, catalog.CategoryInput{Name: "Tea"})
	ids := map[string]string{}
	for i, pr := range []struct {
		title    string
		featured bool
		status   string
	}{{"Sencha", true, ""}, {"Matcha", false, ""}, {"Assam", true, catalog.StatusDraft}, {"Oolong", true, ""}, {"Chai", true, ""}} {
		p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: pr.title, CategoryID: tea.ID, Featured: pr.featured, Status: pr.status,
			Variants: []catalog.VariantInput{variant(pr.title, int64(100+i), nil)}})
		if err != nil {
			t.Fatal(err)
		}
		ids[pr.title] = p.ID
	}
	// A vendor cannot feature its product, nor unfeature one staff featured.
	v, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Vendor Tea", Featured: true, Variants: []catalog.VariantInput{variant("V1", 100, nil)}},
		catalog.Scope{VendorID: "01J0000000000000000000000V"})
	if err != nil || v.Featured {
		t.Fatalf("vendor's featured product: %v %v", err, v.Featured)
	}
	if _, err := svc.UpdateProduct(ctx, v.ID, catalog.ProductInput{Title: "Vendor Tea", VendorID: v.VendorID, Featured: true, Variants: []catalog.VariantInput{{ID: v.Variants[0].ID, SKU: "V1", Price: v.Variants[0].Price}}}, nil); err != nil {
		t.Fatal(err)
	}
	up, err := svc.UpdateProduct(ctx, v.ID, catalog.ProductInput{Title: "Vendor Tea 2", Variants: []catalog.VariantInput{{ID: v.Variants[0].ID, SKU: "V1", Price: v.Variants[0].Price}}}, nil,
		catalog.Scope{VendorID: "01J0000000000000000000000V"})
	if err != nil || !up.Featured {
		t.Fatalf("vendor's update unfeatured the product: %v %v", err, up.Featured)
	}
	checkIndexes(t, db)
	list := func(q catalog.ListQuery, staff bool) []string {
		t.Helper()
		q.Featured = true
		var out []string
		for {
			page, err := svc.ListProducts(ctx, q, staff)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				out = append(out, p.Title)
			}
			if page.NextCursor == "" {
				return out
			}
			q.Cursor = page.NextCursor
		}
	}
	if got, want := list(catalog.ListQuery{Limit: 2}, false), []string{"Vendor Tea 2", "Chai", "Oolong", "Sencha"}; !slices.Equal(got, want) {
		t.Errorf("featured, newest first: %q, want %q", got, want)
	}
	if got, want := list(catalog.ListQuery{Status: catalog.StatusAny, Sort: catalog.SortTitleAsc}, true), []string{"Assam", "Chai", "Oolong", "Sencha", "Vendor Tea 2"}; !slices.Equal(got, want) {
		t.Errorf("featured of any status by title: %q, want %q", got, want)
	}
	// Unfeaturing removes the rows.
	if _, err := svc.UpdateProduct(ctx, ids["Chai"], catalog.ProductInput{Title: "Chai", CategoryID: tea.ID, Variants: []catalog.VariantInput{variant("Chai", 100, nil)}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := list(catalog.ListQuery{}, false), []string{"Vendor Tea 2", "Oolong", "Sencha"}; !slices.Equal(got, want) {
		t.Errorf("after unfeaturing Chai: %q, want %q", got, want)
	}
	checkIndexes(t, db)
	if _, err := svc.ListProducts(ctx, catalog.ListQuery{Featured: true, Category: tea.ID}, false); !errors.Is(err, commerceInvalid) {
		t.Errorf("featured with a category: %v", err)
	}
}

func TestMoveCategory(t *testing.T) {
	ctx := context.Background()
	db, cat, svc := newCatalogShop(t)
	mk := func(name, parent string) catalog.Category {
		t.Helper()
		c, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: name, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	drinks, food := mk("Drinks", ""), mk("Food", "")
	tea := mk("Tea", drinks.ID)
	green := mk("Green", tea.ID)
	coffee := mk("Coffee", drinks.ID)
	p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Sencha", CategoryID: green.ID, Variants: []catalog.VariantInput{variant("S1", 100, ptr64(4))}})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }

	// Tea (with Green and its product) moves under Food.
	moved, err := svc.MoveCategory(ctx, tea.Slug, catalog.CategoryMove{ParentID: str(food.ID)}, ptr64(tea.Version))
	if err != nil || moved.ParentID != food.ID || moved.Version != tea.Version+1 {
		t.Fatalf("move: %v %+v", err, moved)
	}
	got, err := cat.Product(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{food.ID, tea.ID, green.ID}; !slices.Equal(got.CategoryPath, want) || got.Variants[0].Stock != 4 {
		t.Errorf("product path %v stock %d, want %v and 4", got.CategoryPath, got.Variants[0].Stock, want)
	}
	under := func(c catalog.Category) []string {
		page, err := svc.ListProducts(ctx, catalog.ListQuery{Category: c.ID}, false)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range page.Items {
			out = append(out, p.Title)
		}
		return out
	}
	if len(under(drinks)) != 0 || !slices.Equal(under(food), []string{"Sencha"}) {
		t.Errorf("listed under drinks %q, food %q", under(drinks), under(food))
	}
	checkIndexes(t, db)

	// Refused: under itself, under its own descendant, a stale version, deeper than allowed.
	for _, sc := range []struct {
		name string
		ref  string
		m    catalog.CategoryMove
		v    *int64
		want string // error code
	}{
		{"under itself", tea.ID, catalog.CategoryMove{ParentID: str(tea.ID)}, nil, "validation_failed"},
		{"under its descendant", tea.ID, catalog.CategoryMove{ParentID: str(green.Slug)}, nil, "validation_failed"},
		{"stale version", tea.ID, catalog.CategoryMove{}, ptr64(tea.Version), "version_mismatch"},
		{"no such parent", tea.ID, catalog.CategoryMove{ParentID: str("nope")}, nil, "validation_failed"},
		{"negative position", tea.ID, catalog.CategoryMove{Position: num(-1)}, nil, "validation_failed"},
		{"no such category", "nope", catalog.CategoryMove{}, nil, "category_not_found"},
	} {
		_, err := svc.MoveCategory(ctx, sc.ref, sc.m, sc.v)
		if ce := commerceErr(err); ce == nil || ce.Code != sc.want {
			t.Errorf("%s: %v, want %s", sc.name, err, sc.want)
		}
	}
	deep := green
	for i := 3; i < catalog.MaxCategoryDepth; i++ { // Food > Tea > Green > ... 8 levels
		deep = mk("Level", deep.ID)
	}
	if _, err := svc.MoveCategory(ctx, coffee.ID, catalog.CategoryMove{ParentID: str(deep.ID)}, nil); commerceErr(err) == nil {
		t.Errorf("move past the depth limit: %v", err)
	}

	// Reorder among siblings: positions become 0..n-1 in the new order.
	juice, water := mk("Juice", drinks.ID), mk("Water", drinks.ID)
	names := func(parent string) []string {
		cs, err := svc.Categories(ctx, &parent)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if got := names(drinks.ID); !slices.Equal(got, []string{"Coffee", "Juice", "Water"}) {
		t.Errorf("siblings %q", got)
	}
	if _, err := svc.MoveCategory(ctx, water.ID, catalog.CategoryMove{Position: num(0)}, nil); err != nil {
		t.Fatal(err)
	}
	if got := names(drinks.ID); !slices.Equal(got, []string{"Water", "Coffee", "Juice"}) {
		t.Errorf("after moving Water first: %q", got)
	}
	if _, err := svc.MoveCategory(ctx, water.ID, catalog.CategoryMove{Position: num(99)}, nil); err != nil {
		t.Fatal(err)
	}
	if got := names(drinks.ID); !slices.Equal(got, []string{"Coffee", "Juice", "Water"}) {
		t.Errorf("after moving Water last: %q", got)
	}
	// Move with a place: Juice to the top level, first.
	if _, err := svc.MoveCategory(ctx, juice.ID, catalog.CategoryMove{ParentID: str(""), Position: num(0)}, nil); err != nil {
		t.Fatal(err)
	}
	if got := names(""); !slices.Equal(got, []string{"Juice", "Drinks", "Food"}) {
		t.Errorf("top level: %q", got)
	}
	// The whole tree, depth first.
	all, err := svc.Categories(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tree []string
	for _, c := range all {
		tree = append(tree, c.Name)
	}
	want := []string{"Juice", "Drinks", "Coffee", "Water", "Food", "Tea", "Green", "Level", "Level", "Level", "Level", "Level"}
	if !slices.Equal(tree, want) {
		t.Errorf("tree %q\nwant %q", tree, want)
	}
	checkIndexes(t, db)
}

var commerceInvalid = commerce.Invalid()

func commerceErr(err error) *commerce.Error { return commerce.AsError(err) }
