package pricing

import (
	"cmp"
	"slices"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxQuantity bounds a cart line's quantity so unit arithmetic can never overflow.
const MaxQuantity = 1_000_000_000

// Line is one cart line as pricing sees it.
type Line struct {
	ProductID   string         `json:"product_id"`
	CategoryIDs []string       `json:"category_ids,omitempty"`
	VariantID   string         `json:"variant_id,omitempty"`
	Quantity    int64          `json:"quantity"`
	UnitPrice   commerce.Money `json:"unit_price"`
}

// Cart is the input to Evaluate. Every amount must be in Currency; a zero Shipping with an
// empty currency means no shipping charge.
type Cart struct {
	Lines      []Line         `json:"lines"`
	Currency   string         `json:"currency"`
	CustomerID string         `json:"customer_id,omitempty"`
	Codes      []string       `json:"codes,omitempty"`
	Shipping   commerce.Money `json:"shipping"`
	Now        time.Time      `json:"now"`
}

// Usage carries the current redemption counts by promotion ID: Total across all customers
// and Customer for the cart's customer. Missing entries count as zero.
type Usage struct {
	Total    map[string]int64
	Customer map[string]int64
}

// Reason says why a coupon code did not apply.
type Reason string

// Rejection reasons.
const (
	ReasonExpired       Reason = "expired"        // now is at or after EndsAt
	ReasonNotStarted    Reason = "not_started"    // now is before StartsAt
	ReasonUsageLimit    Reason = "usage_limit"    // UsageLimit redemptions reached
	ReasonCustomerLimit Reason = "customer_limit" // PerCustomerLimit reached for this customer
	ReasonMinSubtotal   Reason = "min_subtotal"   // order subtotal below MinSubtotal
	ReasonNotApplicable Reason = "not_applicable" // unknown code, no targeted line, other currency or nothing left to discount
	ReasonNotStackable  Reason = "not_stackable"  // a better combination excluded it
)

// PromotionAmount is one promotion's share of a line's discount.
type PromotionAmount struct {
	PromotionID string         `json:"promotion_id"`
	Amount      commerce.Money `json:"amount"`
}

// LineResult is a cart line after discounts: Total = Subtotal - Discount.
type LineResult struct {
	ProductID string            `json:"product_id"`
	VariantID string            `json:"variant_id,omitempty"`
	Quantity  int64             `json:"quantity"`
	Subtotal  commerce.Money    `json:"subtotal"`
	Discount  commerce.Money    `json:"discount"`
	Total     commerce.Money    `json:"total"`
	Discounts []PromotionAmount `json:"discounts,omitempty"`
}

// Applied is a promotion that took effect with its total discount (lines plus shipping).
type Applied struct {
	PromotionID string         `json:"promotion_id"`
	Code        string         `json:"code,omitempty"`
	Kind        Kind           `json:"kind"`
	Amount      commerce.Money `json:"amount"`
}

// Rejection is a coupon code from the cart that did not apply, and why.
type Rejection struct {
	Code        string `json:"code"`
	PromotionID string `json:"promotion_id,omitempty"`
	Reason      Reason `json:"reason"`
}

// Result is the priced cart. OrderDiscount is exactly the sum of the line discounts; Total is
// Subtotal - OrderDiscount + Shipping - ShippingDiscount (before tax).
type Result struct {
	Currency         string         `json:"currency"`
	Lines            []LineResult   `json:"lines"`
	Subtotal         commerce.Money `json:"subtotal"`
	OrderDiscount    commerce.Money `json:"order_discount"`
	Shipping         commerce.Money `json:"shipping"`
	ShippingDiscount commerce.Money `json:"shipping_discount"`
	Total            commerce.Money `json:"total"`
	Applied          []Applied      `json:"applied"`
	Rejected         []Rejection    `json:"rejected"`
}

// outcome is one promotion's effect: discount per line (index-aligned) and on shipping.
type outcome struct {
	lines []int64
	ship  int64
}

func (o outcome) total() int64 {
	t := o.ship
	for _, d := range o.lines {
		t += d
	}
	return t
}

// Evaluate prices cart with promotions. Automatic promotions (no code) and promotions whose
// code the cart carries are considered; each must be within its window and limits, reach
// its minimum subtotal and discount something. Stackable promotions apply together, highest
// Priority first (then lower ID), each on what the previous left; a non-stackable promotion
// applies alone. The winner is the candidate (the stack, or one non-stackable promotion) with
// the highest total discount, then the highest priority, then the lowest ID. Codes that did
// not apply are listed in Rejected with a reason. Errors are for a malformed cart (currency
// mismatch, bad quantity), never for an inapplicable promotion. Promotions are expected to
// have passed Validate; out-of-range percentages are clamped to 0..100%.
func Evaluate(cart Cart, promotions []Promotion, usage Usage) (Result, error) {
	subtotals, subtotal, err := checkCart(cart)
	if err != nil {
		return Result{}, err
	}
	ship := cart.Shipping.Amount

	codes := make([]string, 0, len(cart.Codes))
	wanted := make(map[string]int, len(cart.Codes))
	for _, c := range cart.Codes {
		n := NormalizeCode(c)
		if n == "" {
			continue
		}
		if _, dup := wanted[n]; !dup {
			wanted[n] = len(codes)
			codes = append(codes, n)
		}
	}
	rejected := make([]*Rejection, len(codes))
	applied := make([]bool, len(codes))
	reject := func(code, id string, r Reason) {
		if i, ok := wanted[code]; ok && rejected[i] == nil {
			rejected[i] = &Rejection{Code: code, PromotionID: id, Reason: r}
		}
	}

	n := len(cart.Lines)
	words := (n + 63) / 64
	sets := make([]uint64, len(promotions)*words) // targeted lines per promotion
	idx := newLineIndex(cart.Lines, words)
	// byPrice lists line indexes cheapest unit first (ties: earlier line), for buy X get Y.
	byPrice := make([]int, n)
	for i := range byPrice {
		byPrice[i] = i
	}
	slices.SortStableFunc(byPrice, func(a, b int) int {
		return cmp.Compare(cart.Lines[a].UnitPrice.Amount, cart.Lines[b].UnitPrice.Amount)
	})

	// Each eligible promotion is first tried alone on the full amounts: to drop those that
	// discount nothing, and to find the best non-stackable one (kept in single).
	type step struct {
		p *Promotion
		o outcome
	}
	setOf := func(i int) lineSet { return lineSet(sets[i*words : (i+1)*words]) }
	sc := &scratch{weights: make([]int64, n), rems: make([]rem, 0, n)}
	stack := make([]int, 0, len(promotions))   // indexes of eligible stackable promotions
	singles := make([]int, 0, len(promotions)) // indexes of eligible non-stackable ones
	buf := make([]int64, 2*n)
	scratch, singleBuf := buf[:n:n], buf[n:]
	var single step
	var singleTotal int64
	for i := range promotions {
		p := &promotions[i]
		code := NormalizeCode(p.Code)
		if code != "" {
			if _, ok := wanted[code]; !ok {
				continue
			}
		}
		if r := eligible(p, cart, subtotal, usage); r != "" {
			reject(code, p.ID, r)
			continue
		}
		set := setOf(i)
		idx.target(p.Target, set)
		clear(scratch)
		o := apply(p, cart.Lines, set, byPrice, subtotals, ship, scratch, sc)
		t := o.total()
		if t == 0 {
			reject(code, p.ID, ReasonNotApplicable)
			continue
		}
		if p.Stackable {
			stack = append(stack, i)
			continue
		}
		singles = append(singles, i)
		if single.p == nil || beats(t, p.Priority, p.ID, singleTotal, single.p.Priority, single.p.ID) {
			scratch, singleBuf = singleBuf, scratch
			single, singleTotal = step{p, outcome{lines: singleBuf, ship: o.ship}}, t
		}
	}

	// The stack: apply in priority order on the remaining amounts.
	slices.SortFunc(stack, func(a, b int) int {
		if c := cmp.Compare(promotions[b].Priority, promotions[a].Priority); c != 0 {
			return c
		}
		return cmp.Compare(promotions[a].ID, promotions[b].ID)
	})
	stackSteps := make([]step, 0, len(stack))
	var stackTotal int64
	if len(stack) > 0 {
		arena := make([]int64, (len(stack)+1)*n)
		remaining := arena[:n:n]
		copy(remaining, subtotals)
		arena = arena[n:]
		remShip := ship
		for _, i := range stack {
			p := &promotions[i]
			o := apply(p, cart.Lines, setOf(i), byPrice, remaining, remShip, arena[:n:n], sc)
			t := o.total()
			if t == 0 {
				reject(NormalizeCode(p.Code), p.ID, ReasonNotApplicable)
				continue
			}
			arena = arena[n:]
			for i, d := range o.lines {
				remaining[i] -= d
			}
			remShip -= o.ship
			stackTotal += t
			stackSteps = append(stackSteps, step{p, o})
		}
	}

	// The winner: the stack or the best non-stackable promotion alone.
	var best []step
	switch {
	case len(stackSteps) == 0 && single.p == nil:
	case single.p == nil:
		best = stackSteps
	case len(stackSteps) == 0:
		best = []step{single}
	case beats(singleTotal, single.p.Priority, single.p.ID, stackTotal, stackSteps[0].p.Priority, stackSteps[0].p.ID):
		best = []step{single}
	default:
		best = stackSteps
	}
	res := Result{
		Currency: cart.Currency,
		Lines:    make([]LineResult, len(cart.Lines)),
		Subtotal: money(subtotal, cart.Currency),
		Shipping: money(ship, cart.Currency),
		Applied:  make([]Applied, 0, len(best)),
		Rejected: []Rejection{},
	}
	for i, l := range cart.Lines {
		res.Lines[i] = LineResult{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, Subtotal: money(subtotals[i], cart.Currency)}
	}
	// One backing array for every line's Discounts, carved per line.
	perLine := make([]int, n)
	var entries int
	for _, s := range best {
		for i, d := range s.o.lines {
			if d != 0 {
				perLine[i]++
				entries++
			}
		}
	}
	backing := make([]PromotionAmount, 0, entries)
	for i, c := range perLine {
		if c > 0 {
			res.Lines[i].Discounts = backing[len(backing) : len(backing) : len(backing)+c]
			backing = backing[:len(backing)+c]
		}
	}
	var orderDisc, shipDisc int64
	inBest := make(map[*Promotion]bool, len(best))
	for _, s := range best {
		inBest[s.p] = true
		for i, d := range s.o.lines {
			if d == 0 {
				continue
			}
			lr := &res.Lines[i]
			lr.Discount.Amount += d
			lr.Discounts = append(lr.Discounts, PromotionAmount{PromotionID: s.p.ID, Amount: money(d, cart.Currency)})
			orderDisc += d
		}
		shipDisc += s.o.ship
		code := NormalizeCode(s.p.Code)
		res.Applied = append(res.Applied, Applied{PromotionID: s.p.ID, Code: code, Kind: s.p.Kind, Amount: money(s.o.total(), cart.Currency)})
		if i, ok := wanted[code]; ok {
			applied[i] = true
		}
	}
	for _, is := range [][]int{stack, singles} {
		for _, i := range is {
			if p := &promotions[i]; !inBest[p] {
				reject(NormalizeCode(p.Code), p.ID, ReasonNotStackable)
			}
		}
	}
	for i := range res.Lines {
		lr := &res.Lines[i]
		lr.Discount.Currency = cart.Currency
		lr.Total = money(lr.Subtotal.Amount-lr.Discount.Amount, cart.Currency)
	}
	res.OrderDiscount = money(orderDisc, cart.Currency)
	res.ShippingDiscount = money(shipDisc, cart.Currency)
	res.Total = money(subtotal-orderDisc+ship-shipDisc, cart.Currency)
	for i, code := range codes {
		if applied[i] {
			continue
		}
		if rejected[i] != nil {
			res.Rejected = append(res.Rejected, *rejected[i])
		} else {
			res.Rejected = append(res.Rejected, Rejection{Code: code, Reason: ReasonNotApplicable})
		}
	}
	return res, nil
}

// beats orders candidates: the higher total discount, then the higher priority, then the
// lower ID.
func beats(total int64, prio int, id string, otherTotal int64, otherPrio int, otherID string) bool {
	if total != otherTotal {
		return total > otherTotal
	}
	if prio != otherPrio {
		return prio > otherPrio
	}
	return id < otherID
}

func money(a int64, cur string) commerce.Money { return commerce.Money{Amount: a, Currency: cur} }

// checkCart validates the cart and returns each line's subtotal and the order subtotal.
func checkCart(cart Cart) ([]int64, int64, error) {
	var v commerce.Validator
	v.Check(commerce.ValidCurrency(cart.Currency), "currency", "must be an ISO 4217 code")
	for i, l := range cart.Lines {
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			v.Add(fieldf("lines", i, "quantity"), "must be between 1 and 1000000000")
		}
		if l.UnitPrice.Amount < 0 {
			v.Add(fieldf("lines", i, "unit_price.amount"), "must not be negative")
		}
	}
	v.Check(cart.Shipping.Amount >= 0, "shipping.amount", "must not be negative")
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	subtotals := make([]int64, len(cart.Lines))
	total := commerce.Money{Currency: cart.Currency}
	for i, l := range cart.Lines {
		if l.UnitPrice.Currency != cart.Currency {
			return nil, 0, commerce.ErrCurrencyMismatch.WithDetails(map[string]any{"field": fieldf("lines", i, "unit_price.currency"), "currency": l.UnitPrice.Currency, "expected": cart.Currency})
		}
		lt, err := l.UnitPrice.Mul(l.Quantity)
		if err != nil {
			return nil, 0, err
		}
		if total, err = total.Add(lt); err != nil {
			return nil, 0, err
		}
		subtotals[i] = lt.Amount
	}
	if cart.Shipping.Currency != cart.Currency && !(cart.Shipping.Amount == 0 && cart.Shipping.Currency == "") {
		return nil, 0, commerce.ErrCurrencyMismatch.WithDetails(map[string]any{"field": "shipping.currency", "currency": cart.Shipping.Currency, "expected": cart.Currency})
	}
	if _, err := total.Add(money(cart.Shipping.Amount, cart.Currency)); err != nil {
		return nil, 0, err
	}
	return subtotals, total.Amount, nil
}

