package recommend

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

var t0 = time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)

func h(offset int) time.Time { return HourOf(t0).Add(time.Duration(offset) * time.Hour) }

func ids(scores []Score) []string {
	out := []string{}
	for _, s := range scores {
		out = append(out, s.ProductID)
	}
	return out
}

func TestRank(t *testing.T) {
	scenarios := []struct {
		name    string
		buckets []Bucket
		now     time.Time
		cfg     Config
		want    []string
		points  []int64
	}{
		{name: "views and sales weighted (sales 10x by default)",
			buckets: []Bucket{{Hour: h(0), ProductID: "a", Views: 15}, {Hour: h(0), ProductID: "b", Sales: 2}},
			now:     t0, want: []string{"b", "a"}, points: []int64{20, 15}},
		{name: "weights from config",
			buckets: []Bucket{{Hour: h(0), ProductID: "a", Views: 15}, {Hour: h(0), ProductID: "b", Sales: 2}},
			now:     t0, cfg: Config{ViewWeight: 3, SaleWeight: 1}, want: []string{"a", "b"}, points: []int64{45, 2}},
		{name: "a negative weight leaves that signal out",
			buckets: []Bucket{{Hour: h(0), ProductID: "a", Views: 15}, {Hour: h(0), ProductID: "b", Sales: 2}},
			now:     t0, cfg: Config{ViewWeight: -1}, want: []string{"b"}, points: []int64{20}},
		{name: "buckets of one product add up across hours",
			buckets: []Bucket{{Hour: h(-1), ProductID: "a", Views: 4}, {Hour: h(0), ProductID: "a", Views: 4}, {Hour: h(0), ProductID: "b", Views: 7}},
			now:     t0, want: []string{"a", "b"}, points: []int64{8, 7}},
		{name: "the window holds the current hour and the hours before it, Window in all",
			buckets: []Bucket{{Hour: h(-167), ProductID: "in", Views: 1}, {Hour: h(-168), ProductID: "out", Views: 100},
				{Hour: h(1), ProductID: "future", Views: 100}},
			now: t0, want: []string{"in"}, points: []int64{1}},
		{name: "the window slides: an hour later the oldest hour is out",
			buckets: []Bucket{{Hour: h(-167), ProductID: "old", Views: 5}, {Hour: h(0), ProductID: "new", Views: 1}},
			now:     t0.Add(time.Hour), want: []string{"new"}, points: []int64{1}},
		{name: "a short window",
			buckets: []Bucket{{Hour: h(-1), ProductID: "a", Views: 5}, {Hour: h(-2), ProductID: "b", Views: 9}},
			now:     t0, cfg: Config{Window: 2 * time.Hour}, want: []string{"a"}, points: []int64{5}},
		{name: "a window of part of an hour is rounded up to whole hours",
			buckets: []Bucket{{Hour: h(-1), ProductID: "a", Views: 5}, {Hour: h(-2), ProductID: "b", Views: 9}},
			now:     t0, cfg: Config{Window: 90 * time.Minute}, want: []string{"a"}, points: []int64{5}},
		{name: "ties go to more sales, then to the smaller ID",
			buckets: []Bucket{{Hour: h(0), ProductID: "c", Views: 10}, {Hour: h(0), ProductID: "b", Views: 10},
				{Hour: h(0), ProductID: "z", Sales: 1}},
			now: t0, want: []string{"z", "b", "c"}, points: []int64{10, 10, 10}},
		{name: "products without points are left out", buckets: []Bucket{{Hour: h(0), ProductID: "a"}}, now: t0, want: []string{}},
		{name: "the ranking keeps RankSize products",
			buckets: []Bucket{{Hour: h(0), ProductID: "a", Views: 3}, {Hour: h(0), ProductID: "b", Views: 2}, {Hour: h(0), ProductID: "c", Views: 1}},
			now:     t0, cfg: Config{RankSize: 2}, want: []string{"a", "b"}, points: []int64{3, 2}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			got := Rank(s.buckets, s.now, s.cfg)
			if !reflect.DeepEqual(ids(got), s.want) {
				t.Fatalf("ranking %v, want %v", ids(got), s.want)
			}
			for i, p := range s.points {
				if got[i].Points != p {
					t.Errorf("%s: %d points, want %d", got[i].ProductID, got[i].Points, p)
				}
			}
		})
	}
}

