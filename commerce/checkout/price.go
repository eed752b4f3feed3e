package checkout

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// PriceTx is what the price step reads: price lists and tiers (none yet).
type PriceTx interface{}

// PriceConfig configures the price step.
type PriceConfig struct{}

// price turns every item into an order line at its unit price now and sums the subtotal.
func (s *Service) price(_ Tx, p *Placement) error {
	o := &p.Order
	for _, it := range p.Items {
		v := it.Ref.Variant
		if v.Price.Currency != p.Cart.Currency {
			return ErrCurrencyMixed.WithDetails(map[string]any{"variant_id": v.ID, "cart_currency": p.Cart.Currency, "variant_currency": v.Price.Currency})
		}
		total, err := v.Price.Mul(it.Quantity)
		if err != nil {
			return err
		}
		if o.Subtotal, err = o.Subtotal.Add(total); err != nil {
			return err
		}
		o.Lines = append(o.Lines, orders.Line{
			ProductID: it.Ref.ProductID, VariantID: v.ID, SKU: v.SKU, Title: it.Ref.ProductTitle,
			Options: v.Options, Quantity: it.Quantity, UnitPrice: v.Price, LineTotal: total,
			VendorID: it.Ref.VendorID, WeightGrams: v.WeightGrams,
			Discount: commerce.Money{Currency: p.Cart.Currency}, Tax: commerce.Money{Currency: p.Cart.Currency},
		})
	}
	return nil
}
