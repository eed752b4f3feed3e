package config

// Click configures the Click adapter.
type Click struct{}

// defaultClick returns the [payments.click] defaults.
func defaultClick() Click { return Click{} }

// validate reports every bad [payments.click] key.
func (c Click) validate(v *validator) {}
