package app

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/pricing"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// pricingParts are the App's pricing components.
type pricingParts struct {
	Pricing *pricing.Service
}

// openPricing sets up the pricing service and, when serving, the abandoned-cart sweep (it
// uses a.Carts, which openOrders creates after this).
func (a *App) openPricing(context.Context) error {
	a.Pricing = pricing.NewService(store.NewPricing(a.DB), commerce.SystemClock{})
	if a.opts.Offline {
		return nil
	}
	a.every("abandoned-cart sweep", a.Config.Cart.SweepInterval.Duration, func(ctx context.Context, _ time.Time) {
		if a.Carts == nil {
			return
		}
		if n, err := a.Carts.SweepAbandoned(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("abandoned-cart sweep failed", "err", err)
		} else if n > 0 {
			a.log.Info("carts flagged abandoned", "carts", n)
		}
	})
	return nil
}

// cartConfig is the cart service's expiry, abandonment and pricing of views.
func (a *App) cartConfig() cart.Config {
	p := a.Config.Pricing
	return cart.Config{TTL: a.Config.Cart.TTL.Duration, AbandonedAfter: a.Config.Cart.AbandonedAfter.Duration,
		Quoter: store.NewCartQuoter(a.DB, store.CartQuoteOptions{Country: p.EstimateCountry, Region: p.EstimateRegion,
			PricesIncludeTax: p.PricesIncludeTax, TaxShipping: p.TaxShipping})}
}

// pricingDeps are the HTTP routes' pricing components.
func (a *App) pricingDeps() uhttp.PricingDeps { return uhttp.PricingDeps{Pricing: a.Pricing} }

// priceConfig, discountConfig and taxConfig are the checkout steps' configuration.
func (a *App) priceConfig() checkout.PriceConfig       { return checkout.PriceConfig{} }
func (a *App) discountConfig() checkout.DiscountConfig { return checkout.DiscountConfig{} }
func (a *App) taxConfig() checkout.TaxConfig {
	return checkout.TaxConfig{PricesIncludeTax: a.Config.Pricing.PricesIncludeTax, TaxShipping: a.Config.Pricing.TaxShipping}
}
