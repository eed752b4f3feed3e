package config

// PayPal configures the PayPal adapter.
type PayPal struct{}

// defaultPayPal returns the [payments.paypal] defaults.
func defaultPayPal() PayPal { return PayPal{} }

// validate reports every bad [payments.paypal] key.
func (c PayPal) validate(v *validator) {}
