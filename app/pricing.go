package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// pricingParts are the App's pricing components.
type pricingParts struct{}

// openPricing sets up the pricing components (and, when serving, their background work).
func (a *App) openPricing(context.Context) error { return nil }

// pricingDeps are the HTTP routes' pricing components.
func (a *App) pricingDeps() uhttp.PricingDeps { return uhttp.PricingDeps{} }

// priceConfig, discountConfig and taxConfig are the checkout steps' configuration.
func (a *App) priceConfig() checkout.PriceConfig       { return checkout.PriceConfig{} }
func (a *App) discountConfig() checkout.DiscountConfig { return checkout.DiscountConfig{} }
func (a *App) taxConfig() checkout.TaxConfig           { return checkout.TaxConfig{} }
