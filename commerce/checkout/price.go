package checkout

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// PriceTx is what the price step reads: the price lists (served from the store's cached
// book; no scan per checkout) and the buyer's customer group.
type PriceTx interface {
	PriceLists() ([]pricing.PriceList, error) // in pricing.SortLists order
	CustomerGroup(userID string) (string, error)
}

// PriceConfig configures the price step.
type PriceConfig struct{}

// price turns every item into an order line at its unit price now — the buyer's price list
// and quantity tier (pricing.PriceLines, the function the cart view uses), else the
// variant's own price — and sums the subtotal.
func (s *Service) price(tx Tx, p *Placement) error {
	lists, err := tx.PriceLists()
	if err != nil {
		return err
	}
	group := ""
	if p.Buyer.UserID != "" && hasGroupList(lists) {
		if group, err = tx.CustomerGroup(p.Buyer.UserID); err != nil {
			return err
		}
	}
	items := make([]pricing.Item, len(p.Items))
	for i, it := range p.Items {
		v := it.Ref.Variant
		items[i] = pricing.Item{ProductID: it.Ref.ProductID, VariantID: v.ID, Quantity: it.Quantity, Price: v.Price}
		if v.CompareAtPrice != nil {
			items[i].CompareAt = *v.CompareAtPrice
		}
	}
	_, units := pricing.PriceLines(lists, group, p.Cart.Currency, p.Now, items)
	o := &p.Order
	for i, it := range p.Items {
		v := it.Ref.Variant
		unit := units[i].Amount
		if unit.Currency != p.Cart.Currency {
			return ErrCurrencyMixed.WithDetails(map[string]any{"variant_id": v.ID, "cart_currency": p.Cart.Currency, "variant_currency": unit.Currency})
		}
		total, err := unit.Mul(it.Quantity)
		if err != nil {
			return err
		}
		if o.Subtotal, err = o.Subtotal.Add(total); err != nil {
			return err
		}
		o.Lines = append(o.Lines, orders.Line{
			ProductID: it.Ref.ProductID, VariantID: v.ID, SKU: v.SKU, Title: it.Ref.ProductTitle,
			Options: v.Options, Quantity: it.Quantity, UnitPrice: unit, LineTotal: total,
			VendorID: it.Ref.VendorID, WeightGrams: v.WeightGrams,
			Discount: commerce.Money{Currency: p.Cart.Currency}, Tax: commerce.Money{Currency: p.Cart.Currency},
		})
		if ca := units[i].CompareAt; ca.Amount > unit.Amount && ca.Currency == unit.Currency {
			o.Lines[i].CompareAt = &ca
		}
	}
	return nil
}

func hasGroupList(lists []pricing.PriceList) bool {
	for i := range lists {
		if lists[i].CustomerGroup != "" {
			return true
		}
	}
	return false
}
