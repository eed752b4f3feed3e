package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// shippingParts are the App's shipping components.
type shippingParts struct{}

// openShipping sets up the shipping components (and, when serving, their background work).
func (a *App) openShipping(context.Context) error { return nil }

// shippingDeps are the HTTP routes' shipping components.
func (a *App) shippingDeps() uhttp.ShippingDeps { return uhttp.ShippingDeps{} }

// shipConfig is the checkout step's configuration.
func (a *App) shipConfig() checkout.ShipConfig { return checkout.ShipConfig{} }
