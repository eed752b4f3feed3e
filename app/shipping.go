package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/shipping"
	"github.com/ultramarket/ultramarket/config"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// shippingParts are the App's shipping components.
type shippingParts struct {
	Shipping *shipping.Service
	// Carriers are the built-in carriers overlaid with [shipping] carriers.
	Carriers *shipping.Carriers
}

// openShipping sets up the shipping components (and, when serving, their background work).
func (a *App) openShipping(context.Context) error {
	a.Carriers = carriers(a.Config.Shipping)
	a.Shipping = shipping.NewService(store.NewShipping(a.DB), a.Carriers, nil)
	return nil
}

// carriers are the built-in carriers with the configured ones added (a configured carrier
// with a built-in ID replaces it).
func carriers(c config.Shipping) *shipping.Carriers {
	cs := shipping.Builtin()
	for _, x := range c.Carriers {
		cs = append(cs, shipping.Manual{CarrierID: x.ID, CarrierName: x.Name, URLTemplate: x.TrackingURL})
	}
	return shipping.NewCarriers(cs...)
}

// shippingDeps are the HTTP routes' shipping components.
func (a *App) shippingDeps() uhttp.ShippingDeps {
	return uhttp.ShippingDeps{Shipping: a.Shipping, Carriers: a.Carriers}
}

// shipConfig is the checkout step's configuration.
func (a *App) shipConfig() checkout.ShipConfig { return checkout.ShipConfig{} }
