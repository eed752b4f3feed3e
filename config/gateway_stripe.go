package config

import (
	"fmt"
	"strings"
	"time"
)

// Stripe configures the Stripe adapter: PaymentIntents and refunds through Stripe's API, and
// signed webhooks at POST /api/v1/payments/webhooks/stripe.
type Stripe struct {
	Enabled          bool     `toml:"enabled" comment:"Offer Stripe (method \"stripe\") at checkout; needs secret_key and webhook_secret."`
	SecretKey        string   `toml:"secret_key" comment:"Stripe secret API key (sk_live_... or a restricted rk_... key); better set as ULTRAMARKET_PAYMENTS_STRIPE_SECRET_KEY."`
	WebhookSecret    string   `toml:"webhook_secret" comment:"Signing secret (whsec_...) of the webhook endpoint https://<shop>/api/v1/payments/webhooks/stripe; better set as ULTRAMARKET_PAYMENTS_STRIPE_WEBHOOK_SECRET."`
	APIBaseURL       string   `toml:"api_base_url" comment:"Base URL of Stripe's API (a local fake in tests)."`
	Timeout          Duration `toml:"timeout" comment:"Longest time one call to Stripe may take; a slower call fails as unavailable (503) and can be retried."`
	WebhookTolerance Duration `toml:"webhook_tolerance" comment:"Oldest Stripe-Signature timestamp accepted; older (replayed) webhooks are refused with 400."`
}

// defaultStripe returns the [payments.stripe] defaults.
func defaultStripe() Stripe {
	return Stripe{
		APIBaseURL:       "https://api.stripe.com",
		Timeout:          Dur(10 * time.Second),
		WebhookTolerance: Dur(5 * time.Minute),
	}
}

// validate reports every bad [payments.stripe] key.
func (c Stripe) validate(v *validator) {
	v.check(isBaseURL(c.APIBaseURL), "payments.stripe.api_base_url", fmt.Sprintf("%q is not an absolute http or https URL", c.APIBaseURL))
	v.positive("payments.stripe.timeout", c.Timeout)
	v.positive("payments.stripe.webhook_tolerance", c.WebhookTolerance)
	if c.Enabled {
		v.check(strings.TrimSpace(c.SecretKey) != "", "payments.stripe.secret_key", "must be set when Stripe is enabled")
		v.check(strings.TrimSpace(c.WebhookSecret) != "", "payments.stripe.webhook_secret", "must be set when Stripe is enabled")
	}
}
