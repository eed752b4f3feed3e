package pricing

import (
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestResolve(t *testing.T) {
	base := PriceList{ID: "a-base", Currency: "USD", Priority: 0, Prices: map[string]VariantPrice{
		"v1": {Amount: 900, CompareAt: 1200, Tiers: []Tier{{MinQuantity: 5, Amount: 800}, {MinQuantity: 10, Amount: 700}}},
	}}
	vip := PriceList{ID: "b-vip", Currency: "USD", CustomerGroup: "vip", Priority: 10, Prices: map[string]VariantPrice{"v1": {Amount: 600}}}
	sale := PriceList{ID: "c-sale", Currency: "USD", Priority: 5, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour),
		Prices: map[string]VariantPrice{"v1": {Amount: 850}}}
	eur := PriceList{ID: "d-eur", Currency: "EUR", Priority: 100, Prices: map[string]VariantPrice{"v1": {Amount: 1}}}
	own := usd(1000)
	scenarios := []struct {
		name     string
		lists    []PriceList
		group    string
		currency string
		at       time.Time
		variant  string
		qty      int64
		want     int64
		list     string
		compare  int64
	}{
		{"no lists: the variant's own price", nil, "", "USD", now, "v1", 1, 1000, "", 0},
		{"base list", []PriceList{base}, "", "USD", now, "v1", 1, 900, "a-base", 1200},
		{"below the first tier", []PriceList{base}, "", "USD", now, "v1", 4, 900, "a-base", 1200},
		{"first tier at its minimum", []PriceList{base}, "", "USD", now, "v1", 5, 800, "a-base", 1200},
		{"largest tier reached", []PriceList{base}, "", "USD", now, "v1", 25, 700, "a-base", 1200},
		{"variant not in the list", []PriceList{base}, "", "USD", now, "v2", 1, 1000, "", 0},
		{"group list for its group wins by priority", []PriceList{base, vip}, "vip", "USD", now, "v1", 1, 600, "b-vip", 0},
		{"group list ignored for others", []PriceList{base, vip}, "", "USD", now, "v1", 1, 900, "a-base", 1200},
		{"group list ignored for another group", []PriceList{base, vip}, "wholesale", "USD", now, "v1", 1, 900, "a-base", 1200},
		{"time-boxed list inside its window", []PriceList{base, sale}, "", "USD", now, "v1", 1, 850, "c-sale", 0},
		{"time-boxed list before its window", []PriceList{base, sale}, "", "USD", now.Add(-2 * time.Hour), "v1", 1, 900, "a-base", 1200},
		{"time-boxed list at its end (exclusive)", []PriceList{base, sale}, "", "USD", now.Add(time.Hour), "v1", 1, 900, "a-base", 1200},
		{"other currency ignored", []PriceList{eur, base}, "", "USD", now, "v1", 1, 900, "a-base", 1200},
		{"other currency used for its currency", []PriceList{eur, base}, "", "EUR", now, "v1", 1, 1, "d-eur", 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			lists := append([]PriceList(nil), sc.lists...)
			SortLists(lists)
			fallback := own
			if sc.currency != "USD" {
				fallback = commerce.Money{Amount: 1000, Currency: sc.currency}
			}
			u := Resolve(lists, sc.group, sc.currency, sc.at, sc.variant, sc.qty, fallback, commerce.Money{})
			if u.Amount.Amount != sc.want || u.ListID != sc.list || u.CompareAt.Amount != sc.compare || u.Amount.Currency != sc.currency {
				t.Fatalf("got %+v, want %d from %q compare %d", u, sc.want, sc.list, sc.compare)
			}
		})
	}
}

func TestPriceListValidate(t *testing.T) {
	scenarios := []struct {
		name  string
		l     PriceList
		field string
	}{
		{"ok", PriceList{Name: "x", Currency: "USD", Prices: map[string]VariantPrice{"v": {Amount: 1, Tiers: []Tier{{MinQuantity: 2, Amount: 1}}}}}, ""},
		{"name", PriceList{Currency: "USD"}, "name"},
		{"currency", PriceList{Name: "x", Currency: "US"}, "currency"},
		{"group", PriceList{Name: "x", Currency: "USD", CustomerGroup: "v i p"}, "customer_group"},
		{"window", PriceList{Name: "x", Currency: "USD", StartsAt: now, EndsAt: now}, "ends_at"},
		{"negative amount", PriceList{Name: "x", Currency: "USD", Prices: map[string]VariantPrice{"v": {Amount: -1}}}, "prices.v.amount"},
		{"tier of one", PriceList{Name: "x", Currency: "USD", Prices: map[string]VariantPrice{"v": {Tiers: []Tier{{MinQuantity: 1}}}}}, "prices.v.tiers[0].min_quantity"},
		{"duplicate tier", PriceList{Name: "x", Currency: "USD", Prices: map[string]VariantPrice{"v": {Tiers: []Tier{{MinQuantity: 3}, {MinQuantity: 3}}}}}, "prices.v.tiers[1].min_quantity"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sc.l.Normalize()
			err := sc.l.Validate()
			if sc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := err.(*commerce.Error)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			for _, f := range e.Fields {
				if f.Field == sc.field {
					return
				}
			}
			t.Fatalf("fields %+v lack %s", e.Fields, sc.field)
		})
	}
}

// TestDiscountReadsUsageLazily: counts are read only for applied promotions with limits, and
// a promotion found at its limit gives way to the next best.
func TestDiscountReadsUsageLazily(t *testing.T) {
	big := pct("big", "", 5000)
	big.UsageLimit = 10
	small := pct("small", "", 1000)
	small.PerCustomerLimit = 1
	free := pct("free", "", 500) // no limits: never read
	cart := Cart{Currency: "USD", CustomerID: "user:1", Now: now, Lines: []Line{{ProductID: "p", Quantity: 1, UnitPrice: usd(1000)}}}
	counts := map[string][2]int64{"big": {10, 0}, "small": {3, 0}}
	var read []string
	res, err := Discount(cart, []Promotion{big, small, free}, func(p *Promotion) (int64, int64, error) {
		read = append(read, p.ID)
		c := counts[p.ID]
		return c[0], c[1], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0].PromotionID != "small" {
		t.Fatalf("applied %+v", res.Applied)
	}
	if len(read) != 2 || read[0] != "big" || read[1] != "small" {
		t.Fatalf("read usage of %v", read)
	}
}

func TestQuoteCartTaxes(t *testing.T) {
	book := Book{Zones: []Zone{{Country: "UZ", Rate: 1200, Inclusive: true}, {Country: "US", Region: "NY", Rate: 800}}}
	in := QuoteInput{Currency: "USD", Now: now, Items: []Item{{ProductID: "p", VariantID: "v", Quantity: 2, Price: usd(1120)}}}
	scenarios := []struct {
		country, region string
		all             bool
		tax             int64
		inclusive       bool
	}{
		{"", "", false, 0, false},
		{"UZ", "", false, 240, true},
		{"US", "NY", false, 179, false}, // 2240 × 8% = 179.2
		{"US", "NY", true, 166, true},   // 2240 − 2240/1.08 (2074.07 → 2074)
		{"US", "CA", false, 0, false},
	}
	for _, sc := range scenarios {
		in := in
		in.Country, in.Region, in.PricesIncludeTax = sc.country, sc.region, sc.all
		q, err := QuoteCart(book, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Tax.Total.Amount != sc.tax || q.Tax.Inclusive != sc.inclusive {
			t.Fatalf("%s/%s all=%v: tax %+v", sc.country, sc.region, sc.all, q.Tax)
		}
	}
}
