package config

// Payments configures payment methods and the gateways' adapters.
type Payments struct {
	Stripe Stripe `toml:"stripe" comment:"Stripe (PaymentIntents, refunds, signed webhooks)."`
	PayPal PayPal `toml:"paypal" comment:"PayPal (Orders v2 capture and refund, verified webhooks)."`
	Payme  Payme  `toml:"payme" comment:"Payme (merchant JSON-RPC API)."`
	Click  Click  `toml:"click" comment:"Click (Prepare/Complete with an MD5 signature)."`
	UzCard UzCard `toml:"uzcard" comment:"UzCard."`
}

// defaultPayments returns the [payments] defaults.
func defaultPayments() Payments {
	return Payments{Stripe: defaultStripe(), PayPal: defaultPayPal(), Payme: defaultPayme(), Click: defaultClick(), UzCard: defaultUzCard()}
}

// validate reports every bad [payments] key.
func (c Payments) validate(v *validator) {
	c.Stripe.validate(v)
	c.PayPal.validate(v)
	c.Payme.validate(v)
	c.Click.validate(v)
	c.UzCard.validate(v)
}
