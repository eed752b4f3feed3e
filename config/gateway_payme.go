package config

import "strings"

// Payme configures the Payme adapter: Payme calls the merchant API (JSON-RPC) at
// POST /api/v1/payments/webhooks/payme with Basic authorization "Paycom:<key>".
type Payme struct {
	Enabled     bool   `toml:"enabled" comment:"Offer Payme at checkout (needs merchant_id and key)."`
	MerchantID  string `toml:"merchant_id" comment:"Cash register (kassa) ID from the Payme merchant cabinet."`
	Key         string `toml:"key" comment:"Cash register key: Payme authorizes its calls with \"Paycom:<key>\" (better set as ULTRAMARKET_PAYMENTS_PAYME_KEY)."`
	TestKey     string `toml:"test_key" comment:"Test key of the Payme sandbox, used instead of key when sandbox is true."`
	Sandbox     bool   `toml:"sandbox" comment:"Use the Payme sandbox: calls are authorized with test_key."`
	CheckoutURL string `toml:"checkout_url" comment:"Payme checkout page the shopper is sent to (the sandbox's is https://checkout.test.paycom.uz)."`
}

// defaultPayme returns the [payments.payme] defaults.
func defaultPayme() Payme { return Payme{CheckoutURL: "https://checkout.paycom.uz"} }

// validate reports every bad [payments.payme] key.
func (c Payme) validate(v *validator) {
	v.check(isBaseURL(c.CheckoutURL), "payments.payme.checkout_url", "must be an absolute http or https URL")
	if !c.Enabled {
		return
	}
	v.check(strings.TrimSpace(c.MerchantID) != "", "payments.payme.merchant_id", "must be set when Payme is enabled")
	if c.Sandbox {
		v.check(c.TestKey != "", "payments.payme.test_key", "must be set when sandbox is true")
	} else {
		v.check(c.Key != "", "payments.payme.key", "must be set when Payme is enabled")
	}
}
