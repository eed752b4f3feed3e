package pricing

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func usd(a int64) commerce.Money { return commerce.Money{Amount: a, Currency: "USD"} }

// baseCart: A 2×10.00 (c1), B 1×33.33 (c2), C 3×5.00 (c1); subtotal 68.33, shipping 5.00.
func baseCart(codes ...string) Cart {
	return Cart{
		Currency:   "USD",
		CustomerID: "cus_1",
		Codes:      codes,
		Shipping:   usd(500),
		Now:        now,
		Lines: []Line{
			{ProductID: "p1", CategoryIDs: []string{"c1"}, VariantID: "v1", Quantity: 2, UnitPrice: usd(1000)},
			{ProductID: "p2", CategoryIDs: []string{"c2"}, VariantID: "v2", Quantity: 1, UnitPrice: usd(3333)},
			{ProductID: "p3", CategoryIDs: []string{"c1", "c3"}, VariantID: "v3", Quantity: 3, UnitPrice: usd(500)},
		},
	}
}

func pct(id, code string, bp int64) Promotion {
	return Promotion{ID: id, Code: code, Kind: KindPercentage, Percent: bp}
}

func fixed(id, code string, amount int64) Promotion {
	return Promotion{ID: id, Code: code, Kind: KindFixedAmount, Amount: usd(amount)}
}

func freeShip(id, code string) Promotion {
	return Promotion{ID: id, Code: code, Kind: KindFreeShipping}
}

func bxgy(id, code string, x, y, bp int64) Promotion {
	return Promotion{ID: id, Code: code, Kind: KindBuyXGetY, BuyX: x, GetY: y, GetYPercent: bp}
}

func with(p Promotion, f func(*Promotion)) Promotion { f(&p); return p }

func stackable(p Promotion, prio int) Promotion {
	p.Stackable, p.Priority = true, prio
	return p
}

