package http

import "github.com/ultramarket/ultramarket/commerce/shipping"

// ShippingDeps are the components of the shipping zones, methods, rate quotes and carriers routes.
type ShippingDeps struct {
	Shipping *shipping.Service
	// Carriers are the shop's carriers (built-in and configured); orders use them for
	// tracking links.
	Carriers *shipping.Carriers
}

// shippingRoutes registers the shipping zones, methods, rate quotes and carriers routes.
func (s *Server) shippingRoutes() {}
