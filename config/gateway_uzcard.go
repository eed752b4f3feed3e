package config

// UzCard configures the UzCard adapter.
type UzCard struct{}

// defaultUzCard returns the [payments.uzcard] defaults.
func defaultUzCard() UzCard { return UzCard{} }

// validate reports every bad [payments.uzcard] key.
func (c UzCard) validate(v *validator) {}
