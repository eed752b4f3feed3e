package checkout

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// TaxTx is what the tax step reads: the tax zones (from the store's cached book).
type TaxTx interface {
	TaxZones() ([]pricing.Zone, error)
}

// TaxConfig configures the tax step.
type TaxConfig struct {
	PricesIncludeTax bool // every zone's rate is contained in the prices ([pricing] prices_include_tax)
	TaxShipping      bool // shipping is taxed like the goods ([pricing] tax_shipping)
}

// tax computes Order.Taxes, TaxTotal, TaxInclusive and each line's Tax for the shipping
// address's zone (pricing.Taxes, as the cart's estimate does): each discounted line and the
// shipping charge taxed and rounded on their own. No zone for the address: no tax.
func (s *Service) tax(tx Tx, p *Placement) error {
	zones, err := tx.TaxZones()
	if err != nil {
		return err
	}
	o := &p.Order
	cur := p.Cart.Currency
	res := pricing.Result{Currency: cur, Lines: make([]pricing.LineResult, len(o.Lines)), Shipping: o.ShippingTotal, ShippingDiscount: commerce.Money{Currency: cur}}
	for i, l := range o.Lines {
		total, err := l.LineTotal.Sub(l.Discount)
		if err != nil {
			return err
		}
		res.Lines[i] = pricing.LineResult{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, Total: total}
	}
	if res.Shipping.Currency == "" {
		res.Shipping.Currency = cur
	}
	addr := o.ShippingAddress
	t, taxed, err := pricing.Taxes(res, zones, addr.Country, addr.Region, s.cfg.Tax.PricesIncludeTax, s.cfg.Tax.TaxShipping)
	if err != nil {
		return err
	}
	o.TaxInclusive = t.Inclusive
	o.TaxTotal = t.Total
	for i := range o.Lines {
		o.Lines[i].Tax = t.Lines[i]
	}
	if taxed && t.Total.Amount > 0 {
		z, _ := pricing.FindZone(zones, addr.Country, addr.Region)
		name := z.Country
		if z.Region != "" {
			name += "-" + z.Region
		}
		o.Taxes = []orders.Tax{{Name: name, RateBP: z.Rate, Amount: t.Total}}
	}
	return nil
}
