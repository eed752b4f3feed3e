package config

// Fraud configures fraud rules that hold orders for review.
type Fraud struct{}

// defaultFraud returns the [fraud] defaults.
func defaultFraud() Fraud { return Fraud{} }

// validate reports every bad [fraud] key.
func (c Fraud) validate(v *validator) {}
