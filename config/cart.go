package config

// Cart configures carts: expiry and abandoned-cart detection.
type Cart struct{}

// defaultCart returns the [cart] defaults.
func defaultCart() Cart { return Cart{} }

// validate reports every bad [cart] key.
func (c Cart) validate(v *validator) {}