func TestOrderPairsAndSales(t *testing.T) {
	scenarios := []struct {
		name  string
		lines []Line
		pairs []Pair
		sales map[string]int64
	}{
		{name: "one product: no pair", lines: []Line{{"a", 3}}, pairs: []Pair{}, sales: map[string]int64{"a": 3}},
		{name: "two products: both ways", lines: []Line{{"b", 1}, {"a", 2}}, pairs: []Pair{{"a", "b"}, {"b", "a"}},
			sales: map[string]int64{"a": 2, "b": 1}},
		{name: "variants of one product count as one, units add up", lines: []Line{{"a", 1}, {"a", 4}, {"b", 1}},
			pairs: []Pair{{"a", "b"}, {"b", "a"}}, sales: map[string]int64{"a": 5, "b": 1}},
		{name: "three products: six ordered pairs", lines: []Line{{"c", 1}, {"a", 1}, {"b", 1}},
			pairs: []Pair{{"a", "b"}, {"a", "c"}, {"b", "a"}, {"b", "c"}, {"c", "a"}, {"c", "b"}},
			sales: map[string]int64{"a": 1, "b": 1, "c": 1}},
		{name: "empty product IDs and quantities are ignored", lines: []Line{{"", 1}, {"a", 0}, {"b", 1}},
			pairs: []Pair{}, sales: map[string]int64{"b": 1}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			o := Order{ID: "o", Lines: s.lines}
			if got := o.Pairs(); !reflect.DeepEqual(got, s.pairs) {
				t.Errorf("pairs %v, want %v", got, s.pairs)
			}
			if got := o.Sales(); !reflect.DeepEqual(got, s.sales) {
				t.Errorf("sales %v, want %v", got, s.sales)
			}
		})
	}
}

func TestTopPairs(t *testing.T) {
	got := TopPairs([]PairCount{{"c", 1}, {"b", 3}, {"a", 1}, {"d", 2}}, 3)
	want := []PairCount{{"b", 3}, {"d", 2}, {"a", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestViewCounter(t *testing.T) {
	c := NewViewCounter()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Add(fmt.Sprintf("p%d", (g+i)%10))
			}
		})
	}
	wg.Wait()
	c.Add("")
	got := c.Drain()
	var total int64
	for _, n := range got {
		total += n
	}
	if len(got) != 10 || total != 8000 || got["p0"] != 800 {
		t.Fatalf("drained %v (total %d)", got, total)
	}
	if again := c.Drain(); len(again) != 0 {
		t.Fatalf("a second drain returned %v", again)
	}
	c.Restore(map[string]int64{"p1": 5})
	c.Add("p1")
	if got := c.Drain(); got["p1"] != 6 {
		t.Fatalf("after restore: %v", got)
	}
	var nilCounter *ViewCounter
	nilCounter.Add("p1") // a nil counter counts nothing and does not panic
}

// fakeRepo is an in-memory Repository.
type fakeRepo struct {
	mu       sync.Mutex
	buckets  map[time.Time]map[string]*Bucket
	pairs    map[string]map[string]int64
	seen     map[string]bool
	failView error
	pruned   []time.Time
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{buckets: map[time.Time]map[string]*Bucket{}, pairs: map[string]map[string]int64{}, seen: map[string]bool{}}
}

func (r *fakeRepo) bucket(hour time.Time, id string) *Bucket {
	if r.buckets[hour] == nil {
		r.buckets[hour] = map[string]*Bucket{}
	}
	b := r.buckets[hour][id]
	if b == nil {
		b = &Bucket{Hour: hour, ProductID: id}
		r.buckets[hour][id] = b
	}
	return b
}