func TestEvaluate(t *testing.T) {
	type want struct {
		lines    []int64 // discount per line
		ship     int64
		applied  []string
		rejected map[string]Reason
	}
	scenarios := []struct {
		name  string
		cart  Cart
		promo []Promotion
		usage Usage
		want  want
	}{
		{"no promotions", baseCart(), nil, Usage{},
			want{lines: []int64{0, 0, 0}}},
		{"percentage whole order, rounded per line", baseCart(), []Promotion{pct("pr1", "", 1000)}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"percentage rounds half-even per line", Cart{Currency: "USD", Now: now, Lines: []Line{
			{ProductID: "a", Quantity: 1, UnitPrice: usd(25)}, {ProductID: "b", Quantity: 1, UnitPrice: usd(35)}, {ProductID: "c", Quantity: 1, UnitPrice: usd(26)}}},
			[]Promotion{pct("pr1", "", 1000)}, Usage{},
			want{lines: []int64{2, 4, 3}, applied: []string{"pr1"}}},
		{"percentage targeted by category", baseCart(), []Promotion{with(pct("pr1", "", 1000), func(p *Promotion) { p.Target.CategoryIDs = []string{"c1"} })}, Usage{},
			want{lines: []int64{200, 0, 150}, applied: []string{"pr1"}}},
		{"percentage targeted by product", baseCart(), []Promotion{with(pct("pr1", "", 1000), func(p *Promotion) { p.Target.ProductIDs = []string{"p2"} })}, Usage{},
			want{lines: []int64{0, 333, 0}, applied: []string{"pr1"}}},
		{"percentage 100% never exceeds the line", baseCart(), []Promotion{pct("pr1", "", 10000)}, Usage{},
			want{lines: []int64{2000, 3333, 1500}, applied: []string{"pr1"}}},
		{"target matches nothing", baseCart("NOPE"), []Promotion{with(pct("pr1", "NOPE", 1000), func(p *Promotion) { p.Target.ProductIDs = []string{"p9"} })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"NOPE": ReasonNotApplicable}}},
		{"fixed amount allocated by largest remainder", baseCart(), []Promotion{fixed("pr1", "", 1000)}, Usage{},
			want{lines: []int64{293, 488, 219}, applied: []string{"pr1"}}},
		{"fixed amount capped at the order", baseCart(), []Promotion{fixed("pr1", "", 100000)}, Usage{},
			want{lines: []int64{2000, 3333, 1500}, applied: []string{"pr1"}}},
		{"fixed amount on a category", baseCart(), []Promotion{with(fixed("pr1", "", 700), func(p *Promotion) { p.Target.CategoryIDs = []string{"c1"} })}, Usage{},
			want{lines: []int64{400, 0, 300}, applied: []string{"pr1"}}},
		{"fixed amount in another currency", baseCart("EURO5"), []Promotion{with(fixed("pr1", "EURO5", 500), func(p *Promotion) { p.Amount.Currency = "EUR" })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"EURO5": ReasonNotApplicable}}},
		{"free shipping code", baseCart("SHIPFREE"), []Promotion{freeShip("pr1", "SHIPFREE")}, Usage{},
			want{lines: []int64{0, 0, 0}, ship: 500, applied: []string{"pr1"}}},
		{"free shipping with nothing to ship", with2(baseCart("SHIPFREE"), func(c *Cart) { c.Shipping = commerce.Money{} }), []Promotion{freeShip("pr1", "SHIPFREE")}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"SHIPFREE": ReasonNotApplicable}}},
		{"buy 2 get 1 free: cheapest unit", baseCart(), []Promotion{with(bxgy("pr1", "", 2, 1, 10000), func(p *Promotion) { p.Target.CategoryIDs = []string{"c1"} })}, Usage{},
			want{lines: []int64{0, 0, 500}, applied: []string{"pr1"}}},
		{"buy 1 get 1 half price", baseCart(), []Promotion{with(bxgy("pr1", "", 1, 1, 5000), func(p *Promotion) { p.Target.CategoryIDs = []string{"c1"} })}, Usage{},
			want{lines: []int64{0, 0, 500}, applied: []string{"pr1"}}},
		{"buy 1 get 2 free spills to the next cheapest line", baseCart(), []Promotion{bxgy("pr1", "", 1, 2, 10000)}, Usage{},
			want{lines: []int64{1000, 0, 1500}, applied: []string{"pr1"}}},
		{"buy X get Y without enough units", baseCart("B3G1"), []Promotion{with(bxgy("pr1", "B3G1", 3, 1, 10000), func(p *Promotion) { p.Target.ProductIDs = []string{"p1", "p2"} })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"B3G1": ReasonNotApplicable}}},
		{"window: before start", baseCart("W"), []Promotion{with(pct("pr1", "W", 1000), func(p *Promotion) { p.StartsAt = now.Add(time.Nanosecond) })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"W": ReasonNotStarted}}},
		{"window: starts exactly now", baseCart("W"), []Promotion{with(pct("pr1", "W", 1000), func(p *Promotion) { p.StartsAt = now })}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"window: ends exactly now", baseCart("W"), []Promotion{with(pct("pr1", "W", 1000), func(p *Promotion) { p.EndsAt = now })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"W": ReasonExpired}}},
		{"window: ends a nanosecond later", baseCart("W"), []Promotion{with(pct("pr1", "W", 1000), func(p *Promotion) { p.StartsAt, p.EndsAt = now.Add(-time.Hour), now.Add(time.Nanosecond) })}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"usage limit reached", baseCart("L"), []Promotion{with(pct("pr1", "L", 1000), func(p *Promotion) { p.UsageLimit = 5 })}, Usage{Total: map[string]int64{"pr1": 5}},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"L": ReasonUsageLimit}}},
		{"usage limit one left", baseCart("L"), []Promotion{with(pct("pr1", "L", 1000), func(p *Promotion) { p.UsageLimit = 5 })}, Usage{Total: map[string]int64{"pr1": 4}},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"customer limit reached", baseCart("L"), []Promotion{with(pct("pr1", "L", 1000), func(p *Promotion) { p.PerCustomerLimit = 1 })}, Usage{Customer: map[string]int64{"pr1": 1}},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"L": ReasonCustomerLimit}}},
		{"customer limit not reached", baseCart("L"), []Promotion{with(pct("pr1", "L", 1000), func(p *Promotion) { p.PerCustomerLimit = 2 })}, Usage{Total: map[string]int64{"pr1": 100}, Customer: map[string]int64{"pr1": 1}},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"min subtotal one cent short", baseCart("M"), []Promotion{with(pct("pr1", "M", 1000), func(p *Promotion) { p.MinSubtotal = usd(6834) })}, Usage{},
			want{lines: []int64{0, 0, 0}, rejected: map[string]Reason{"M": ReasonMinSubtotal}}},
		{"min subtotal exactly met", baseCart("M"), []Promotion{with(pct("pr1", "M", 1000), func(p *Promotion) { p.MinSubtotal = usd(6833) })}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}}},
		{"codes: unknown, case-insensitive, duplicate", baseCart(" save10 ", "SAVE10", "", "BOGUS"), []Promotion{pct("pr1", "Save10", 1000)}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}, rejected: map[string]Reason{"BOGUS": ReasonNotApplicable}}},
		{"coupon not in the cart is ignored", baseCart(), []Promotion{pct("pr1", "SAVE10", 1000)}, Usage{},
			want{lines: []int64{0, 0, 0}}},
		{"stackable: percentage then fixed on the remainder", baseCart("TEN", "FIVE"), []Promotion{stackable(fixed("pr2", "FIVE", 500), 1), stackable(pct("pr1", "TEN", 1000), 2)}, Usage{},
			want{lines: []int64{346, 577, 260}, applied: []string{"pr1", "pr2"}}},
		{"stackable: fixed first when it has the priority", baseCart("TEN", "FIVE"), []Promotion{stackable(fixed("pr2", "FIVE", 500), 3), stackable(pct("pr1", "TEN", 1000), 2)}, Usage{},
			want{lines: []int64{146 + 185, 244 + 309, 110 + 139}, applied: []string{"pr2", "pr1"}}},
		{"stackable: free shipping and percentage combine", baseCart("SHIP"), []Promotion{stackable(freeShip("pr2", "SHIP"), 0), stackable(pct("pr1", "", 1000), 0)}, Usage{},
			want{lines: []int64{200, 333, 150}, ship: 500, applied: []string{"pr1", "pr2"}}},
		{"stackable: second free shipping has nothing left", baseCart("S1", "S2"), []Promotion{stackable(freeShip("pr1", "S1"), 0), stackable(freeShip("pr2", "S2"), 0)}, Usage{},
			want{lines: []int64{0, 0, 0}, ship: 500, applied: []string{"pr1"}, rejected: map[string]Reason{"S2": ReasonNotApplicable}}},
		{"stackable: 100% leaves nothing for a fixed amount", baseCart("ALL", "FIVE"), []Promotion{stackable(pct("pr1", "ALL", 10000), 2), stackable(fixed("pr2", "FIVE", 500), 1)}, Usage{},
			want{lines: []int64{2000, 3333, 1500}, applied: []string{"pr1"}, rejected: map[string]Reason{"FIVE": ReasonNotApplicable}}},
		{"non-stackable beats a smaller stack", baseCart("BIG", "TEN"), []Promotion{fixed("pr2", "BIG", 2000), stackable(pct("pr1", "TEN", 1000), 5)}, Usage{},
			want{lines: []int64{585, 976, 439}, applied: []string{"pr2"}, rejected: map[string]Reason{"TEN": ReasonNotStackable}}},
		{"stack beats a smaller non-stackable", baseCart("SMALL", "TEN"), []Promotion{fixed("pr2", "SMALL", 100), stackable(pct("pr1", "TEN", 1000), 0), stackable(freeShip("pr3", ""), 0)}, Usage{},
			want{lines: []int64{200, 333, 150}, ship: 500, applied: []string{"pr1", "pr3"}, rejected: map[string]Reason{"SMALL": ReasonNotStackable}}},
		{"two non-stackables never combine", baseCart("A", "B"), []Promotion{pct("pr1", "A", 1000), freeShip("pr2", "B")}, Usage{},
			want{lines: []int64{200, 333, 150}, applied: []string{"pr1"}, rejected: map[string]Reason{"B": ReasonNotStackable}}},
		{"tie on discount: higher priority wins", baseCart("A", "B"), []Promotion{with(fixed("pr1", "A", 500), func(p *Promotion) { p.Priority = 1 }), with(freeShip("pr2", "B"), func(p *Promotion) { p.Priority = 2 })}, Usage{},
			want{lines: []int64{0, 0, 0}, ship: 500, applied: []string{"pr2"}, rejected: map[string]Reason{"A": ReasonNotStackable}}},
		{"tie on discount and priority: lower ID wins", baseCart("A", "B"), []Promotion{freeShip("pr9", "B"), fixed("pr1", "A", 500)}, Usage{},
			want{lines: []int64{146, 244, 110}, applied: []string{"pr1"}, rejected: map[string]Reason{"B": ReasonNotStackable}}},
		{"rejected code reason wins over a later one", baseCart("X"), []Promotion{with(pct("pr1", "X", 1000), func(p *Promotion) { p.EndsAt = now }), pct("pr2", "X", 500)}, Usage{},
			want{lines: []int64{100, 167, 75}, applied: []string{"pr2"}}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			res, err := Evaluate(s.cart, s.promo, s.usage)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s.cart, res)
			var lines []int64
			for _, l := range res.Lines {
				lines = append(lines, l.Discount.Amount)
			}
			if !reflect.DeepEqual(lines, s.want.lines) {
				t.Errorf("line discounts = %v, want %v", lines, s.want.lines)
			}
			if res.ShippingDiscount.Amount != s.want.ship {
				t.Errorf("shipping discount = %d, want %d", res.ShippingDiscount.Amount, s.want.ship)
			}
			var applied []string
			for _, a := range res.Applied {
				applied = append(applied, a.PromotionID)
			}
			if !reflect.DeepEqual(applied, s.want.applied) {
				t.Errorf("applied = %v, want %v", applied, s.want.applied)
			}
			rejected := map[string]Reason{}
			for _, r := range res.Rejected {
				rejected[r.Code] = r.Reason
			}
			if len(rejected) != len(s.want.rejected) || (len(rejected) > 0 && !reflect.DeepEqual(rejected, s.want.rejected)) {
				t.Errorf("rejected = %v, want %v", rejected, s.want.rejected)
			}
		})
	}
}

