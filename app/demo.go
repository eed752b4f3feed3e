package app

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/store"
)

// demoDepartment describes one generated top-level category of the demo shop and its
// sub-categories; products go into the sub-categories.
type demoDepartment struct {
	name     string
	subs     []demoSub
	brands   []string
	options  map[string][]string // option name → values; variants are their combinations
	minPrice int64               // cents
	maxPrice int64
	tags     []string
}

type demoSub struct {
	name  string
	nouns []string
}

var demoDepartments = []demoDepartment{
	{"Apparel", []demoSub{{"Tops", []string{"T-Shirt", "Hoodie", "Sweater", "Polo Shirt"}}, {"Outerwear", []string{"Jacket", "Raincoat", "Vest"}}},
		[]string{"Northwind", "Tashkent Cotton", "Basecamp"},
		map[string][]string{"Size": {"S", "M", "L", "XL"}, "Color": {"Black", "Navy", "Sand"}}, 1500, 12000, []string{"cotton", "casual", "unisex"}},
	{"Shoes", []demoSub{{"Sneakers", []string{"Sneakers", "Running Shoes", "Trainers"}}, {"Boots & Sandals", []string{"Boots", "Sandals", "Loafers"}}},
		[]string{"Stride", "Samarkand Leather"},
		map[string][]string{"Size": {"40", "41", "42", "43", "44"}}, 3500, 22000, []string{"leather", "comfort"}},
	{"Kitchen", []demoSub{{"Cookware", []string{"Teapot", "Frying Pan", "Kettle", "Saucepan"}}, {"Kitchen Tools", []string{"Chef Knife", "Cutting Board", "Spice Jar Set"}}},
		[]string{"Oshxona", "IronLeaf"}, nil, 800, 9000, []string{"kitchen", "cooking", "gift"}},
	{"Electronics", []demoSub{{"Audio", []string{"Headphones", "Bluetooth Speaker", "Earbuds"}}, {"Power & Wearables", []string{"Power Bank", "USB-C Charger", "Smart Watch"}}},
		[]string{"Voltix", "Aurora Audio"},
		map[string][]string{"Color": {"Black", "White"}}, 1900, 29900, []string{"wireless", "gadgets"}},
	{"Home", []demoSub{{"Decor", []string{"Ceramic Bowl", "Table Lamp", "Vase"}}, {"Textiles", []string{"Silk Pillow", "Wool Rug", "Suzani Throw"}}},
		[]string{"Bukhara Home", "Lumen"}, nil, 1200, 45000, []string{"handmade", "decor"}},
	{"Groceries", []demoSub{{"Dried Fruit & Nuts", []string{"Dried Apricots", "Pistachios", "Raisins", "Walnuts"}}, {"Tea & Honey", []string{"Green Tea", "Black Tea", "Honey"}}},
		nil, map[string][]string{"Weight": {"250g", "500g", "1kg"}}, 300, 3500, []string{"organic", "snacks"}},
	{"Sports", []demoSub{{"Fitness", []string{"Yoga Mat", "Dumbbell Set", "Jump Rope"}}, {"Outdoor", []string{"Water Bottle", "Backpack", "Tent"}}},
		[]string{"Peak", "Basecamp"}, nil, 900, 15000, []string{"fitness", "outdoor"}},
	{"Beauty", []demoSub{{"Skincare", []string{"Face Cream", "Argan Oil", "Lip Balm"}}, {"Bath", []string{"Rose Soap", "Shampoo", "Bath Salts"}}},
		[]string{"Gul", "Pure Valley"}, nil, 400, 6000, []string{"natural", "skincare"}},
}

var demoAdjectives = []string{"Classic", "Premium", "Everyday", "Organic", "Handmade", "Vintage", "Lightweight",
	"Deluxe", "Compact", "Silk Road", "Eco", "Urban", "Heritage", "Travel", "Pro"}

// seedDemo seeds an empty data dir with the demo shop and a demo administrator whose
// generated password is printed once.
func (a *App) seedDemo(ctx context.Context) error {
	start := time.Now()
	n, err := seedDemo(ctx, a.DB, a.Catalog, commerce.SystemClock{}, a.Config.Demo.Products)
	if err != nil || n == 0 {
		return err
	}
	a.log.Info("demo shop seeded", "products", n, "took", time.Since(start).Round(time.Millisecond))
	email, password := "admin@demo.ultramarket.local", commerce.NewSecret(12)
	if _, err := a.Auth.CreateUser(ctx, auth.CreateUserInput{Email: email, Password: password, Name: "Demo Admin", Role: auth.RoleSuperAdmin}); err != nil {
		return fmt.Errorf("seed demo admin: %w", err)
	}
	out := a.opts.Stdout
	if out == nil {
		out = os.Stdout
	}
	fmt.Fprintf(out, "Demo shop seeded: %d products.\nDemo administrator: %s  password: %s\n(shown once; change it after signing in)\n", n, email, password)
	return nil
}