func (r *fakeRepo) RecordOrders(_ context.Context, orders []Order) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, o := range orders {
		if r.seen[o.ID] {
			continue
		}
		r.seen[o.ID] = true
		n++
		for id, q := range o.Sales() {
			r.bucket(HourOf(o.Time), id).Sales += q
		}
		for _, p := range o.Pairs() {
			if r.pairs[p.A] == nil {
				r.pairs[p.A] = map[string]int64{}
			}
			r.pairs[p.A][p.B]++
		}
	}
	return n, nil
}

func (r *fakeRepo) AddViews(_ context.Context, hour time.Time, views map[string]int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failView != nil {
		return r.failView
	}
	for id, n := range views {
		r.bucket(hour, id).Views += n
	}
	return nil
}

func (r *fakeRepo) Buckets(_ context.Context, from time.Time) ([]Bucket, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Bucket
	for hour, m := range r.buckets {
		if !hour.Before(from) {
			for _, b := range m {
				out = append(out, *b)
			}
		}
	}
	return out, nil
}

func (r *fakeRepo) PruneBuckets(_ context.Context, before time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruned = append(r.pruned, before)
	n := 0
	for hour, m := range r.buckets {
		if hour.Before(before) {
			n += len(m)
			delete(r.buckets, hour)
		}
	}
	return n, nil
}

func (r *fakeRepo) BoughtWith(_ context.Context, id string) ([]PairCount, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []PairCount
	for b, n := range r.pairs[id] {
		out = append(out, PairCount{ProductID: b, Count: n})
	}
	return out, nil
}

type fakeCatalog map[string]Product

