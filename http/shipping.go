package http

// ShippingDeps are the components of the shipping zones, methods, rate quotes and carriers routes.
type ShippingDeps struct{}

// shippingRoutes registers the shipping zones, methods, rate quotes and carriers routes.
func (s *Server) shippingRoutes() {}