// seedDemo fills an empty store with a generated demo shop: the category tree of
// demoDepartments and n products with variants and stock, written through the catalog's own
// store code (index rows and events included) a few hundred products per update. It writes
// nothing when products already exist. The generator is seeded, so every demo shop has the
// same titles, prices and stock; only IDs and times differ.
func seedDemo(ctx context.Context, db *store.DB, cat *store.Catalog, clock commerce.Clock, n int) (int, error) {
	if c, err := cat.CountProducts(ctx); err != nil || c > 0 {
		return 0, err
	}
	if n <= 0 {
		n = 320
	}
	now := clock.Now()
	cats, subs := demoCategoryTree(now)
	if err := db.Update(ctx, func(tx *store.Tx) error {
		for _, c := range cats {
			if err := store.SaveCategoryTx(tx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("seed demo categories: %w", err)
	}
	products := demoProducts(now, n, subs)
	const perBatch = 250
	for i := 0; i < len(products); i += perBatch {
		chunk := products[i:min(i+perBatch, len(products))]
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for _, p := range chunk {
				if err := store.SaveProductTx(tx, p); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, fmt.Errorf("seed demo products: %w", err)
		}
	}
	return len(products), nil
}

// demoCategoryTree returns the demo categories, parents first, and the sub-category IDs of
// each department (by department index).
func demoCategoryTree(now time.Time) ([]catalog.Category, [][]string) {
	var cats []catalog.Category
	subs := make([][]string, len(demoDepartments))
	for i, d := range demoDepartments {
		dep := catalog.Category{ID: commerce.NewID(), Slug: catalog.Slugify(d.name), Name: d.name, Position: i,
			Description: d.name + " from the UltraMarket demo shop.", Version: 1, CreatedAt: now, UpdatedAt: now}
		cats = append(cats, dep)
		for j, s := range d.subs {
			c := catalog.Category{ID: commerce.NewID(), Slug: catalog.Slugify(s.name), Name: s.name, ParentID: dep.ID, Position: j,
				Version: 1, CreatedAt: now, UpdatedAt: now}
			cats = append(cats, c)
			subs[i] = append(subs[i], c.ID)
		}
	}
	return cats, subs
}

func demoProducts(now time.Time, n int, subs [][]string) []catalog.Product {
	rng := rand.New(rand.NewPCG(2026, 11))
	out := make([]catalog.Product, 0, n)
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		di := i % len(demoDepartments)
		d := demoDepartments[di]
		si := rng.IntN(len(d.subs))
		noun := d.subs[si].nouns[rng.IntN(len(d.subs[si].nouns))]
		adj := demoAdjectives[rng.IntN(len(demoAdjectives))]
		title := adj + " " + noun
		base := catalog.Slugify(title)
		seen[base]++
		slug := base
		if k := seen[base]; k > 1 {
			slug = fmt.Sprintf("%s-%d", base, k)
		}
		brand := ""
		if len(d.brands) > 0 {
			brand = d.brands[rng.IntN(len(d.brands))]
		}
		price := d.minPrice + rng.Int64N(d.maxPrice-d.minPrice)
		price = price/100*100 + 99 // prices end in .99
		created := now.Add(-time.Duration(n-i) * time.Minute)
		p := catalog.Product{
			ID:          commerce.NewID(),
			Slug:        slug,
			Title:       title,
			Description: fmt.Sprintf("%s %s from our %s range. %s", adj, strings.ToLower(noun), strings.ToLower(d.subs[si].name), demoBlurb[rng.IntN(len(demoBlurb))]),
			Brand:       brand,
			CategoryID:  subs[di][si],
			Tags:        []string{catalog.Slugify(d.name), d.tags[rng.IntN(len(d.tags))]},
			Status:      catalog.StatusActive,
			Rating:      float64(30+rng.IntN(21)) / 10,
			Version:     1,
			CreatedAt:   created,
			UpdatedAt:   created,
		}
		for vi, opts := range combinations(d.options) {
			stock := int64(rng.IntN(60))
			if rng.IntN(12) == 0 {
				stock = 0
			}
			sku := fmt.Sprintf("DEMO-%05d", i+1)
			for _, k := range sortedKeys(opts) {
				sku += "-" + strings.ToUpper(catalog.Slugify(opts[k]))
			}
			vp := price
			if _, weighed := opts["Weight"]; weighed {
				vp = price * int64(1+vi) // 250g, 500g, 1kg: dearer by weight
			}
			p.Variants = append(p.Variants, catalog.Variant{
				ID:      commerce.NewID(),
				SKU:     sku,
				Price:   commerce.Money{Amount: vp, Currency: "USD"},
				Stock:   stock,
				Options: opts,
			})
		}
		out = append(out, p)
	}
	return out
}

var demoBlurb = []string{
	"Made to last and easy to care for.",
	"A favourite of our regulars at the bazaar.",
	"Small-batch, inspected by hand before it ships.",
	"Great value for everyday use.",
	"Packed in recyclable materials.",
}

// combinations returns every combination of option values (one empty map when there are no options).
func combinations(options map[string][]string) []map[string]string {
	out := []map[string]string{{}}
	for _, name := range sortedKeys(options) {
		var next []map[string]string
		for _, partial := range out {
			for _, v := range options[name] {
				m := make(map[string]string, len(partial)+1)
				for k, pv := range partial {
					m[k] = pv
				}
				m[name] = v
				next = append(next, m)
			}
		}
		out = next
	}
	for i, m := range out {
		if len(m) == 0 {
			out[i] = nil
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