func (c fakeCatalog) Products(_ context.Context, ids []string) ([]Product, error) {
	var out []Product
	for _, id := range ids {
		if p, ok := c[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

type fakeSimilar map[string][]string

func (f fakeSimilar) Similar(_ context.Context, id string, limit int) ([]string, error) {
	s := f[id]
	return s[:min(limit, len(s))], nil
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func summaryIDs(ss []Summary) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func testCatalog() fakeCatalog {
	p := func(id string, active bool, cats ...string) Product {
		return Product{ID: id, Slug: id, Title: "Product " + id, Active: active, CategoryPath: cats,
			Price: commerce.Money{Amount: 100, Currency: "USD"}}
	}
	return fakeCatalog{
		"a": p("a", true, "food", "tea"), "b": p("b", true, "food", "coffee"), "c": p("c", true, "toys"),
		"d": p("d", false, "food"), "e": p("e", true, "food", "tea"),
	}
}

func TestServiceTrending(t *testing.T) {
	ctx := context.Background()
	repo, clock := newFakeRepo(), &fakeClock{now: t0}
	s := NewService(repo, testCatalog(), nil, clock, Config{Window: 2 * time.Hour})
	if got, _ := s.Trending(ctx, TrendingQuery{}); len(got) != 0 {
		t.Fatalf("trending before any activity: %v", got)
	}
	for range 5 {
		s.CountView("c")
	}
	for range 50 {
		s.CountView("d") // inactive: never listed
	}
	s.CountView("e")
	if _, err := s.RecordOrders(ctx, []Order{{ID: "o1", Time: t0, Lines: []Line{{"a", 1}}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Trending(ctx, TrendingQuery{}); len(got) != 0 {
		t.Fatalf("trending before the flush: %v", summaryIDs(got))
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name string
		q    TrendingQuery
		want []string
	}{
		{"every category", TrendingQuery{}, []string{"a", "c", "e"}},
		{"a limit", TrendingQuery{Limit: 2}, []string{"a", "c"}},
		{"a category and its sub-categories", TrendingQuery{CategoryID: "food"}, []string{"a", "e"}},
		{"a sub-category", TrendingQuery{CategoryID: "toys"}, []string{"c"}},
		{"a category without activity", TrendingQuery{CategoryID: "coffee"}, []string{}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := s.Trending(ctx, sc.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(summaryIDs(got), sc.want) {
				t.Fatalf("trending %v, want %v", summaryIDs(got), sc.want)
			}
		})
	}

	// Two hours later the window has moved past every bucket, and they are pruned.
	clock.now = t0.Add(2 * time.Hour)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Trending(ctx, TrendingQuery{}); len(got) != 0 {
		t.Fatalf("trending after the window passed: %v", summaryIDs(got))
	}
	if b, _ := repo.Buckets(ctx, time.Time{}); len(b) != 0 {
		t.Fatalf("buckets left after the prune: %v", b)
	}
}

func TestServiceFlushKeepsViewsItCannotWrite(t *testing.T) {
	ctx := context.Background()
	repo := newFakeRepo()
	s := NewService(repo, testCatalog(), nil, &fakeClock{now: t0}, Config{})
	repo.failView = errors.New("disk full")
	s.CountView("a")
	if err := s.Flush(ctx); err == nil {
		t.Fatal("flush succeeded")
	}
	repo.failView = nil
	s.CountView("a")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if r := s.Ranking(); len(r) != 1 || r[0].Views != 2 {
		t.Fatalf("ranking %+v, want a with 2 views", r)
	}
}

func TestServiceRecommendations(t *testing.T) {
	ctx := context.Background()
	repo := newFakeRepo()
	sim := fakeSimilar{"a": {"e", "d", "a", "b", "c"}}
	s := NewService(repo, testCatalog(), sim, &fakeClock{now: t0}, Config{})
	orders := []Order{
		{ID: "o1", Time: t0, Lines: []Line{{"a", 1}, {"b", 1}}},
		{ID: "o2", Time: t0, Lines: []Line{{"a", 2}, {"b", 1}, {"c", 1}}},
		{ID: "o3", Time: t0, Lines: []Line{{"a", 1}, {"d", 1}}},
		{ID: "o4", Time: t0, Lines: []Line{{"a", 1}, {"d", 1}}},
		{ID: "o5", Time: t0, Lines: []Line{{"a", 1}, {"d", 1}}},
	}
	if n, err := s.RecordOrders(ctx, orders); err != nil || n != 5 {
		t.Fatalf("recorded %d, %v", n, err)
	}
	if n, _ := s.RecordOrders(ctx, orders[:2]); n != 0 {
		t.Fatalf("recorded %d orders again", n)
	}
	scenarios := []struct {
		name           string
		id             string
		limit          int
		bought, simlar []string
	}{
		{name: "most often together first; inactive d left out", id: "a", bought: []string{"b", "c"}, simlar: []string{"e", "b", "c"}},
		{name: "a limit", id: "a", limit: 1, bought: []string{"b"}, simlar: []string{"e"}},
		{name: "a product bought alone", id: "e", bought: []string{}, simlar: []string{}},
		{name: "the other side of a pair", id: "c", bought: []string{"a", "b"}, simlar: []string{}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec, err := s.Recommendations(ctx, sc.id, sc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(summaryIDs(rec.BoughtTogether), sc.bought) {
				t.Errorf("bought together %v, want %v", summaryIDs(rec.BoughtTogether), sc.bought)
			}
			if !reflect.DeepEqual(summaryIDs(rec.Similar), sc.simlar) {
				t.Errorf("similar %v, want %v", summaryIDs(rec.Similar), sc.simlar)
			}
		})
	}
}

// BenchmarkCountView is the cost the product page pays per read.
func BenchmarkCountView(b *testing.B) {
	s := NewService(newFakeRepo(), fakeCatalog{}, nil, &fakeClock{now: t0}, Config{})
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = commerce.NewID()
	}
	for _, id := range ids {
		s.CountView(id) // a settled minute: every product already seen once
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			s.CountView(ids[(i*7919)%len(ids)])
		}
	})
}
