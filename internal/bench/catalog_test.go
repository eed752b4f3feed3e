package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/store"
)

// Word lists for synthetic products. The catalog is grown synthetically (the real sample data
// in ../shared/data holds a few hundred products); the generator is seeded, so every run
// writes the same titles, prices and stock, only the IDs differ.
var (
	synthAdjectives = []string{"Classic", "Premium", "Everyday", "Organic", "Handmade", "Vintage", "Lightweight",
		"Deluxe", "Compact", "Heritage", "Travel", "Urban", "Rugged", "Soft", "Waterproof", "Slim", "Modern", "Rustic"}
	synthMaterials = []string{"Cotton", "Linen", "Wool", "Leather", "Bamboo", "Ceramic", "Steel", "Oak", "Silk",
		"Canvas", "Denim", "Cork", "Glass", "Copper", "Walnut", "Suede"}
	synthNouns = []string{"T-Shirt", "Hoodie", "Jacket", "Sneakers", "Boots", "Teapot", "Kettle", "Cutting Board",
		"Headphones", "Speaker", "Backpack", "Wallet", "Lamp", "Rug", "Pillow", "Bowl", "Mug", "Scarf", "Belt",
		"Notebook", "Water Bottle", "Yoga Mat", "Sunglasses", "Watch", "Apron", "Tote Bag"}
	synthBrands     = []string{"Northwind", "Basecamp", "Stride", "Oshxona", "IronLeaf", "Voltix", "Lumen", "Peak", "Gul", "Pure Valley", ""}
	synthCategories = []string{"apparel", "shoes", "kitchen", "electronics", "home", "sports", "beauty", "accessories"}
	synthTags       = []string{"gift", "bestseller", "new", "eco", "sale", "limited", "handmade", "outdoor", "casual"}
	synthSentences  = []string{
		"Made to last and easy to care for.",
		"A favourite of our regulars at the bazaar.",
		"Small-batch, inspected by hand before it ships.",
		"Great value for everyday use.",
		"Packed in recyclable materials.",
		"Designed in our workshop and tested on the road.",
	}
	synthSizes = []string{"S", "M", "L", "XL"}
)

// synthProducts returns n products, each with 1 to 3 variants. rng makes them reproducible.
func synthProducts(rng *rand.Rand, first, n int, now time.Time) []catalog.Product {
	out := make([]catalog.Product, 0, n)
	for i := first; i < first+n; i++ {
		adj := synthAdjectives[rng.IntN(len(synthAdjectives))]
		mat := synthMaterials[rng.IntN(len(synthMaterials))]
		noun := synthNouns[rng.IntN(len(synthNouns))]
		cat := synthCategories[rng.IntN(len(synthCategories))]
		title := adj + " " + mat + " " + noun
		created := now.Add(-time.Duration(i) * time.Second)
		base := int64(300+rng.IntN(30000))/100*100 + 99
		p := catalog.Product{
			ID:    commerce.NewID(),
			Slug:  fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(title, " ", "-")), i+1),
			Title: title,
			Description: fmt.Sprintf("%s %s %s from the %s range. %s %s", adj, strings.ToLower(mat), strings.ToLower(noun), cat,
				synthSentences[rng.IntN(len(synthSentences))], synthSentences[rng.IntN(len(synthSentences))]),
			Brand:      synthBrands[rng.IntN(len(synthBrands))],
			CategoryID: cat,
			Tags:       []string{cat, synthTags[rng.IntN(len(synthTags))]},
			Status:     catalog.StatusActive,
			Rating:     float64(30+rng.IntN(21)) / 10,
			Version:    1,
			CreatedAt:  created,
			UpdatedAt:  created,
		}
		variants := 1 + rng.IntN(3)
		for v := 0; v < variants; v++ {
			var opts map[string]string
			if variants > 1 {
				opts = map[string]string{"Size": synthSizes[v]}
			}
			p.Variants = append(p.Variants, catalog.Variant{
				ID:      commerce.NewID(),
				SKU:     fmt.Sprintf("BENCH-%06d-%d", i+1, v+1),
				Price:   commerce.Money{Amount: base + int64(v)*500, Currency: "USD"},
				Stock:   int64(rng.IntN(80)),
				Options: opts,
			})
		}
		out = append(out, p)
	}
	return out
}

// writeCatalog writes n synthetic products into the store of the data dir dataDir (its kv/
// directory), 1,000 per update, the way a bulk import would: every product with its
// product_created event in the outbox. It returns how long that took.
func writeCatalog(b *testing.B, dataDir string, n int) time.Duration {
	b.Helper()
	const perUpdate = 1000
	t0 := time.Now()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{
		Dir:          filepath.Join(dataDir, "kv"),
		DiskGuardOff: true, // a small benchmark disk must not refuse the import
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	rng := rand.New(rand.NewPCG(2026, 100_000))
	now := time.Now().UTC()
	for i := 0; i < n; i += perUpdate {
		chunk := synthProducts(rng, i, min(perUpdate, n-i), now)
		if err := db.Update(ctx, func(tx *store.Tx) error {
			for _, p := range chunk {
				if err := store.SaveProductTx(tx, p); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			db.Close()
			b.Fatalf("write products %d..%d: %v", i, i+len(chunk), err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatalf("close store: %v", err)
	}
	return time.Since(t0)
}
