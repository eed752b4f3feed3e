package checkout

import (
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// DiscountTx is what the discount step reads and writes: promotions (from the store's
// cached book), usage counters (read only for promotions with limits that would apply) and
// redemptions (written only for the applied ones).
type DiscountTx interface {
	// Promotions returns the automatic promotions and those of codes.
	Promotions(codes []string) ([]pricing.Promotion, error)
	PromotionUsage(p *pricing.Promotion, customer string) (total, byCustomer int64, err error)
	RedeemPromotion(p *pricing.Promotion, customer string) error
	ProductCategories(productID string) ([]string, error) // the product's category path
}

// DiscountConfig configures the discount step.
type DiscountConfig struct{}

// ErrCouponRejected is a coupon (entered or kept on the cart) that does not apply.
var ErrCouponRejected = &commerce.Error{Kind: commerce.EInvalid, Code: "coupon_not_applicable", Message: "checkout: a coupon does not apply"}

// discount applies promotions and coupons (pricing.Discount, as the cart view does):
// Order.Discounts, DiscountTotal (the goods' discount) and each line's Discount; a free
// shipping promotion lowers ShippingTotal (ship ran before). A code that does not apply —
// past its window or limit, unknown, below its minimum, excluded by stacking — refuses the
// checkout with 422 on coupons[i] (or cart_coupons[i]) and its reason. Applied promotions
// are counted in this same update, so limits hold under concurrent checkouts.
func (s *Service) discount(tx Tx, p *Placement) error {
	o := &p.Order
	var codes []string
	field := map[string]string{}
	for i, c := range p.Input.Coupons {
		n := pricing.NormalizeCode(c)
		if _, dup := field[n]; !dup {
			field[n] = fmt.Sprintf("coupons[%d]", i)
			codes = append(codes, n)
		}
	}
	for i, c := range p.Cart.Coupons {
		n := pricing.NormalizeCode(c)
		if _, dup := field[n]; !dup {
			field[n] = fmt.Sprintf("cart_coupons[%d]", i)
			codes = append(codes, n)
		}
	}
	promos, err := tx.Promotions(codes)
	if err != nil {
		return err
	}
	if len(promos) == 0 && len(codes) == 0 {
		return nil
	}
	lines := make([]pricing.Line, len(o.Lines))
	cats := false
	for i := range promos {
		cats = cats || len(promos[i].Target.CategoryIDs) > 0
	}
	byProduct := map[string][]string{}
	for i, l := range o.Lines {
		lines[i] = pricing.Line{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, UnitPrice: l.UnitPrice}
		if cats {
			c, ok := byProduct[l.ProductID]
			if !ok {
				if c, err = tx.ProductCategories(l.ProductID); err != nil {
					return err
				}
				byProduct[l.ProductID] = c
			}
			lines[i].CategoryIDs = c
		}
	}
	customer := pricing.CustomerKey(p.Buyer.UserID, o.Email)
	res, err := pricing.Discount(pricing.Cart{Lines: lines, Currency: p.Cart.Currency, CustomerID: customer, Codes: codes,
		Shipping: o.ShippingTotal, Now: p.Now}, promos, func(pr *pricing.Promotion) (int64, int64, error) {
		return tx.PromotionUsage(pr, customer)
	})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		var fields []commerce.FieldError
		reasons := map[string]string{}
		for _, r := range res.Rejected {
			f := field[r.Code]
			fields = append(fields, commerce.FieldError{Field: f, Message: "does not apply: " + string(r.Reason)})
			reasons[f] = string(r.Reason)
		}
		e := ErrCouponRejected.WithDetails(map[string]any{"reasons": reasons})
		e.Fields = fields
		return e
	}
	byID := make(map[string]*pricing.Promotion, len(promos))
	for i := range promos {
		byID[promos[i].ID] = &promos[i]
	}
	for _, a := range res.Applied {
		pr := byID[a.PromotionID]
		o.Discounts = append(o.Discounts, orders.Discount{PromotionID: a.PromotionID, Code: a.Code, Title: pr.Title(), Amount: a.Amount})
		if pr != nil {
			if err := tx.RedeemPromotion(pr, customer); err != nil {
				return err
			}
		}
	}
	for i := range o.Lines {
		o.Lines[i].Discount = res.Lines[i].Discount
	}
	o.DiscountTotal = res.OrderDiscount
	if res.ShippingDiscount.Amount > 0 {
		if o.ShippingTotal, err = o.ShippingTotal.Sub(res.ShippingDiscount); err != nil {
			return err
		}
	}
	return nil
}