func with2(c Cart, f func(*Cart)) Cart { f(&c); return c }

// checkInvariants asserts what must hold for every result: line discounts sum exactly to the
// order discount, no discount exceeds its line or the shipping, applied amounts add up, and
// the totals are consistent.
func checkInvariants(t *testing.T, cart Cart, res Result) {
	t.Helper()
	var sum, subtotal int64
	for i, l := range res.Lines {
		if l.Discount.Amount < 0 || l.Discount.Amount > l.Subtotal.Amount {
			t.Errorf("line %d discount %d outside [0, %d]", i, l.Discount.Amount, l.Subtotal.Amount)
		}
		if l.Subtotal.Amount != cart.Lines[i].UnitPrice.Amount*cart.Lines[i].Quantity || l.Total.Amount != l.Subtotal.Amount-l.Discount.Amount {
			t.Errorf("line %d subtotal/total wrong: %+v", i, l)
		}
		var parts int64
		for _, d := range l.Discounts {
			parts += d.Amount.Amount
		}
		if parts != l.Discount.Amount {
			t.Errorf("line %d discount parts %d != %d", i, parts, l.Discount.Amount)
		}
		for _, m := range []commerce.Money{l.Subtotal, l.Discount, l.Total} {
			if m.Currency != cart.Currency {
				t.Errorf("line %d currency %q", i, m.Currency)
			}
		}
		sum += l.Discount.Amount
		subtotal += l.Subtotal.Amount
	}
	if sum != res.OrderDiscount.Amount {
		t.Errorf("sum of line discounts %d != order discount %d", sum, res.OrderDiscount.Amount)
	}
	if res.ShippingDiscount.Amount < 0 || res.ShippingDiscount.Amount > res.Shipping.Amount {
		t.Errorf("shipping discount %d outside [0, %d]", res.ShippingDiscount.Amount, res.Shipping.Amount)
	}
	var appliedSum int64
	for _, a := range res.Applied {
		if a.Amount.Amount <= 0 {
			t.Errorf("applied %s with amount %d", a.PromotionID, a.Amount.Amount)
		}
		appliedSum += a.Amount.Amount
	}
	if appliedSum != res.OrderDiscount.Amount+res.ShippingDiscount.Amount {
		t.Errorf("applied sum %d != order %d + shipping %d", appliedSum, res.OrderDiscount.Amount, res.ShippingDiscount.Amount)
	}
	if res.Subtotal.Amount != subtotal || res.Total.Amount != subtotal-sum+res.Shipping.Amount-res.ShippingDiscount.Amount {
		t.Errorf("totals inconsistent: %+v", res)
	}
}

