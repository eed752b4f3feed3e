package checkout

// TaxTx is what the tax step reads: tax zones (none yet).
type TaxTx interface{}

// TaxConfig configures the tax step.
type TaxConfig struct{}

// tax computes Order.Taxes, TaxTotal, TaxInclusive and each line's Tax.
func (s *Service) tax(_ Tx, _ *Placement) error { return nil }
