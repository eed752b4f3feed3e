package checkout

// DiscountTx is what the discount step reads and writes: promotions, coupons and their
// usage counters (none yet).
type DiscountTx interface{}

// DiscountConfig configures the discount step.
type DiscountConfig struct{}

// discount applies promotions and coupons: Order.Discounts, DiscountTotal and each line's
// Discount.
func (s *Service) discount(_ Tx, _ *Placement) error { return nil }
