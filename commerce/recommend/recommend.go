// Package recommend owns trending products and product recommendations: the hourly view and
// sales buckets, the sliding-window ranking with its weights, the in-memory view counter of
// product pages, "bought together" pair counting from placed orders and "similar products".
// It is derived state, fed by events (orders.placed) and by the product page's view counter;
// the store implements Repository, the search index answers Similar. Sales and pairs can be
// rebuilt from the stored orders; views are best-effort counters and cannot.
package recommend

import (
	"context"
	"sort"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Defaults of Config.
const (
	DefaultWindow     = 7 * 24 * time.Hour
	DefaultViewWeight = 1
	DefaultSaleWeight = 10
	// DefaultRankSize is how many products the in-memory trending ranking keeps: enough for
	// any page after inactive products and other categories are skipped.
	DefaultRankSize = 1000
)

// Config tunes trending. Zero values mean the defaults.
type Config struct {
	Window     time.Duration // the sliding window, whole hours (rounded up); 0 means DefaultWindow
	ViewWeight int64         // points per product page view; 0 means DefaultViewWeight (negative: views do not count)
	SaleWeight int64         // points per unit sold; 0 means DefaultSaleWeight (negative: sales do not count)
	RankSize   int           // products kept in the ranking; 0 means DefaultRankSize
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if r := c.Window % time.Hour; r != 0 {
		c.Window += time.Hour - r
	}
	switch {
	case c.ViewWeight == 0:
		c.ViewWeight = DefaultViewWeight
	case c.ViewWeight < 0:
		c.ViewWeight = 0
	}
	switch {
	case c.SaleWeight == 0:
		c.SaleWeight = DefaultSaleWeight
	case c.SaleWeight < 0:
		c.SaleWeight = 0
	}
	if c.RankSize <= 0 {
		c.RankSize = DefaultRankSize
	}
	return c
}

// HourOf returns the start of t's hour in UTC: the bucket t counts in.
func HourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// WindowStart returns the first hour inside the window ending at now: the window holds the
// current hour and the whole hours before it, Window in all.
func WindowStart(now time.Time, window time.Duration) time.Time {
	return HourOf(now).Add(-window + time.Hour)
}

// Bucket is one product's activity during one hour.
type Bucket struct {
	Hour      time.Time // start of the hour, UTC
	ProductID string
	Views     int64 // product page reads
	Sales     int64 // units in placed orders
}

// Score is a product's place in the trending ranking.
type Score struct {
	ProductID string
	Points    int64 // ViewWeight*Views + SaleWeight*Sales over the window
	Views     int64
	Sales     int64
}

// Rank sums the buckets inside the window ending at now per product and returns the products
// with points, best first. Ties go to the product with more sales, then to the smaller ID, so
// the order is stable between refreshes. At most cfg.RankSize scores are returned.
func Rank(buckets []Bucket, now time.Time, cfg Config) []Score {
	cfg = cfg.withDefaults()
	from := WindowStart(now, cfg.Window)
	to := HourOf(now)
	sum := map[string]*Score{}
	for _, b := range buckets {
		if b.Hour.Before(from) || b.Hour.After(to) {
			continue
		}
		s := sum[b.ProductID]
		if s == nil {
			s = &Score{ProductID: b.ProductID}
			sum[b.ProductID] = s
		}
		s.Views += b.Views
		s.Sales += b.Sales
	}
	out := make([]Score, 0, len(sum))
	for _, s := range sum {
		s.Points = cfg.ViewWeight*s.Views + cfg.SaleWeight*s.Sales
		if s.Points > 0 {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Points != b.Points {
			return a.Points > b.Points
		}
		if a.Sales != b.Sales {
			return a.Sales > b.Sales
		}
		return a.ProductID < b.ProductID
	})
	if len(out) > cfg.RankSize {
		out = out[:cfg.RankSize]
	}
	return out
}

// Order is what recommendations need of a placed order.
type Order struct {
	ID    string
	Time  time.Time // when it was placed: its sales count in this hour
	Lines []Line
}

// Line is one line of an order.
type Line struct {
	ProductID string
	Quantity  int64
}

// Sales returns the units of each product in the order (lines of one product's variants add up).
func (o Order) Sales() map[string]int64 {
	out := map[string]int64{}
	for _, l := range o.Lines {
		if l.ProductID != "" && l.Quantity > 0 {
			out[l.ProductID] += l.Quantity
		}
	}
	return out
}

// Pair is an ordered pair of distinct products bought in one order.
type Pair struct{ A, B string }

// Pairs returns every ordered pair of distinct products of the order, both ways (A,B and
// B,A), each once however many lines or units the products have, sorted.
func (o Order) Pairs() []Pair {
	sales := o.Sales()
	ids := make([]string, 0, len(sales))
	for id := range sales {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Pair, 0, len(ids)*(len(ids)-1))
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				out = append(out, Pair{a, b})
			}
		}
	}
	return out
}

