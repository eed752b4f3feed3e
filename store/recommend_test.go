package store

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/recommend"
)

func pairCounts(t *testing.T, s *Recommend, id string) map[string]int64 {
	t.Helper()
	cs, err := s.BoughtWith(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.ProductID] = c.Count
	}
	return out
}

func bucketsOf(t *testing.T, s *Recommend, from time.Time) []recommend.Bucket {
	t.Helper()
	bs, err := s.Buckets(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(bs, func(i, j int) bool {
		if !bs[i].Hour.Equal(bs[j].Hour) {
			return bs[i].Hour.Before(bs[j].Hour)
		}
		return bs[i].ProductID < bs[j].ProductID
	})
	return bs
}

func TestRecommendStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s := NewRecommend(db)
	h0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	o1 := recommend.Order{ID: "o1", Time: h0.Add(5 * time.Minute), Lines: []recommend.Line{{ProductID: "a", Quantity: 2}, {ProductID: "b", Quantity: 1}}}
	o2 := recommend.Order{ID: "o2", Time: h0.Add(time.Hour), Lines: []recommend.Line{{ProductID: "a", Quantity: 1}, {ProductID: "c", Quantity: 3}}}

	// The same order twice in one batch, and again in a later one, counts once.
	if n, err := s.RecordOrders(ctx, []recommend.Order{o1, o1}); err != nil || n != 1 {
		t.Fatalf("recorded %d, %v", n, err)
	}
	if n, err := s.RecordOrders(ctx, []recommend.Order{o1, o2}); err != nil || n != 1 {
		t.Fatalf("recorded %d, %v", n, err)
	}
	if got := pairCounts(t, s, "a"); !reflect.DeepEqual(got, map[string]int64{"b": 1, "c": 1}) {
		t.Fatalf("pairs of a: %v", got)
	}
	if got := pairCounts(t, s, "b"); !reflect.DeepEqual(got, map[string]int64{"a": 1}) {
		t.Fatalf("pairs of b: %v", got)
	}
	if err := s.AddViews(ctx, h0, map[string]int64{"a": 4, "z": 1}); err != nil {
		t.Fatal(err)
	}
	want := []recommend.Bucket{
		{Hour: h0, ProductID: "a", Views: 4, Sales: 2}, {Hour: h0, ProductID: "b", Sales: 1}, {Hour: h0, ProductID: "z", Views: 1},
		{Hour: h0.Add(time.Hour), ProductID: "a", Sales: 1}, {Hour: h0.Add(time.Hour), ProductID: "c", Sales: 3},
	}
	if got := bucketsOf(t, s, h0); !reflect.DeepEqual(got, want) {
		t.Fatalf("buckets\n%+v\nwant\n%+v", got, want)
	}
	if got := bucketsOf(t, s, h0.Add(time.Hour)); !reflect.DeepEqual(got, want[3:]) {
		t.Fatalf("buckets from the second hour: %+v", got)
	}

	// Rebuild: from the stored orders (only o1 is stored: o2 was counted, then lost), with
	// the window starting at the second hour, so o1 counts for its pairs only. Views stay.
	o1Stored := orders.Order{ID: "o1", CreatedAt: o1.Time, Lines: []orders.Line{{ProductID: "a", Quantity: 2}, {ProductID: "b", Quantity: 1}}}
	if err := db.Update(ctx, func(tx *Tx) error { return putJSON(tx, orderKey("o1"), o1Stored) }); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RebuildFromOrders(ctx, h0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("rebuilt %d, %v", n, err)
	}
	if got := pairCounts(t, s, "a"); !reflect.DeepEqual(got, map[string]int64{"b": 1}) {
		t.Fatalf("pairs of a after the rebuild: %v", got)
	}
	want = []recommend.Bucket{{Hour: h0, ProductID: "a", Views: 4}, {Hour: h0, ProductID: "z", Views: 1}}
	if got := bucketsOf(t, s, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("buckets after the rebuild\n%+v\nwant\n%+v", got, want)
	}
	// The rebuild marked o1 counted; o2 (not stored) counts when its event comes again.
	if n, _ := s.RecordOrders(ctx, []recommend.Order{o1, o2}); n != 1 {
		t.Fatalf("recorded %d after the rebuild, want o2 only", n)
	}
	// With the window open, the rebuild counts o1's sales too.
	if _, err := s.RebuildFromOrders(ctx, h0); err != nil {
		t.Fatal(err)
	}
	if got := bucketsOf(t, s, h0); len(got) != 3 || got[0].Sales != 2 || got[1].ProductID != "b" || got[1].Sales != 1 {
		t.Fatalf("buckets after a rebuild with the window open: %+v", got)
	}

	if n, err := s.PruneBuckets(ctx, h0.Add(time.Hour)); err != nil || n != 3 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if got := bucketsOf(t, s, time.Time{}); len(got) != 0 {
		t.Fatalf("buckets after the prune: %+v", got)
	}

	if err := s.AddViews(ctx, h0.Add(2*time.Hour), map[string]int64{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordOrders(ctx, []recommend.Order{{ID: "o3", Time: h0, Lines: []recommend.Line{{ProductID: "a", Quantity: 1}, {ProductID: "b", Quantity: 1}}}}); err != nil {
		t.Fatal(err)
	}
	// Every recommendation row is in a keyspace Verify knows and decodes.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{prefixRecommendBucket, prefixRecommendPair, prefixRecommendOrder} {
		if rep.Keyspaces[p] == 0 {
			t.Errorf("verify saw no %s rows", p)
		}
	}
}

func TestRecommendNeverCounted(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: t.TempDir(), DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewRecommend(db)
	check := func(want bool) {
		t.Helper()
		if got, err := s.NeverCounted(ctx); err != nil || got != want {
			t.Fatalf("NeverCounted = %v, %v; want %v", got, err, want)
		}
	}
	check(false) // no orders: nothing to count
	o := orders.Order{ID: "o1", CreatedAt: time.Now(), Lines: []orders.Line{{ProductID: "a", Quantity: 1}, {ProductID: "b", Quantity: 1}}}
	if err := db.Update(ctx, func(tx *Tx) error { return putJSON(tx, orderKey(o.ID), o) }); err != nil {
		t.Fatal(err)
	}
	check(true)
	if _, err := s.RebuildFromOrders(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check(false)
}
