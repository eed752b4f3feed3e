package http

// PaymentDeps are the components of the payments, refunds, methods and gateway webhooks routes.
type PaymentDeps struct{}

// paymentRoutes registers the payments, refunds, methods and gateway webhooks routes.
func (s *Server) paymentRoutes() {}
