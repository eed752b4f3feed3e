package store

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestGatewayState(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := db.GatewayState("payme")
	other := db.GatewayState("click")
	t0 := time.UnixMilli(1_700_000_000_000)

	if _, err := s.Get(ctx, "tx1"); commerce.KindOf(err) != commerce.ENotFound {
		t.Fatalf("Get missing: %v", err)
	}
	if err := s.Put(ctx, "tx1", []byte(`{"state":1}`), t0, "pay/p1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "tx2", []byte(`{"state":1}`), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "tx3", []byte(`{"state":1}`), t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, "tx9", []byte(`{}`), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "bad", []byte(`{`), t0); err == nil {
		t.Fatal("non-JSON value stored")
	}
	// Rewriting a record keeps one index row for it.
	if err := s.Put(ctx, "tx1", []byte(`{"state":2}`), t0); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ctx, "tx1")
	if err != nil || string(v) != `{"state":2}` {
		t.Fatalf("Get = %s, %v", v, err)
	}
	if k, err := s.Alias(ctx, "pay/p1"); err != nil || k != "tx1" {
		t.Fatalf("Alias = %q, %v", k, err)
	}
	if _, err := s.Alias(ctx, "pay/p2"); commerce.KindOf(err) != commerce.ENotFound {
		t.Fatalf("Alias missing: %v", err)
	}
	var keys []string
	collect := func(from, to time.Time) []string {
		keys = nil
		if err := s.Range(ctx, from, to, func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if got := collect(t0, t0.Add(time.Second)); len(got) != 2 || got[0] != "tx1" || got[1] != "tx2" {
		t.Fatalf("Range inclusive = %v", got)
	}
	if got := collect(t0.Add(time.Millisecond), t0.Add(time.Hour)); len(got) != 2 || got[0] != "tx2" {
		t.Fatalf("Range = %v", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
