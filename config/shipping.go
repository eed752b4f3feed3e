package config

// Shipping configures shipping zones, methods and carriers.
type Shipping struct{}

// defaultShipping returns the [shipping] defaults.
func defaultShipping() Shipping { return Shipping{} }

// validate reports every bad [shipping] key.
func (c Shipping) validate(v *validator) {}
