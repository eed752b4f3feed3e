package store

import (
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// ReleasePromotions gives back one redemption of every promotion the order applied, counted
// for the customer the checkout counted it for.
func (o orderTx) ReleasePromotions(v orders.Order) error {
	customer := pricing.CustomerKey(v.UserID, v.Email)
	seen := make(map[string]bool, len(v.Discounts))
	for _, d := range v.Discounts {
		if seen[d.PromotionID] {
			continue
		}
		seen[d.PromotionID] = true
		if err := unredeem(o.tx, d.PromotionID, customer); err != nil {
			return err
		}
	}
	return nil
}
