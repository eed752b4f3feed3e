package config

import (
	"fmt"
	"strings"
	"time"
)

// PayPal configures the PayPal adapter: Orders v2 (create, capture) and refunds through
// PayPal's REST API, and webhooks at POST /api/v1/payments/webhooks/paypal verified by PayPal.
type PayPal struct {
	Enabled          bool     `toml:"enabled" comment:"Offer PayPal (method \"paypal\") at checkout; needs client_id, secret and webhook_id."`
	ClientID         string   `toml:"client_id" comment:"REST app client ID."`
	Secret           string   `toml:"secret" comment:"REST app secret; better set as ULTRAMARKET_PAYMENTS_PAYPAL_SECRET."`
	WebhookID        string   `toml:"webhook_id" comment:"ID PayPal gave the webhook https://<shop>/api/v1/payments/webhooks/paypal (subscribe it to CHECKOUT.ORDER.APPROVED and PAYMENT.CAPTURE.*)."`
	APIBaseURL       string   `toml:"api_base_url" comment:"Base URL of PayPal's REST API: https://api-m.paypal.com live, https://api-m.sandbox.paypal.com sandbox (a local fake in tests)."`
	Timeout          Duration `toml:"timeout" comment:"Longest time one call to PayPal may take; a slower call fails as unavailable (503) and can be retried."`
	WebhookTolerance Duration `toml:"webhook_tolerance" comment:"Oldest PAYPAL-TRANSMISSION-TIME accepted on a webhook; \"0s\" leaves the age to PayPal's signature verification (replays are still applied once)."`
}

// defaultPayPal returns the [payments.paypal] defaults.
func defaultPayPal() PayPal {
	return PayPal{
		APIBaseURL: "https://api-m.paypal.com",
		Timeout:    Dur(10 * time.Second),
	}
}

// validate reports every bad [payments.paypal] key.
func (c PayPal) validate(v *validator) {
	v.check(isBaseURL(c.APIBaseURL), "payments.paypal.api_base_url", fmt.Sprintf("%q is not an absolute http or https URL", c.APIBaseURL))
	v.positive("payments.paypal.timeout", c.Timeout)
	v.check(c.WebhookTolerance.Duration >= 0, "payments.paypal.webhook_tolerance", "must not be negative")
	if c.Enabled {
		v.check(strings.TrimSpace(c.ClientID) != "", "payments.paypal.client_id", "must be set when PayPal is enabled")
		v.check(strings.TrimSpace(c.Secret) != "", "payments.paypal.secret", "must be set when PayPal is enabled")
		v.check(strings.TrimSpace(c.WebhookID) != "", "payments.paypal.webhook_id", "must be set when PayPal is enabled")
	}
}
