package config

// Stripe configures the Stripe adapter.
type Stripe struct{}

// defaultStripe returns the [payments.stripe] defaults.
func defaultStripe() Stripe { return Stripe{} }

// validate reports every bad [payments.stripe] key.
func (c Stripe) validate(v *validator) {}
