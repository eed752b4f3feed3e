package pricing

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestPromotionValidate(t *testing.T) {
	scenarios := []struct {
		name   string
		p      Promotion
		fields []string
	}{
		{"percentage ok", pct("pr1", "SAVE10", 1000), nil},
		{"fixed ok", fixed("pr1", "", 500), nil},
		{"free shipping ok", freeShip("pr1", "SHIP"), nil},
		{"buy x get y ok", bxgy("pr1", "", 2, 1, 10000), nil},
		{"missing id", pct("", "", 1000), []string{"id"}},
		{"code with a space", pct("pr1", "SAVE 10", 1000), []string{"code"}},
		{"percent zero", pct("pr1", "", 0), []string{"percent"}},
		{"percent over 100%", pct("pr1", "", 10001), []string{"percent"}},
		{"fixed without currency", with(fixed("pr1", "", 500), func(p *Promotion) { p.Amount.Currency = "" }), []string{"amount.currency"}},
		{"fixed zero", fixed("pr1", "", 0), []string{"amount.amount"}},
		{"buy x get y zero quantities", bxgy("pr1", "", 0, 0, 0), []string{"buy_x", "get_y", "get_y_percent"}},
		{"unknown kind", Promotion{ID: "pr1", Kind: "bogus"}, []string{"kind"}},
		{"negative min subtotal", with(pct("pr1", "", 1000), func(p *Promotion) { p.MinSubtotal = usd(-1) }), []string{"min_subtotal.amount"}},
		{"min subtotal without currency", with(pct("pr1", "", 1000), func(p *Promotion) { p.MinSubtotal = commerce.Money{Amount: 5} }), []string{"min_subtotal.currency"}},
		{"window ends before it starts", with(pct("pr1", "", 1000), func(p *Promotion) { p.StartsAt, p.EndsAt = now, now }), []string{"ends_at"}},
		{"negative limits", with(pct("pr1", "", 1000), func(p *Promotion) { p.UsageLimit, p.PerCustomerLimit = -1, -1 }), []string{"usage_limit", "per_customer_limit"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			err := s.p.Validate()
			var got []string
			if e := commerce.AsError(err); e != nil {
				for _, f := range e.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s.fields) {
				t.Fatalf("fields = %v, want %v (err %v)", got, s.fields, err)
			}
		})
	}
}

// TestEvaluateRandom checks the invariants (line discounts sum exactly to the order discount,
// nothing exceeds its amount, totals add up) on many random carts and promotion sets, and that
// the outcome does not depend on the order promotions are given in.
func TestEvaluateRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	kinds := []Kind{KindPercentage, KindFixedAmount, KindFreeShipping, KindBuyXGetY}
	for iter := 0; iter < 500; iter++ {
		cart := Cart{Currency: "USD", CustomerID: "c", Shipping: usd(rng.Int64N(2000)), Now: now}
		for i := 0; i < 1+rng.IntN(25); i++ {
			cart.Lines = append(cart.Lines, Line{
				ProductID:   "p" + strconv.Itoa(rng.IntN(10)),
				CategoryIDs: []string{"c" + strconv.Itoa(rng.IntN(4))},
				Quantity:    1 + rng.Int64N(5),
				UnitPrice:   usd(rng.Int64N(100000)),
			})
		}
		var promos []Promotion
		for i := 0; i < rng.IntN(12); i++ {
			p := Promotion{ID: "pr" + strconv.Itoa(i), Kind: kinds[rng.IntN(len(kinds))], Stackable: rng.IntN(2) == 0, Priority: rng.IntN(3)}
			p.Percent = 1 + rng.Int64N(BasisPoints)
			p.Amount = usd(1 + rng.Int64N(50000))
			p.BuyX, p.GetY, p.GetYPercent = 1+rng.Int64N(3), 1+rng.Int64N(2), 1+rng.Int64N(BasisPoints)
			if rng.IntN(3) == 0 {
				p.Target.CategoryIDs = []string{"c" + strconv.Itoa(rng.IntN(4))}
			} else if rng.IntN(3) == 0 {
				p.Target.ProductIDs = []string{"p" + strconv.Itoa(rng.IntN(10))}
			}
			if rng.IntN(2) == 0 {
				p.Code = "CODE" + strconv.Itoa(i)
				cart.Codes = append(cart.Codes, p.Code)
			}
			if rng.IntN(4) == 0 {
				p.EndsAt = now.Add(time.Duration(rng.IntN(3)-1) * time.Second)
			}
			promos = append(promos, p)
		}
		res, err := Evaluate(cart, promos, Usage{})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, cart, res)
		shuffled := append([]Promotion(nil), promos...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		res2, err := Evaluate(cart, shuffled, Usage{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res, res2) {
			t.Fatalf("iteration %d: result depends on promotion order:\n%+v\n%+v", iter, res, res2)
		}
		if t.Failed() {
			t.Fatalf("iteration %d failed: cart %+v promos %+v", iter, cart, promos)
		}
	}
}
