package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// BenchmarkCheckoutPromotions is BenchmarkCheckout with the shop's pricing in play: a price
// list for the hot variants (with a tier), 20 automatic promotions of every kind (one with a
// usage limit, so its counter is read and written by every order), a coupon-only promotion
// and a tax zone. The book is served from the store's cache.
//
//	go test ./store -run '^$' -bench CheckoutPromotions -benchtime 3s
func BenchmarkCheckoutPromotions(b *testing.B) {
	for _, buyers := range []int{64} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) {
			ctx := context.Background()
			s, fs, hot := benchShop(b)
			svc := pricing.NewService(NewPricing(s.db), nil)
			prices := map[string]pricing.VariantPrice{}
			for _, v := range hot {
				prices[v] = pricing.VariantPrice{Amount: 950, CompareAt: 1200, Tiers: []pricing.Tier{{MinQuantity: 5, Amount: 900}}}
			}
			if _, err := svc.SavePriceList(ctx, "", pricing.PriceList{Name: "hot", Currency: "USD", Prices: prices}, 0); err != nil {
				b.Fatal(err)
			}
			for i := range 20 {
				p := pricing.Promotion{Stackable: i%2 == 0, Priority: i}
				switch i % 4 {
				case 0:
					p.Kind, p.Percent = pricing.KindPercentage, int64(100+i*10)
				case 1:
					p.Kind, p.Amount = pricing.KindFixedAmount, commerce.Money{Amount: int64(10 + i), Currency: "USD"}
				case 2:
					p.Kind = pricing.KindFreeShipping
				case 3:
					p.Kind, p.BuyX, p.GetY, p.GetYPercent = pricing.KindBuyXGetY, 2, 1, 5000
				}
				if i == 0 {
					p.UsageLimit = 1 << 40
				}
				if i%5 == 4 {
					p.Target.ProductIDs = []string{"elsewhere"}
				}
				if _, err := svc.SavePromotion(ctx, "", pricing.PromotionInput{Promotion: p}, 0); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := svc.SavePromotion(ctx, "", pricing.PromotionInput{Promotion: pricing.Promotion{Code: "VIP", Kind: pricing.KindPercentage, Percent: 5000}}, 0); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.SaveTaxZone(ctx, "", pricing.TaxZone{Zone: pricing.Zone{Country: "UZ", Rate: 1200, Inclusive: true}}, 0); err != nil {
				b.Fatal(err)
			}
			carts := benchCarts(b, s, b.N, hot)
			in := input("")
			runWriters(b, buyers, fs, func(i int64) error {
				in := in
				in.CartID = carts[i]
				res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: carts[i]})
				if err == nil && (res.Order.DiscountTotal.Amount == 0 || res.Order.TaxTotal.Amount == 0) {
					return fmt.Errorf("order not discounted or taxed: %+v", res.Order)
				}
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
