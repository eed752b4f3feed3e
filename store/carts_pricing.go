package store

import (
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// CartQuoteOptions are the shop settings a cart view is priced with.
type CartQuoteOptions struct {
	Country, Region  string // the tax zone of the estimate; empty Country: no estimate
	PricesIncludeTax bool
	TaxShipping      bool
}

// CartQuoter prices cart views with the cached pricing book through pricing.QuoteCart, the
// functions checkout's price, discount and tax steps run.
type CartQuoter struct {
	db   *DB
	opts CartQuoteOptions
}

// NewCartQuoter returns the cart quoter on db.
func NewCartQuoter(db *DB, opts CartQuoteOptions) *CartQuoter { return &CartQuoter{db: db, opts: opts} }

var _ cart.Quoter = (*CartQuoter)(nil)

// Quote prices c's available items.
func (q *CartQuoter) Quote(r cart.Reader, c cart.Cart, items []cart.Item) (cart.Pricing, error) {
	cr, ok := r.(cartReader)
	if !ok {
		return cart.Pricing{}, fmt.Errorf("store: cart quote through a foreign reader %T", r)
	}
	sc, ok := cr.r.(scanner)
	if !ok {
		return cart.Pricing{}, fmt.Errorf("store: cart quote through a reader that cannot scan")
	}
	b, err := bookOf(q.db, sc)
	if err != nil {
		return cart.Pricing{}, err
	}
	cur := c.Currency
	zero := commerce.Money{Currency: cur}
	group := ""
	if c.UserID != "" && b.groups {
		if group, err = groupOf(sc, c.UserID); err != nil {
			return cart.Pricing{}, err
		}
	}
	var in []pricing.Item
	var at []int // items index of each quoted item
	cats := map[string][]string{}
	for i, it := range items {
		if !it.Available {
			continue
		}
		pi := pricing.Item{ProductID: it.ProductID, VariantID: it.VariantID, Quantity: it.Quantity, Price: it.UnitPrice}
		if qt, err := cr.Quote(it.VariantID); err == nil {
			pi.CompareAt = qt.CompareAt
		}
		if b.categories {
			cs, ok := cats[it.ProductID]
			if !ok {
				if p, err := productTx(sc, it.ProductID); err == nil {
					cs = p.CategoryPath
				}
				cats[it.ProductID] = cs
			}
			pi.CategoryIDs = cs
		}
		in = append(in, pi)
		at = append(at, i)
	}
	customer := ""
	if c.UserID != "" {
		customer = pricing.CustomerKey(c.UserID, "")
	}
	country := q.opts.Country
	promos := b.promotionsFor(c.Coupons)
	quote, err := pricing.QuoteCart(pricing.Book{Lists: b.lists, Promotions: promos, Zones: b.zones},
		pricing.QuoteInput{Currency: cur, CustomerID: customer, Group: group, Codes: c.Coupons, Now: commerce.SystemClock{}.Now(), Items: in,
			Country: country, Region: q.opts.Region, PricesIncludeTax: q.opts.PricesIncludeTax, TaxShipping: q.opts.TaxShipping},
		func(p *pricing.Promotion) (int64, int64, error) { return usageOf(sc, p, customer) })
	if err != nil {
		return cart.Pricing{}, err
	}
	res := quote.Result
	out := cart.Pricing{Lines: make([]cart.PricedLine, len(items)), Applied: []cart.AppliedPromotion{}, Rejected: []cart.RejectedCoupon{},
		Subtotal: res.Subtotal, Discount: res.OrderDiscount, Tax: quote.Tax.Total, TaxInclusive: quote.Tax.Inclusive, TaxEstimated: quote.Taxed}
	for i := range out.Lines {
		out.Lines[i] = cart.PricedLine{UnitPrice: items[i].UnitPrice, CompareAt: zero, LineTotal: items[i].LineTotal, Discount: zero, Tax: zero}
	}
	for k, i := range at {
		u := quote.Units[k]
		out.Lines[i] = cart.PricedLine{UnitPrice: u.Amount, CompareAt: u.CompareAt, PriceListID: u.ListID, LineTotal: res.Lines[k].Subtotal,
			Discount: res.Lines[k].Discount, Tax: quote.Tax.Lines[k]}
	}
	for _, a := range res.Applied {
		ap := cart.AppliedPromotion{PromotionID: a.PromotionID, Code: a.Code, Kind: string(a.Kind), Amount: a.Amount}
		for i := range promos {
			if promos[i].ID == a.PromotionID {
				ap.Title = promos[i].Title()
				break
			}
		}
		out.Applied = append(out.Applied, ap)
	}
	for _, r := range res.Rejected {
		out.Rejected = append(out.Rejected, cart.RejectedCoupon{Code: r.Code, Reason: string(r.Reason)})
	}
	out.Total = res.Total
	if !quote.Tax.Inclusive {
		if out.Total, err = out.Total.Add(quote.Tax.Total); err != nil {
			return cart.Pricing{}, err
		}
	}
	return out, nil
}
