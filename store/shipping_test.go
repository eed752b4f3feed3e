package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/shipping"
)

// shipZones sets up a US zone (flat express 1500, ground by weight) and a California zone
// (pickup), and returns their method IDs by name.
func shipZones(t testing.TB, svc *shipping.Service) map[string]string {
	t.Helper()
	ctx := context.Background()
	us, err := svc.CreateZone(ctx, shipping.ZoneInput{Name: "US", Countries: []string{"US"}})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := svc.CreateZone(ctx, shipping.ZoneInput{Name: "California", Countries: []string{"US"}, Regions: []string{"CA"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, in := range []shipping.MethodInput{
		{ZoneID: us.ID, Name: "Express", Kind: "flat", Currency: "USD", Amount: 1500, CarrierID: "ups"},
		{ZoneID: us.ID, Name: "Ground", Kind: "weight", Currency: "USD", Brackets: []shipping.Bracket{{UpTo: 1000, Amount: 500}, {UpTo: 5000, Amount: 900}}},
		{ZoneID: ca.ID, Name: "Pickup", Kind: "pickup", Currency: "USD", Pickup: &shipping.Pickup{Location: "Shop", Address: "1 Market St"}},
	} {
		m, err := svc.CreateMethod(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.Name] = m.ID
	}
	return ids
}

// weighted saves an active product with one variant of the weight and stock given.
func (s *shop) weighted(t testing.TB, grams, stock int64) string {
	t.Helper()
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: "Kettle", Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now}
	p.Slug = "kettle-" + p.ID
	v := catalog.Variant{ID: commerce.NewID(), SKU: "K-" + p.ID, Price: commerce.Money{Amount: 2500, Currency: "USD"}, Stock: stock, WeightGrams: grams}
	p.Variants = []catalog.Variant{v}
	if err := NewCatalog(s.db).SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func TestShippingStoreAndCache(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	repo := NewShipping(db)
	svc := shipping.NewService(repo, nil, nil)
	t1, err := repo.Table(ctx)
	if err != nil || !t1.Empty() {
		t.Fatalf("empty shop: %v %v", t1, err)
	}
	if t2, _ := repo.Table(ctx); t2 != t1 {
		t.Fatal("the table was read again without a write")
	}
	ids := shipZones(t, svc)
	tb, err := repo.Table(ctx)
	if err != nil || tb.Empty() {
		t.Fatalf("a write did not drop the cached table: %v", err)
	}
	_, rates := tb.Quote(shipping.Destination{Country: "US", Region: "TX"}, shipping.Parcel{Currency: "USD", WeightGrams: 1200})
	if len(rates) != 2 || rates[0].Method.Name != "Ground" || rates[0].Amount.Amount != 900 || rates[1].Method.Name != "Express" {
		t.Fatalf("rates %+v", rates)
	}
	// A refused write (stale version) changes nothing; a good one is seen by the next quote.
	stale := int64(7)
	if _, err := svc.UpdateMethod(ctx, ids["Express"], shipping.MethodInput{ZoneID: rates[1].Method.ZoneID, Name: "Express", Kind: "flat", Currency: "USD", Amount: 1}, &stale); !errors.Is(err, shipping.ErrVersionMismatch) {
		t.Fatalf("stale update: %v", err)
	}
	one := int64(1)
	if _, err := svc.UpdateMethod(ctx, ids["Express"], shipping.MethodInput{ZoneID: rates[1].Method.ZoneID, Name: "Express", Kind: "flat", Currency: "USD", Amount: 100}, &one); err != nil {
		t.Fatal(err)
	}
	tb, _ = repo.Table(ctx)
	if r, err := tb.Choose("", shipping.Destination{Country: "US"}, shipping.Parcel{Currency: "USD", WeightGrams: 1200}); err != nil || r.Method.Name != "Express" || r.Amount.Amount != 100 {
		t.Fatalf("after update: %+v %v", r, err)
	}
	if err := svc.DeleteZone(ctx, rates[1].Method.ZoneID, nil); !errors.Is(err, shipping.ErrZoneHasMethods) {
		t.Fatalf("zone with methods deleted: %v", err)
	}
	for _, id := range []string{ids["Express"], ids["Ground"]} {
		if err := svc.DeleteMethod(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.DeleteZone(ctx, rates[1].Method.ZoneID, nil); err != nil {
		t.Fatal(err)
	}
	zs, _ := svc.Zones(ctx)
	ms, _ := svc.Methods(ctx, "")
	if len(zs) != 1 || len(ms) != 1 || zs[0].Name != "California" {
		t.Fatalf("left %+v %+v", zs, ms)
	}
	tb, _ = repo.Table(ctx)
	if _, err := tb.Choose("", shipping.Destination{Country: "US", Region: "NY"}, shipping.Parcel{Currency: "USD"}); !errors.Is(err, shipping.ErrNotServed) {
		t.Fatalf("a deleted zone still serves: %v", err)
	}
	// Six events, one per write that succeeded.
	if n := countKeys(t, db, prefixOutbox); n != 5+1+3 {
		t.Fatalf("%d events", n)
	}
}

func TestCheckoutShipping(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	noZones := s.product(t, 5)
	// No zone at all: orders ship free with no method (the behaviour before shipping existed).
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWith(t, "", map[string]int64{noZones[0]: 1})), checkout.Idempotency{})
	if err != nil || res.Order.Shipping != nil || res.Order.ShippingTotal.Amount != 0 || res.Order.ShippingTotal.Currency != "USD" {
		t.Fatalf("no zones: %+v %v", res.Order.Shipping, err)
	}

	ids := shipZones(t, shipping.NewService(NewShipping(s.db), nil, nil))
	kettle := s.weighted(t, 600, 10) // 2 units: 1200 g
	us := input("")
	us.ShippingAddress.Country, us.ShippingAddress.Region = "US", "TX"
	scenarios := []struct {
		name     string
		methodID string
		country  string
		want     string // method name; "" refused
		amount   int64
		field    string
	}{
		{"cheapest serving the address", "", "US", "Ground", 900, ""},
		{"a chosen method", ids["Express"], "US", "Express", 1500, ""},
		{"a method of another zone", ids["Pickup"], "US", "", 0, "shipping_method_id"},
		{"an unknown method", "nope", "US", "", 0, "shipping_method_id"},
		{"an address no zone serves", "", "UZ", "", 0, "shipping_address.country"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			in := us
			in.ShippingAddress.Country = sc.country
			in.ShippingMethodID = sc.methodID
			in.CartID = s.cartWith(t, "", map[string]int64{kettle: 2})
			before, placed := s.stock(t, kettle), countKeys(t, s.db, prefixOrder)
			res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{})
			if sc.want == "" {
				e := commerce.AsError(err)
				if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) == 0 || e.Fields[0].Field != sc.field {
					t.Fatalf("err %v (%+v), want 422 on %s", err, e, sc.field)
				}
				if s.stock(t, kettle) != before || countKeys(t, s.db, prefixOrder) != placed {
					t.Fatal("a refused checkout wrote")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := res.Order
			if o.Shipping == nil || o.Shipping.Name != sc.want || o.ShippingTotal.Amount != sc.amount || o.Total.Amount != 5000+sc.amount {
				t.Fatalf("order shipping %+v total %+v", o.Shipping, o.Total)
			}
			var stored orders.Order
			err = s.db.View(ctx, func(r *Reader) (err error) { stored, err = orderOf(r, o.ID); return err })
			if err != nil || stored.Shipping == nil || stored.Shipping.MethodID != o.Shipping.MethodID || stored.ShippingTotal != o.ShippingTotal {
				t.Fatalf("stored %+v %v", stored.Shipping, err)
			}
		})
	}
}

// BenchmarkCheckoutWithShipping is BenchmarkCheckout in a shop with shipping zones: each
// order is also matched to a zone and priced (from the in-memory table).
func BenchmarkCheckoutWithShipping(b *testing.B) {
	for _, buyers := range []int{64} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) {
			s, fs, hot := benchShop(b)
			ctx := context.Background()
			svc := shipping.NewService(NewShipping(s.db), nil, nil)
			for i := range 20 {
				z, err := svc.CreateZone(ctx, shipping.ZoneInput{Name: fmt.Sprint("Z", i), Countries: []string{"US", "DE"}, PostalPrefixes: []string{fmt.Sprint(10 + i)}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := svc.CreateMethod(ctx, shipping.MethodInput{ZoneID: z.ID, Name: "Flat", Kind: "flat", Currency: "USD", Amount: 100}); err != nil {
					b.Fatal(err)
				}
			}
			shipZones(b, svc)
			carts := benchCarts(b, s, b.N, hot)
			in := input("")
			in.ShippingAddress.Country = "US"
			runWriters(b, buyers, fs, func(i int64) error {
				in := in
				in.CartID = carts[i]
				_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: carts[i]})
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
