package config

// Pricing configures price lists, promotions and taxes.
type Pricing struct{}

// defaultPricing returns the [pricing] defaults.
func defaultPricing() Pricing { return Pricing{} }

// validate reports every bad [pricing] key.
func (c Pricing) validate(v *validator) {}
