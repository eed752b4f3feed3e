package recommend

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Service answers trending and recommendation questions and keeps the trending ranking.
type Service struct {
	repo  Repository
	cat   Catalog
	sim   Similar // nil: no similar products
	clock commerce.Clock
	cfg   Config
	views *ViewCounter

	ranking atomic.Pointer[[]Score]

	mu     sync.Mutex // serializes Flush
	pruned time.Time  // the window start of the last prune
}

// NewService returns the service. sim may be nil (no "similar" list).
func NewService(repo Repository, cat Catalog, sim Similar, clock commerce.Clock, cfg Config) *Service {
	s := &Service{repo: repo, cat: cat, sim: sim, clock: clock, cfg: cfg.withDefaults(), views: NewViewCounter()}
	s.ranking.Store(&[]Score{})
	return s
}

// Config returns the configuration in use, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// CountView counts one view of a product page. It is cheap enough for the busiest route:
// the view is only counted in memory until the next Flush.
func (s *Service) CountView(productID string) { s.views.Add(productID) }

// RecordOrders records the sales and bought-together pairs of placed orders; an order
// already recorded is skipped.
func (s *Service) RecordOrders(ctx context.Context, orders []Order) (int, error) {
	if len(orders) == 0 {
		return 0, nil
	}
	return s.repo.RecordOrders(ctx, orders)
}

// Flush writes the views counted since the last flush into the current hour's buckets,
// deletes buckets that left the window (once per hour) and recomputes the ranking. Views
// that cannot be written are kept for the next flush.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if views := s.views.Drain(); len(views) > 0 {
		if err := s.repo.AddViews(ctx, HourOf(now), views); err != nil {
			s.views.Restore(views)
			return err
		}
	}
	from := WindowStart(now, s.cfg.Window)
	if !from.Equal(s.pruned) {
		if _, err := s.repo.PruneBuckets(ctx, from); err != nil {
			return err
		}
		s.pruned = from
	}
	return s.refresh(ctx, now)
}

// refresh recomputes the ranking from the stored buckets.
func (s *Service) refresh(ctx context.Context, now time.Time) error {
	buckets, err := s.repo.Buckets(ctx, WindowStart(now, s.cfg.Window))
	if err != nil {
		return err
	}
	r := Rank(buckets, now, s.cfg)
	s.ranking.Store(&r)
	return nil
}

// Ranking returns the current trending ranking, best first (the caller must not change it).
func (s *Service) Ranking() []Score { return *s.ranking.Load() }

// TrendingQuery asks for a page of trending products.
type TrendingQuery struct {
	Limit      int    // 1..commerce.MaxPageLimit; 0 means commerce.DefaultPageLimit
	CategoryID string // only products filed under this category or a descendant of it; "" for all
}

// Trending returns the active products of the ranking (of the category, when given), best first.
func (s *Service) Trending(ctx context.Context, q TrendingQuery) ([]Summary, error) {
	limit := commerce.Page{Limit: q.Limit}.Normalize().Limit
	ranking := s.Ranking()
	ids := make([]string, len(ranking))
	for i, sc := range ranking {
		ids[i] = sc.ProductID
	}
	return s.summaries(ctx, ids, limit, func(p Product) bool {
		return q.CategoryID == "" || slices.Contains(p.CategoryPath, q.CategoryID)
	})
}

// Recommendations returns the products most often bought with productID and the products
// most like it, at most limit of each, active ones only and never productID itself.
func (s *Service) Recommendations(ctx context.Context, productID string, limit int) (Recommendations, error) {
	limit = commerce.Page{Limit: limit}.Normalize().Limit
	notSelf := func(p Product) bool { return p.ID != productID }
	counts, err := s.repo.BoughtWith(ctx, productID)
	if err != nil {
		return Recommendations{}, err
	}
	counts = TopPairs(counts, len(counts))
	ids := make([]string, len(counts))
	for i, c := range counts {
		ids[i] = c.ProductID
	}
	rec := Recommendations{}
	if rec.BoughtTogether, err = s.summaries(ctx, ids, limit, notSelf); err != nil {
		return Recommendations{}, err
	}
	rec.Similar = []Summary{}
	if s.sim != nil {
		// A few more than asked for: the index may still list a product just deactivated.
		similar, err := s.sim.Similar(ctx, productID, limit+limit/2+1)
		if err != nil {
			return Recommendations{}, err
		}
		if rec.Similar, err = s.summaries(ctx, similar, limit, notSelf); err != nil {
			return Recommendations{}, err
		}
	}
	return rec, nil
}

// summaries loads the products of ids in order, keeping active ones that pass keep, until
// limit are found. Products are loaded a chunk at a time, so a long ranking costs only what
// the page needs.
func (s *Service) summaries(ctx context.Context, ids []string, limit int, keep func(Product) bool) ([]Summary, error) {
	out := []Summary{}
	chunk := max(limit*2, 16)
	for start := 0; start < len(ids) && len(out) < limit; start += chunk {
		ps, err := s.cat.Products(ctx, ids[start:min(start+chunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.Active && keep(p) {
				out = append(out, SummaryOf(p))
				if len(out) == limit {
					break
				}
			}
		}
	}
	return out, nil
}
