package app

import (
	"fmt"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/paypal"
	"github.com/ultramarket/ultramarket/gateways/stripe"
)

// intlGateways are the configured Stripe and PayPal adapters, with their webhooks by
// method ID.
func (a *App) intlGateways(n payments.Notifier) ([]payments.Gateway, map[string]payments.Webhook, error) {
	var gws []payments.Gateway
	hooks := map[string]payments.Webhook{}
	if c := a.Config.Payments.Stripe; c.Enabled {
		g, err := stripe.New(stripe.Config{
			SecretKey: c.SecretKey, WebhookSecret: c.WebhookSecret, BaseURL: c.APIBaseURL,
			Timeout: c.Timeout.Duration, Tolerance: c.WebhookTolerance.Duration,
		}, n)
		if err != nil {
			return nil, nil, fmt.Errorf("payments.stripe: %w", err)
		}
		gws = append(gws, g)
		hooks[stripe.MethodID] = g
	}
	if c := a.Config.Payments.PayPal; c.Enabled {
		g, err := paypal.New(paypal.Config{
			ClientID: c.ClientID, Secret: c.Secret, WebhookID: c.WebhookID, BaseURL: c.APIBaseURL,
			Timeout: c.Timeout.Duration, Tolerance: c.WebhookTolerance.Duration,
		}, n)
		if err != nil {
			return nil, nil, fmt.Errorf("payments.paypal: %w", err)
		}
		gws = append(gws, g)
		hooks[paypal.MethodID] = g
	}
	return gws, hooks, nil
}
