package config

import (
	"strings"
	"time"
)

// Click configures the Click adapter: Click calls the SHOP API (Prepare, Complete) at
// POST /api/v1/payments/webhooks/click, signed with MD5 over secret_key.
type Click struct {
	Enabled        bool     `toml:"enabled" comment:"Offer Click at checkout (needs service_id, merchant_id and secret_key)."`
	ServiceID      string   `toml:"service_id" comment:"Service ID from the Click merchant cabinet."`
	MerchantID     string   `toml:"merchant_id" comment:"Merchant ID from the Click merchant cabinet."`
	MerchantUserID string   `toml:"merchant_user_id" comment:"Merchant user ID from the Click merchant cabinet (the merchant API's Auth header)."`
	SecretKey      string   `toml:"secret_key" comment:"Secret key that signs Click's calls (better set as ULTRAMARKET_PAYMENTS_CLICK_SECRET_KEY)."`
	CheckoutURL    string   `toml:"checkout_url" comment:"Click payment page the shopper is sent to."`
	APIURL         string   `toml:"api_url" comment:"Click merchant API (payment reversals for refunds)."`
	Timeout        Duration `toml:"timeout" comment:"Longest time one call to the Click merchant API may take; a slower call fails as retryable."`
}

// defaultClick returns the [payments.click] defaults.
func defaultClick() Click {
	return Click{CheckoutURL: "https://my.click.uz/services/pay", APIURL: "https://api.click.uz/v2/merchant", Timeout: Dur(15 * time.Second)}
}

// validate reports every bad [payments.click] key.
func (c Click) validate(v *validator) {
	v.check(isBaseURL(c.CheckoutURL), "payments.click.checkout_url", "must be an absolute http or https URL")
	v.check(isBaseURL(c.APIURL), "payments.click.api_url", "must be an absolute http or https URL")
	v.positive("payments.click.timeout", c.Timeout)
	if !c.Enabled {
		return
	}
	v.check(isDigits(c.ServiceID), "payments.click.service_id", "must be the numeric service ID when Click is enabled")
	v.check(isDigits(c.MerchantID), "payments.click.merchant_id", "must be the numeric merchant ID when Click is enabled")
	v.check(c.SecretKey != "", "payments.click.secret_key", "must be set when Click is enabled")
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
