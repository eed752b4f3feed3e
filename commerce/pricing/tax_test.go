package pricing

import (
	"reflect"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestTaxFor(t *testing.T) {
	usd := func(a int64) commerce.Money { return commerce.Money{Amount: a, Currency: "USD"} }
	scenarios := []struct {
		name      string
		amount    commerce.Money
		rate      int64
		inclusive bool
		want      int64
		wantErr   string
	}{
		{"exclusive 12% of 10000", usd(10000), 1200, false, 1200, ""},
		{"inclusive 12% VAT in 11200", usd(11200), 1200, true, 1200, ""},
		{"inclusive 20% VAT in 12000", usd(12000), 2000, true, 2000, ""},
		{"exclusive half rounds to even (down)", usd(25), 1000, false, 2, ""}, // 2.5 -> 2
		{"exclusive half rounds to even (up)", usd(35), 1000, false, 4, ""},   // 3.5 -> 4
		{"exclusive below half rounds down", usd(104), 1200, false, 12, ""},   // 12.48 -> 12
		{"exclusive above half rounds up", usd(105), 1200, false, 13, ""},     // 12.6 -> 13
		{"inclusive 1 cent at 12%", usd(1), 1200, true, 0, ""},                // net 0.89 -> 1
		{"inclusive net rounds half-even", usd(105), 500, true, 5, ""},        // net 100 exactly
		{"inclusive odd amount", usd(999), 1200, true, 107, ""},               // net 891.96 -> 892
		{"zero rate", usd(999), 0, true, 0, ""},
		{"zero amount", usd(0), 1200, false, 0, ""},
		{"negative amount", usd(-1), 1200, false, 0, "validation_failed"},
		{"negative rate", usd(100), -1, false, 0, "validation_failed"},
		{"rate too high", usd(100), MaxTaxRate + 1, false, 0, "validation_failed"},
		{"bad currency", commerce.Money{Amount: 100, Currency: "usd"}, 1200, false, 0, "validation_failed"},
		{"overflow", usd(1 << 62), MaxTaxRate, false, 0, "amount_overflow"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			got, err := TaxFor(s.amount, s.rate, s.inclusive)
			if s.wantErr != "" {
				if e := commerce.AsError(err); e == nil || e.Code != s.wantErr {
					t.Fatalf("err = %v, want code %s", err, s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Amount != s.want || got.Currency != s.amount.Currency {
				t.Fatalf("tax = %v, want %d %s", got, s.want, s.amount.Currency)
			}
		})
	}
}

func TestFindZone(t *testing.T) {
	zones := []Zone{
		{Country: "US", Region: "CA", Rate: 725},
		{Country: "US", Rate: 0},
		{Country: "UZ", Rate: 1200, Inclusive: true},
		{Country: "CA", Region: "ON", Rate: 1300},
	}
	scenarios := []struct {
		name, country, region string
		want                  int64
		found                 bool
	}{
		{"region match", "US", "CA", 725, true},
		{"region case-insensitive", "us", "ca", 725, true},
		{"falls back to country", "US", "NY", 0, true},
		{"country only", "UZ", "", 1200, true},
		{"country with unknown region", "UZ", "Tashkent", 1200, true},
		{"region without country-wide zone", "CA", "QC", 0, false},
		{"unknown country", "DE", "", 0, false},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			z, ok := FindZone(zones, s.country, s.region)
			if ok != s.found || (ok && z.Rate != s.want) {
				t.Fatalf("FindZone = %+v, %v; want rate %d, %v", z, ok, s.want, s.found)
			}
		})
	}
	if err := (Zone{Country: "uz", Rate: -1}).Validate(); err == nil || len(commerce.AsError(err).Fields) != 2 {
		t.Fatalf("Validate bad zone = %v", err)
	}
	if err := zones[0].Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAllocate(t *testing.T) {
	scenarios := []struct {
		name    string
		total   int64
		weights []int64
		want    []int64
	}{
		{"even split", 300, []int64{100, 100, 100}, []int64{100, 100, 100}},
		{"thirds: remainder to first", 100, []int64{100, 100, 100}, []int64{34, 33, 33}},
		{"largest remainder, ties to earlier", 5, []int64{2, 3, 5}, []int64{1, 2, 2}},
		{"largest remainder wins", 5, []int64{1, 3, 3}, []int64{1, 2, 2}},
		{"zero weight gets nothing", 5, []int64{0, 7, 3}, []int64{0, 4, 1}},
		{"full amount", 6, []int64{1, 2, 3}, []int64{1, 2, 3}},
		{"nothing to allocate", 0, []int64{1, 2}, []int64{0, 0}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			got := allocate(s.total, s.weights)
			var sum int64
			for i := range got {
				sum += got[i]
				if got[i] != s.want[i] || got[i] > s.weights[i] {
					t.Fatalf("allocate = %v, want %v", got, s.want)
				}
			}
			if sum != s.total {
				t.Fatalf("sum %d != %d", sum, s.total)
			}
		})
	}
}

func TestTaxResult(t *testing.T) {
	// baseCart with 10% off: line totals 1800, 3000, 1350; shipping 500.
	res, err := Evaluate(baseCart(), []Promotion{pct("pr1", "", 1000)}, Usage{})
	if err != nil {
		t.Fatal(err)
	}
	free, err := Evaluate(baseCart("SHIP"), []Promotion{freeShip("pr2", "SHIP")}, Usage{})
	if err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name        string
		res         Result
		zone        Zone
		taxShipping bool
		lines       []int64
		shipping    int64
		total       int64
	}{
		{"exclusive with shipping", res, Zone{Country: "US", Rate: 725}, true, []int64{130, 218, 98}, 36, 482},
		{"exclusive without shipping", res, Zone{Country: "US", Rate: 725}, false, []int64{130, 218, 98}, 0, 446},
		{"inclusive 12%", res, Zone{Country: "UZ", Rate: 1200, Inclusive: true}, true, []int64{193, 321, 145}, 54, 713},
		{"free shipping is not taxed", free, Zone{Country: "UZ", Rate: 1200, Inclusive: true}, true, []int64{214, 357, 161}, 0, 732},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			tax, err := TaxResult(s.res, s.zone, s.taxShipping)
			if err != nil {
				t.Fatal(err)
			}
			var lines []int64
			var sum int64
			for _, l := range tax.Lines {
				lines = append(lines, l.Amount)
				sum += l.Amount
			}
			sum += tax.Shipping.Amount
			if !reflect.DeepEqual(lines, s.lines) || tax.Shipping.Amount != s.shipping || tax.Total.Amount != s.total || sum != tax.Total.Amount {
				t.Fatalf("tax = %v + %d = %d, want %v + %d = %d", lines, tax.Shipping.Amount, tax.Total.Amount, s.lines, s.shipping, s.total)
			}
		})
	}
}
