package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/bus"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/recommend"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/store"
)

// recommendConfig maps the [recommend] section onto the service's configuration (a 0 weight
// in the file leaves its signal out; in recommend.Config 0 means the default).
func recommendConfig(c config.Recommend) recommend.Config {
	weight := func(w int64) int64 {
		if w == 0 {
			return -1
		}
		return w
	}
	return recommend.Config{Window: c.TrendingWindow.Duration, ViewWeight: weight(c.ViewWeight), SaleWeight: weight(c.SaleWeight)}
}

// openRecommend sets up trending and recommendations: the service, the orders.placed
// consumer that counts sales and bought-together pairs, and the loop that writes counted
// product views every recommend.flush_interval and recomputes the ranking. Close stops the
// loop after a last flush, so views counted up to a clean shutdown are kept.
func (a *App) openRecommend(ctx context.Context) error {
	a.Recommend = recommend.NewService(store.NewRecommend(a.DB), recommendCatalog{a.Catalog},
		similarProducts{a.Catalog, a.Index}, commerce.SystemClock{}, recommendConfig(a.Config.Recommend))
	// Orders placed before recommendations existed (older than the stream keeps) are counted
	// from the store once.
	if never, err := store.NewRecommend(a.DB).NeverCounted(ctx); err != nil {
		return err
	} else if never {
		n, err := a.RebuildRecommendations(ctx)
		if err != nil {
			return fmt.Errorf("recommend: count stored orders: %w", err)
		}
		a.log.Info("recommendations counted from the stored orders", "orders", n)
	}
	if err := a.Recommend.Flush(ctx); err != nil { // the ranking of what is stored
		return fmt.Errorf("recommend: first ranking: %w", err)
	}
	consumer, err := a.Bus.SubscribeBatch(ctx, "recommend", []string{bus.SubjectPrefix + orders.EventPlaced}, a.recordOrders, 1000)
	if err != nil {
		return fmt.Errorf("subscribe recommendations: %w", err)
	}
	a.onClose("recommend consumer", func(context.Context) error { consumer.Close(); return nil })

	// Closers run backwards: the loop stops first, then the last flush.
	a.onClose("recommend flush", a.Recommend.Flush)
	a.every("recommend flush loop", a.Config.Recommend.FlushInterval.Duration, func(ctx context.Context, _ time.Time) {
		if err := a.Recommend.Flush(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("recommend: flush of product views failed; they are kept for the next one", "err", err)
		}
	})
	return nil
}

// recordOrders is the orders.placed consumer: each order's sales and pairs count once (the
// store skips orders it has counted, so a redelivered event changes nothing).
func (a *App) recordOrders(ctx context.Context, evs []commerce.Event) error {
	os := make([]recommend.Order, 0, len(evs))
	for _, ev := range evs {
		if ev.Type != orders.EventPlaced {
			continue
		}
		var d orders.EventData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.OrderID == "" {
			a.log.Warn("recommend: skipping an orders.placed event without order data", "event", ev.ID, "err", err)
			continue
		}
		os = append(os, store.RecommendOrderOf(d.OrderID, ev.Time, d.Lines))
	}
	_, err := a.Recommend.RecordOrders(ctx, os)
	return err
}

// RebuildRecommendations recounts bought-together pairs and the sales of the trending window
// from the stored orders (views are best-effort counters and stay as they are), then
// recomputes the ranking. It returns the orders counted.
func (a *App) RebuildRecommendations(ctx context.Context) (int, error) {
	window := recommendConfig(a.Config.Recommend).Window
	if window <= 0 {
		window = recommend.DefaultWindow
	}
	n, err := store.NewRecommend(a.DB).RebuildFromOrders(ctx, recommend.WindowStart(time.Now(), window))
	if err != nil || a.Recommend == nil {
		return n, err
	}
	return n, a.Recommend.Flush(ctx)
}

// recommendCatalog reads products for recommendation answers from the catalog store.
type recommendCatalog struct{ c *store.Catalog }

func (rc recommendCatalog) Products(ctx context.Context, ids []string) ([]recommend.Product, error) {
	ps, err := rc.c.ProductsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]recommend.Product, len(ps))
	for i, p := range ps {
		out[i] = recommendProduct(p)
	}
	return out, nil
}

// recommendProduct is what recommendations need of p: its first image is the one with the
// lowest position.
func recommendProduct(p catalog.Product) recommend.Product {
	path := p.CategoryPath
	if len(path) == 0 && p.CategoryID != "" {
		path = []string{p.CategoryID}
	}
	img := -1
	for i, im := range p.Images {
		if img < 0 || im.Position < p.Images[img].Position {
			img = i
		}
	}
	rp := recommend.Product{ID: p.ID, Slug: p.Slug, Title: p.Title, Active: p.Status == catalog.StatusActive,
		CategoryPath: path, Price: p.MinPrice(), Rating: p.Rating}
	if img >= 0 {
		rp.Image = p.Images[img].URL
	}
	return rp
}

// similarProducts asks the search index for products like one product.
type similarProducts struct {
	c  *store.Catalog
	ix *index.Index
}

func (s similarProducts) Similar(ctx context.Context, productID string, limit int) ([]string, error) {
	p, err := s.c.Product(ctx, productID)
	if err != nil {
		return nil, err
	}
	hits, err := s.ix.Similar(ctx, p, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids, nil
}