func TestEvaluateBadCart(t *testing.T) {
	scenarios := []struct {
		name  string
		cart  Cart
		is    error
		field string
	}{
		{"line in another currency", with2(baseCart(), func(c *Cart) { c.Lines[1].UnitPrice.Currency = "EUR" }), commerce.ErrCurrencyMismatch, ""},
		{"shipping in another currency", with2(baseCart(), func(c *Cart) { c.Shipping.Currency = "EUR" }), commerce.ErrCurrencyMismatch, ""},
		{"cart currency invalid", with2(baseCart(), func(c *Cart) { c.Currency = "usd" }), nil, "currency"},
		{"zero quantity", with2(baseCart(), func(c *Cart) { c.Lines[2].Quantity = 0 }), nil, "lines[2].quantity"},
		{"negative price", with2(baseCart(), func(c *Cart) { c.Lines[0].UnitPrice.Amount = -1 }), nil, "lines[0].unit_price.amount"},
		{"negative shipping", with2(baseCart(), func(c *Cart) { c.Shipping.Amount = -1 }), nil, "shipping.amount"},
		{"line total overflows", with2(baseCart(), func(c *Cart) { c.Lines[0].UnitPrice.Amount = 1 << 62 }), &commerce.Error{Kind: commerce.EInvalid, Code: "amount_overflow"}, ""},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			_, err := Evaluate(s.cart, []Promotion{pct("pr1", "", 1000)}, Usage{})
			if err == nil {
				t.Fatal("no error")
			}
			if s.is != nil && !errors.Is(err, s.is) {
				t.Fatalf("err = %v, want %v", err, s.is)
			}
			if s.field != "" {
				e := commerce.AsError(err)
				if e == nil || len(e.Fields) != 1 || e.Fields[0].Field != s.field {
					t.Fatalf("err = %v, want field %s", err, s.field)
				}
			}
		})
	}
}

func TestEvaluateNoShippingCurrency(t *testing.T) {
	c := baseCart()
	c.Shipping = commerce.Money{}
	res, err := Evaluate(c, nil, Usage{})
	if err != nil || res.Shipping != usd(0) || res.Total != usd(6833) {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}
