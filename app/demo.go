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

// demoCategory describes one generated department of the demo shop.
type demoCategory struct {
	slug     string
	nouns    []string
	brands   []string
	options  map[string][]string // option name → values; variants are their combinations
	minPrice int64               // cents
	maxPrice int64
	tags     []string
}

var demoCategories = []demoCategory{
	{"apparel", []string{"T-Shirt", "Hoodie", "Jacket", "Sweater", "Polo Shirt", "Raincoat"}, []string{"Northwind", "Tashkent Cotton", "Basecamp"},
		map[string][]string{"Size": {"S", "M", "L", "XL"}, "Color": {"Black", "Navy", "Sand"}}, 1500, 12000, []string{"cotton", "casual", "unisex"}},
	{"shoes", []string{"Sneakers", "Boots", "Sandals", "Loafers", "Running Shoes"}, []string{"Stride", "Samarkand Leather"},
		map[string][]string{"Size": {"40", "41", "42", "43", "44"}}, 3500, 22000, []string{"leather", "comfort"}},
	{"kitchen", []string{"Teapot", "Chef Knife", "Cutting Board", "Frying Pan", "Spice Jar Set", "Kettle"}, []string{"Oshxona", "IronLeaf"},
		nil, 800, 9000, []string{"kitchen", "cooking", "gift"}},
	{"electronics", []string{"Headphones", "Bluetooth Speaker", "Power Bank", "USB-C Charger", "Smart Watch"}, []string{"Voltix", "Aurora Audio"},
		map[string][]string{"Color": {"Black", "White"}}, 1900, 29900, []string{"wireless", "gadgets"}},
	{"home", []string{"Ceramic Bowl", "Silk Pillow", "Wool Rug", "Table Lamp", "Suzani Throw"}, []string{"Bukhara Home", "Lumen"},
		nil, 1200, 45000, []string{"handmade", "decor"}},
	{"groceries", []string{"Dried Apricots", "Green Tea", "Pistachios", "Honey", "Raisins", "Walnuts"}, nil,
		map[string][]string{"Weight": {"250g", "500g", "1kg"}}, 300, 3500, []string{"organic", "snacks"}},
	{"sports", []string{"Yoga Mat", "Water Bottle", "Dumbbell Set", "Jump Rope", "Backpack"}, []string{"Peak", "Basecamp"},
		nil, 900, 15000, []string{"fitness", "outdoor"}},
	{"beauty", []string{"Rose Soap", "Argan Oil", "Face Cream", "Lip Balm", "Shampoo"}, []string{"Gul", "Pure Valley"},
		nil, 400, 6000, []string{"natural", "skincare"}},
}

var demoAdjectives = []string{"Classic", "Premium", "Everyday", "Organic", "Handmade", "Vintage", "Lightweight",
	"Deluxe", "Compact", "Silk Road", "Eco", "Urban", "Heritage", "Travel", "Pro"}

// seedDemo seeds an empty data dir with the demo shop and a demo administrator whose
// generated password is printed once.
func (a *App) seedDemo(ctx context.Context) error {
	n, err := seedDemo(ctx, a.DB, a.Catalog, commerce.SystemClock{})
	if err != nil || n == 0 {
		return err
	}
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

// seedDemo fills an empty store with a generated demo shop: a few hundred products with
// variants and stock. It writes nothing when products already exist. The generator is
// seeded, so every demo shop is the same.
func seedDemo(ctx context.Context, db *store.DB, cat *store.Catalog, clock commerce.Clock) (int, error) {
	if n, err := cat.CountProducts(ctx); err != nil || n > 0 {
		return 0, err
	}
	products := demoProducts(clock.Now(), 320)
	const perBatch = 100
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

func demoProducts(now time.Time, n int) []catalog.Product {
	rng := rand.New(rand.NewPCG(2026, 11))
	out := make([]catalog.Product, 0, n)
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		c := demoCategories[i%len(demoCategories)]
		noun := c.nouns[rng.IntN(len(c.nouns))]
		adj := demoAdjectives[rng.IntN(len(demoAdjectives))]
		title := adj + " " + noun
		slug := slugify(title)
		if k := seen[slug]; k > 0 {
			slug = fmt.Sprintf("%s-%d", slug, k+1)
		}
		seen[slugify(title)]++
		brand := ""
		if len(c.brands) > 0 {
			brand = c.brands[rng.IntN(len(c.brands))]
		}
		base := c.minPrice + rng.Int64N(c.maxPrice-c.minPrice)
		base = base/100*100 + 99 // prices end in .99
		created := now.Add(-time.Duration(n-i) * time.Hour)
		p := catalog.Product{
			ID:          commerce.NewID(),
			Slug:        slug,
			Title:       title,
			Description: fmt.Sprintf("%s %s from the %s range. %s", adj, strings.ToLower(noun), c.slug, demoBlurb[rng.IntN(len(demoBlurb))]),
			Brand:       brand,
			CategoryID:  c.slug,
			Tags:        append([]string{c.slug}, c.tags[rng.IntN(len(c.tags))]),
			Status:      catalog.StatusActive,
			Rating:      float64(30+rng.IntN(21)) / 10,
			Version:     1,
			CreatedAt:   created,
			UpdatedAt:   created,
		}
		for _, opts := range combinations(c.options) {
			stock := int64(rng.IntN(60))
			if rng.IntN(12) == 0 {
				stock = 0
			}
			sku := fmt.Sprintf("DEMO-%04d", i+1)
			for _, k := range sortedKeys(opts) {
				sku += "-" + strings.ToUpper(slugify(opts[k]))
			}
			p.Variants = append(p.Variants, catalog.Variant{
				ID:      commerce.NewID(),
				SKU:     sku,
				Price:   commerce.Money{Amount: base, Currency: "USD"},
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

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
