package config

import (
	"strings"
	"testing"
)

func TestStripePayPalValidation(t *testing.T) {
	scenarios := []struct {
		name string
		mod  func(c *Config)
		want []string // keys reported
	}{
		{name: "defaults (disabled)", mod: func(c *Config) {}},
		{name: "stripe enabled without secrets", mod: func(c *Config) { c.Payments.Stripe.Enabled = true },
			want: []string{"payments.stripe.secret_key", "payments.stripe.webhook_secret"}},
		{name: "stripe enabled", mod: func(c *Config) {
			c.Payments.Stripe = Stripe{Enabled: true, SecretKey: "sk_test_1", WebhookSecret: "whsec_1", APIBaseURL: "http://127.0.0.1:1",
				Timeout: Dur(1), WebhookTolerance: Dur(1)}
		}},
		{name: "stripe bad values", mod: func(c *Config) {
			c.Payments.Stripe.APIBaseURL, c.Payments.Stripe.Timeout, c.Payments.Stripe.WebhookTolerance = "api.stripe.com", Dur(0), Dur(0)
		}, want: []string{"payments.stripe.api_base_url", "payments.stripe.timeout", "payments.stripe.webhook_tolerance"}},
		{name: "paypal enabled without credentials", mod: func(c *Config) { c.Payments.PayPal.Enabled = true },
			want: []string{"payments.paypal.client_id", "payments.paypal.secret", "payments.paypal.webhook_id"}},
		{name: "paypal bad values", mod: func(c *Config) {
			c.Payments.PayPal.APIBaseURL, c.Payments.PayPal.Timeout, c.Payments.PayPal.WebhookTolerance = "ftp://x", Dur(0), Dur(-1)
		}, want: []string{"payments.paypal.api_base_url", "payments.paypal.timeout", "payments.paypal.webhook_tolerance"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := Default()
			sc.mod(&c)
			var v validator
			c.Payments.Stripe.validate(&v)
			c.Payments.PayPal.validate(&v)
			var got []string
			for _, p := range v.problems {
				got = append(got, p.Key)
			}
			if strings.Join(got, ",") != strings.Join(sc.want, ",") {
				t.Fatalf("problems %v, want %v", v.problems, sc.want)
			}
		})
	}
}

func TestStripeSecretFromEnv(t *testing.T) {
	env := map[string]string{"ULTRAMARKET_PAYMENTS_STRIPE_SECRET_KEY": "sk_env", "ULTRAMARKET_PAYMENTS_PAYPAL_WEBHOOK_TOLERANCE": "2m"}
	c := Default()
	if err := c.applyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.Payments.Stripe.SecretKey != "sk_env" || c.Payments.PayPal.WebhookTolerance.Minutes() != 2 {
		t.Fatalf("env not applied: %+v %+v", c.Payments.Stripe, c.Payments.PayPal)
	}
}
