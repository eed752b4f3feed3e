package cart

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Config tunes the cart service; zero values mean the defaults.
type Config struct {
	TTL            time.Duration // a cart untouched this long expires; 0 = TTL
	AbandonedAfter time.Duration // idle time after which an account cart is abandoned; 0 = 4h
	// Quoter prices views with the shop's price lists, promotions and taxes; nil prices
	// them with the variants' own prices only.
	Quoter Quoter
}

// Quoter prices a cart's available items the way checkout will (the store adapter runs the
// pricing domain's shared quote on its book of price lists, promotions and tax zones).
type Quoter interface {
	// Quote prices c's items (View.Items, index-aligned; unavailable ones are skipped and
	// get zero lines) as read through r.
	Quote(r Reader, c Cart, items []Item) (Pricing, error)
}

// Pricing is a cart priced by the shop's rules.
type Pricing struct {
	Lines        []PricedLine       `json:"lines"`
	Applied      []AppliedPromotion `json:"applied"`
	Rejected     []RejectedCoupon   `json:"rejected"`
	Subtotal     commerce.Money     `json:"subtotal"`
	Discount     commerce.Money     `json:"discount"`
	Tax          commerce.Money     `json:"tax"`
	TaxInclusive bool               `json:"tax_inclusive"`
	TaxEstimated bool               `json:"tax_estimated"` // a tax zone applied to the estimate
	Total        commerce.Money     `json:"total"`
}

// PricedLine is one item's price: the unit price (from PriceListID, or the variant's own
// when empty), the compare-at price, the line total before discounts, the discount and tax.
type PricedLine struct {
	UnitPrice   commerce.Money
	CompareAt   commerce.Money
	PriceListID string
	LineTotal   commerce.Money
	Discount    commerce.Money
	Tax         commerce.Money
}

// AppliedPromotion is a promotion that took effect on the cart.
type AppliedPromotion struct {
	PromotionID string         `json:"promotion_id"`
	Code        string         `json:"code,omitempty"`
	Title       string         `json:"title"` // the promotion's name, else its code, else its kind
	Kind        string         `json:"kind"`
	Amount      commerce.Money `json:"amount"`
}

// RejectedCoupon is a code of the cart that does not apply now, and why.
type RejectedCoupon struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// applyPricing puts p's prices into the view's available items and totals.
func applyPricing(v *View, p Pricing) {
	for i := range v.Items {
		it := &v.Items[i]
		if !it.Available || i >= len(p.Lines) {
			continue
		}
		it.UnitPrice, it.LineTotal = p.Lines[i].UnitPrice, p.Lines[i].LineTotal
	}
	v.Totals.Subtotal, v.Totals.Total = p.Subtotal, p.Total
	v.Pricing = &p
}
