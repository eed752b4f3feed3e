package config

import "fmt"

// Payments configures payment methods and the gateways' adapters.
type Payments struct {
	Methods []string `toml:"methods" comment:"Built-in payment methods offered: cash, manual (a card terminal not linked to the shop; staff records the payment), wallet (the customer's store credit), gift_card. Every configured gateway below is offered too."`
	Stripe  Stripe   `toml:"stripe" comment:"Stripe (PaymentIntents, refunds, signed webhooks)."`
	PayPal  PayPal   `toml:"paypal" comment:"PayPal (Orders v2 capture and refund, verified webhooks)."`
	Payme   Payme    `toml:"payme" comment:"Payme (merchant JSON-RPC API)."`
	Click   Click    `toml:"click" comment:"Click (Prepare/Complete with an MD5 signature)."`
	UzCard  UzCard   `toml:"uzcard" comment:"UzCard."`
}

// defaultPayments returns the [payments] defaults.
func defaultPayments() Payments {
	return Payments{Methods: []string{"cash", "manual", "wallet", "gift_card"}, Stripe: defaultStripe(), PayPal: defaultPayPal(), Payme: defaultPayme(), Click: defaultClick(), UzCard: defaultUzCard()}
}

// validate reports every bad [payments] key.
func (c Payments) validate(v *validator) {
	seen := map[string]bool{}
	for _, m := range c.Methods {
		v.oneOf("payments.methods", m, "cash", "manual", "wallet", "gift_card")
		v.check(!seen[m], "payments.methods", fmt.Sprintf("%q is listed twice", m))
		seen[m] = true
	}
	c.Stripe.validate(v)
	c.PayPal.validate(v)
	c.Payme.validate(v)
	c.Click.validate(v)
	c.UzCard.validate(v)
}
