package cart

import (
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestPrice(t *testing.T) {
	usd := func(a int64) commerce.Money { return commerce.Money{Amount: a, Currency: "USD"} }
	c := Cart{Currency: "USD", Lines: []Line{
		{ID: "l1", VariantID: "ok", Quantity: 2},
		{ID: "l2", VariantID: "short", Quantity: 5},
		{ID: "l3", VariantID: "gone", Quantity: 1, SKU: "OLD"},
		{ID: "l4", VariantID: "draft", Quantity: 1},
		{ID: "l5", VariantID: "eur", Quantity: 1},
	}}
	quotes := map[string]Quote{
		"ok":    {VariantID: "ok", SKU: "OK", Price: usd(1999), Active: true, Stock: 10},
		"short": {VariantID: "short", Price: usd(100), Active: true, Stock: 4},
		"draft": {VariantID: "draft", Price: usd(100), Active: false, Stock: 4},
		"eur":   {VariantID: "eur", Price: commerce.Money{Amount: 100, Currency: "EUR"}, Active: true, Stock: 4},
	}
	v := Price(c, quotes)
	want := []struct {
		available bool
		unit      int64
		total     int64
	}{{true, 1999, 3998}, {false, 100, 500}, {false, 0, 0}, {false, 100, 100}, {false, 100, 100}}
	for i, w := range want {
		it := v.Items[i]
		if it.Available != w.available || it.UnitPrice.Amount != w.unit || it.LineTotal.Amount != w.total {
			t.Errorf("line %s: %+v, want %+v", it.ID, it, w)
		}
	}
	if v.Items[0].SKU != "OK" || v.Items[2].SKU != "OLD" || v.Items[2].UnitPrice.Currency != "USD" {
		t.Errorf("line details %+v %+v", v.Items[0], v.Items[2])
	}
	if v.Totals.Subtotal != usd(3998) || v.Totals.Total != usd(3998) || v.Totals.ItemCount != 2 {
		t.Errorf("totals %+v", v.Totals)
	}
	if e := Price(Cart{Lines: []Line{}}, nil); len(e.Items) != 0 || e.Totals.ItemCount != 0 {
		t.Errorf("empty cart %+v", e)
	}
}

func TestValidIDAndQuantity(t *testing.T) {
	if !ValidID(commerce.NewSecret(idBytes)) {
		t.Error("a new cart ID is not valid")
	}
	for _, id := range []string{"", "short", "0123456789012345678901/", "01234567890123456789!1", commerce.NewID()} {
		if ValidID(id) {
			t.Errorf("ValidID(%q)", id)
		}
	}
	for q, ok := range map[int64]bool{-1: false, 0: false, 1: true, 999: true, 1000: false} {
		if (ValidQuantity(q) == nil) != ok {
			t.Errorf("ValidQuantity(%d)", q)
		}
	}
}

func TestAccessible(t *testing.T) {
	guest, owned := Cart{}, Cart{UserID: "u1"}
	scenarios := []struct {
		c    Cart
		v    Viewer
		want bool
	}{
		{guest, Viewer{}, true}, {guest, Viewer{UserID: "u2"}, true},
		{owned, Viewer{UserID: "u1"}, true}, {owned, Viewer{UserID: "u2"}, false}, {owned, Viewer{}, false}, {owned, Viewer{Staff: true}, true},
	}
	for _, s := range scenarios {
		if Accessible(s.c, s.v) != s.want {
			t.Errorf("Accessible(%+v, %+v) = %v", s.c, s.v, !s.want)
		}
	}
}
