package http

// PricingDeps are the components of the price lists, promotions, coupons and tax zones routes.
type PricingDeps struct{}

// pricingRoutes registers the price lists, promotions, coupons and tax zones routes.
func (s *Server) pricingRoutes() {}
