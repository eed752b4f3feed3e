package config

import "time"

// UzCard configures the UzCard adapter: UltraMarket calls the processing center's merchant
// API (payment create, status, reverse) and the center calls back
// POST /api/v1/payments/webhooks/uzcard when a payment changes.
type UzCard struct {
	Enabled          bool     `toml:"enabled" comment:"Offer UzCard at checkout (needs api_base_url, login, password and callback_password)."`
	APIBaseURL       string   `toml:"api_base_url" comment:"Base URL of the UzCard merchant API, e.g. https://merchant.uzcard.uz/api/v1."`
	MerchantID       string   `toml:"merchant_id" comment:"Merchant ID given by the processing center."`
	TerminalID       string   `toml:"terminal_id" comment:"Terminal ID given by the processing center."`
	Login            string   `toml:"login" comment:"API login (HTTP Basic authorization of our calls)."`
	Password         string   `toml:"password" comment:"API password (better set as ULTRAMARKET_PAYMENTS_UZCARD_PASSWORD)."`
	CallbackLogin    string   `toml:"callback_login" comment:"Login the processing center sends with its callbacks (HTTP Basic)."`
	CallbackPassword string   `toml:"callback_password" comment:"Password the processing center sends with its callbacks (better set as ULTRAMARKET_PAYMENTS_UZCARD_CALLBACK_PASSWORD)."`
	Timeout          Duration `toml:"timeout" comment:"Longest time one call to the UzCard API may take; a slower call fails as retryable."`
}

// defaultUzCard returns the [payments.uzcard] defaults.
func defaultUzCard() UzCard {
	return UzCard{CallbackLogin: "uzcard", Timeout: Dur(15 * time.Second)}
}

// validate reports every bad [payments.uzcard] key.
func (c UzCard) validate(v *validator) {
	v.positive("payments.uzcard.timeout", c.Timeout)
	if c.APIBaseURL != "" {
		v.check(isBaseURL(c.APIBaseURL), "payments.uzcard.api_base_url", "must be an absolute http or https URL")
	}
	if !c.Enabled {
		return
	}
	v.check(c.APIBaseURL != "", "payments.uzcard.api_base_url", "must be set when UzCard is enabled")
	v.check(c.Login != "" && c.Password != "", "payments.uzcard.password", "login and password must be set when UzCard is enabled")
	v.check(c.CallbackPassword != "", "payments.uzcard.callback_password", "must be set when UzCard is enabled")
}
