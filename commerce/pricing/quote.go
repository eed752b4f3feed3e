package pricing

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// A cart view and a checkout price a cart the same way, through these functions in this
// order: PriceLines (price lists and tiers), Discount (promotions and coupons, with usage
// counts read only for the promotions that would apply) and Taxes (the tax zone). QuoteCart
// runs the three for the cart view; checkout runs them one per step (price.go, discount.go,
// tax.go) with shipping priced between the first two.

// Item is a line to price: the variant's own price (the fallback) and compare-at price.
type Item struct {
	ProductID   string         `json:"product_id"`
	CategoryIDs []string       `json:"category_ids,omitempty"`
	VariantID   string         `json:"variant_id"`
	Quantity    int64          `json:"quantity"`
	Price       commerce.Money `json:"price"`
	CompareAt   commerce.Money `json:"compare_at"`
}

// PriceLines resolves every item's unit price (see Resolve; lists in SortLists order) and
// returns the lines Evaluate takes with the resolved prices.
func PriceLines(lists []PriceList, group, currency string, now time.Time, items []Item) ([]Line, []UnitPrice) {
	lines := make([]Line, len(items))
	units := make([]UnitPrice, len(items))
	for i, it := range items {
		u := Resolve(lists, group, currency, now, it.VariantID, it.Quantity, it.Price, it.CompareAt)
		units[i] = u
		lines[i] = Line{ProductID: it.ProductID, CategoryIDs: it.CategoryIDs, VariantID: it.VariantID, Quantity: it.Quantity, UnitPrice: u.Amount}
	}
	return lines, units
}

// UsageFunc returns the redemption counts of a promotion: in total and by the cart's
// customer. Discount calls it only for promotions with a limit that would apply.
type UsageFunc func(p *Promotion) (total, customer int64, err error)

// Discount evaluates promotions against cart like Evaluate, reading usage counts lazily: it
// evaluates as if no limit were reached, then fetches the counts of the applied promotions
// that have limits and evaluates again while one of them turns out to be at its limit. Each
// round learns the count of at least one more promotion, so it ends.
func Discount(cart Cart, promotions []Promotion, usage UsageFunc) (Result, error) {
	u := Usage{Total: map[string]int64{}, Customer: map[string]int64{}}
	known := map[string]bool{}
	for {
		res, err := Evaluate(cart, promotions, u)
		if err != nil {
			return Result{}, err
		}
		again := false
		for _, a := range res.Applied {
			if known[a.PromotionID] || usage == nil {
				continue
			}
			p := findPromotion(promotions, a.PromotionID)
			if p == nil || (p.UsageLimit == 0 && p.PerCustomerLimit == 0) {
				continue
			}
			known[a.PromotionID] = true
			total, customer, err := usage(p)
			if err != nil {
				return Result{}, err
			}
			u.Total[p.ID], u.Customer[p.ID] = total, customer
			if (p.UsageLimit > 0 && total >= p.UsageLimit) || (p.PerCustomerLimit > 0 && customer >= p.PerCustomerLimit) {
				again = true
			}
		}
		if !again {
			return res, nil
		}
	}
}

func findPromotion(ps []Promotion, id string) *Promotion {
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i]
		}
	}
	return nil
}

// Taxes taxes a priced cart for an address: the zone FindZone picks (none: no tax, with
// inclusive as the shop's pricing says). allInclusive (the shop's prices include tax) makes
// every zone inclusive; otherwise the zone's own flag decides.
func Taxes(res Result, zones []Zone, country, region string, allInclusive, taxShipping bool) (Tax, bool, error) {
	z, ok := FindZone(zones, country, region)
	if !ok {
		t := Tax{Inclusive: allInclusive, Lines: make([]commerce.Money, len(res.Lines)), Shipping: money(0, res.Currency), Total: money(0, res.Currency)}
		for i := range t.Lines {
			t.Lines[i] = money(0, res.Currency)
		}
		return t, false, nil
	}
	z.Inclusive = z.Inclusive || allInclusive
	t, err := TaxResult(res, z, taxShipping)
	return t, true, err
}

// Book is what the shop prices with: price lists (in SortLists order), promotions (the
// automatic ones and those of the cart's codes suffice) and tax zones.
type Book struct {
	Lists      []PriceList
	Promotions []Promotion
	Zones      []Zone
}

// QuoteInput is a cart to quote.
type QuoteInput struct {
	Currency   string
	CustomerID string
	Group      string
	Codes      []string
	Now        time.Time
	Items      []Item
	Shipping   commerce.Money
	// Country and Region locate the tax zone; empty Country means no tax estimate.
	Country, Region  string
	PricesIncludeTax bool
	TaxShipping      bool
}

// Quote is a priced cart: unit prices (index-aligned with the items), the promotions'
// result and the taxes.
type Quote struct {
	Units  []UnitPrice `json:"units"`
	Result Result      `json:"result"`
	Tax    Tax         `json:"tax"`
	Taxed  bool        `json:"taxed"` // a tax zone matched
}

// QuoteCart prices a cart the way checkout does: PriceLines, Discount, Taxes.
func QuoteCart(book Book, in QuoteInput, usage UsageFunc) (Quote, error) {
	lines, units := PriceLines(book.Lists, in.Group, in.Currency, in.Now, in.Items)
	res, err := Discount(Cart{Lines: lines, Currency: in.Currency, CustomerID: in.CustomerID, Codes: in.Codes, Shipping: in.Shipping, Now: in.Now}, book.Promotions, usage)
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Units: units, Result: res}
	q.Tax, q.Taxed, err = Taxes(res, book.Zones, in.Country, in.Region, in.PricesIncludeTax, in.TaxShipping)
	return q, err
}
