package config

// Payme configures the Payme adapter.
type Payme struct{}

// defaultPayme returns the [payments.payme] defaults.
func defaultPayme() Payme { return Payme{} }

// validate reports every bad [payments.payme] key.
func (c Payme) validate(v *validator) {}