func fieldf(list string, i int, field string) string {
	return list + "[" + itoa(i) + "]." + field
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// eligible returns why p cannot apply to cart, or "" when it can.
func eligible(p *Promotion, cart Cart, subtotal int64, usage Usage) Reason {
	if !p.StartsAt.IsZero() && cart.Now.Before(p.StartsAt) {
		return ReasonNotStarted
	}
	if !p.EndsAt.IsZero() && !cart.Now.Before(p.EndsAt) {
		return ReasonExpired
	}
	if p.UsageLimit > 0 && usage.Total[p.ID] >= p.UsageLimit {
		return ReasonUsageLimit
	}
	if p.PerCustomerLimit > 0 && usage.Customer[p.ID] >= p.PerCustomerLimit {
		return ReasonCustomerLimit
	}
	if p.MinSubtotal.Amount > 0 {
		if p.MinSubtotal.Currency != cart.Currency {
			return ReasonNotApplicable
		}
		if subtotal < p.MinSubtotal.Amount {
			return ReasonMinSubtotal
		}
	}
	if p.Kind == KindFixedAmount && p.Amount.Currency != cart.Currency {
		return ReasonNotApplicable
	}
	return ""
}

// scratch holds buffers reused across apply calls.
type scratch struct {
	weights []int64
	rems    []rem
}

// lineIndex maps product and category IDs to the set of cart lines carrying them, so a
// promotion's targeted lines cost one lookup per target ID instead of a scan of every line.
type lineIndex struct {
	all        lineSet
	products   map[string]lineSet
	categories map[string]lineSet
}

func newLineIndex(lines []Line, words int) lineIndex {
	x := lineIndex{
		all:        make(lineSet, words),
		products:   make(map[string]lineSet, len(lines)),
		categories: make(map[string]lineSet, 2*len(lines)),
	}
	get := func(m map[string]lineSet, k string) lineSet {
		s, ok := m[k]
		if !ok {
			s = make(lineSet, words)
			m[k] = s
		}
		return s
	}
	for i, l := range lines {
		x.all.add(i)
		get(x.products, l.ProductID).add(i)
		for _, c := range l.CategoryIDs {
			get(x.categories, c).add(i)
		}
	}
	return x
}

// target sets in dst the lines t selects (see Target.Matches).
func (x lineIndex) target(t Target, dst lineSet) {
	if t.Whole() {
		copy(dst, x.all)
		return
	}
	for _, id := range t.ProductIDs {
		dst.or(x.products[id])
	}
	for _, id := range t.CategoryIDs {
		dst.or(x.categories[id])
	}
}

// lineSet is a bitset of cart line indexes.
type lineSet []uint64

func (s lineSet) add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }
func (s lineSet) or(o lineSet) {
	for i, w := range o {
		s[i] |= w
	}
}
func (s lineSet) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// apply computes p's discount on the remaining line amounts and remaining shipping, over the
// targeted lines in set, writing line discounts into out (len(lines), zeroed). byPrice lists
// the lines cheapest unit first. It never discounts more than what remains.
func apply(p *Promotion, lines []Line, set lineSet, byPrice []int, remaining []int64, ship int64, out []int64, sc *scratch) outcome {
	o := outcome{lines: out}
	switch p.Kind {
	case KindPercentage:
		pct := clampBP(p.Percent)
		for i := range lines {
			if remaining[i] > 0 && set.has(i) {
				o.lines[i] = mulDivHalfEven(remaining[i], pct, BasisPoints)
			}
		}
	case KindFixedAmount:
		if p.Amount.Amount <= 0 {
			break
		}
		weights := sc.weights
		clear(weights)
		var sum int64
		for i := range lines {
			if remaining[i] > 0 && set.has(i) {
				weights[i] = remaining[i]
				sum += remaining[i]
			}
		}
		allocateInto(min(p.Amount.Amount, sum), weights, o.lines, sc.rems)
	case KindFreeShipping:
		o.ship = ship
	case KindBuyXGetY:
		if p.BuyX <= 0 || p.GetY <= 0 {
			break
		}
		pct := clampBP(p.GetYPercent)
		var units int64
		for i, l := range lines {
			if remaining[i] > 0 && set.has(i) {
				units += l.Quantity
			}
		}
		free := units / (p.BuyX + p.GetY) * p.GetY
		// The cheapest units are the discounted ones; ties go to the earlier line.
		for _, i := range byPrice {
			if free == 0 {
				break
			}
			if remaining[i] <= 0 || !set.has(i) {
				continue
			}
			take := min(free, lines[i].Quantity)
			free -= take
			o.lines[i] = mulDivHalfEven(remaining[i], take*pct, lines[i].Quantity*BasisPoints)
		}
	}
	return o
}

func clampBP(bp int64) int64 { return max(0, min(bp, BasisPoints)) }
