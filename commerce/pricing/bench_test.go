package pricing

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchSetup builds a 20-line cart and 100 active promotions of mixed kinds: targeted and
// whole-order, automatic and coupon, stackable and not, with windows and limits.
func benchSetup() (Cart, []Promotion, Usage) {
	cart := Cart{Currency: "USD", CustomerID: "cus_1", Shipping: usd(990), Now: now}
	for i := 0; i < 20; i++ {
		cart.Lines = append(cart.Lines, Line{
			ProductID:   "p" + strconv.Itoa(i),
			CategoryIDs: []string{"c" + strconv.Itoa(i%5), "c" + strconv.Itoa(5+i%3)},
			VariantID:   "v" + strconv.Itoa(i),
			Quantity:    int64(1 + i%4),
			UnitPrice:   usd(int64(199 + 137*i)),
		})
	}
	usage := Usage{Total: map[string]int64{}, Customer: map[string]int64{}}
	var promos []Promotion
	for i := 0; i < 100; i++ {
		id := "promo" + strconv.Itoa(i)
		var p Promotion
		switch i % 4 {
		case 0:
			p = pct(id, "", int64(100+i*10))
		case 1:
			p = fixed(id, "", int64(100+i*7))
		case 2:
			p = freeShip(id, "")
		case 3:
			p = bxgy(id, "", int64(1+i%3), 1, 5000)
		}
		if i%3 == 0 {
			p.Target.CategoryIDs = []string{"c" + strconv.Itoa(i%8)}
		} else if i%5 == 0 {
			p.Target.ProductIDs = []string{"p" + strconv.Itoa(i%20), "p" + strconv.Itoa((i+7)%20), "p99"}
		}
		if i%10 == 0 {
			p.Code = "CODE" + strconv.Itoa(i)
			cart.Codes = append(cart.Codes, p.Code)
		}
		p.Stackable = i%2 == 0
		p.Priority = i % 7
		p.StartsAt, p.EndsAt = now.Add(-time.Hour), now.Add(time.Hour)
		p.UsageLimit, p.PerCustomerLimit = 1000, 5
		usage.Total[id], usage.Customer[id] = int64(i), int64(i%3)
		p.MinSubtotal = usd(int64(i * 50))
		promos = append(promos, p)
	}
	cart.Codes = append(cart.Codes, "UNKNOWN")
	return cart, promos, usage
}

func TestBenchSetupIsValid(t *testing.T) {
	cart, promos, usage := benchSetup()
	for _, p := range promos {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
	}
	res, err := Evaluate(cart, promos, usage)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, cart, res)
	if len(res.Applied) == 0 {
		t.Fatal("nothing applied")
	}
}

// BenchmarkEvaluate prices a 20-line cart against 100 active promotions and reports the
// 99th percentile of single evaluations (issue 6 target: under 1 ms).
func BenchmarkEvaluate(b *testing.B) {
	cart, promos, usage := benchSetup()
	durs := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := Evaluate(cart, promos, usage); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durs)
	if len(durs) > 0 {
		b.ReportMetric(float64(durs[(len(durs)*99)/100].Nanoseconds()), "ns-p99")
	}
}