// PairCount is how many orders held a product together with another.
type PairCount struct {
	ProductID string // the other product
	Count     int64
}

// TopPairs sorts counts best first (ties: smaller ID first) and keeps at most limit.
func TopPairs(counts []PairCount, limit int) []PairCount {
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Count != counts[j].Count {
			return counts[i].Count > counts[j].Count
		}
		return counts[i].ProductID < counts[j].ProductID
	})
	if len(counts) > limit {
		counts = counts[:limit]
	}
	return counts
}

// Product is what answers need of a catalog product.
type Product struct {
	ID           string
	Slug         string
	Title        string
	Active       bool     // shoppers may see it
	CategoryPath []string // its category and every ancestor
	Price        commerce.Money
	Image        string // URL of its first image, "" when it has none
	Rating       float64
}

// Summary is a product as trending and recommendation answers list it.
type Summary struct {
	ID     string         `json:"id"`
	Slug   string         `json:"slug"`
	Title  string         `json:"title"`
	Price  commerce.Money `json:"price"`
	Image  string         `json:"image,omitempty"` // URL of the first image
	Rating float64        `json:"rating"`
}

// SummaryOf returns p's summary.
func SummaryOf(p Product) Summary {
	return Summary{ID: p.ID, Slug: p.Slug, Title: p.Title, Price: p.Price, Image: p.Image, Rating: p.Rating}
}

// Recommendations are the two lists of a product page.
type Recommendations struct {
	BoughtTogether []Summary `json:"bought_together"` // most often in the same order first
	Similar        []Summary `json:"similar"`         // by category, brand, tags and text
}

// Repository stores buckets and pair counts. The store implements it.
type Repository interface {
	// RecordOrders adds the sales and pairs of the orders it has not recorded yet (known by
	// order ID, so an event delivered twice counts once) in one atomic write, and returns
	// how many were new.
	RecordOrders(ctx context.Context, orders []Order) (int, error)
	// AddViews adds views to the products' buckets of the hour.
	AddViews(ctx context.Context, hour time.Time, views map[string]int64) error
	// Buckets returns every bucket of the hours from `from` on.
	Buckets(ctx context.Context, from time.Time) ([]Bucket, error)
	// PruneBuckets deletes the buckets of the hours before `before` and returns how many.
	PruneBuckets(ctx context.Context, before time.Time) (int, error)
	// BoughtWith returns how many orders held productID with each other product.
	BoughtWith(ctx context.Context, productID string) ([]PairCount, error)
}

// Catalog reads products for answers.
type Catalog interface {
	// Products returns the products with the given IDs in that order; missing ones are left out.
	Products(ctx context.Context, ids []string) ([]Product, error)
}

// Similar finds products like one product (the search index).
type Similar interface {
	// Similar returns the IDs of up to limit active products most like productID, best
	// first, without productID itself.
	Similar(ctx context.Context, productID string, limit int) ([]string, error)
}
