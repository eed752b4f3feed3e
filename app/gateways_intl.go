package app

import "github.com/ultramarket/ultramarket/commerce/payments"

// intlGateways are the configured Stripe and PayPal adapters, with their webhooks by
// method ID.
func (a *App) intlGateways(payments.Notifier) ([]payments.Gateway, map[string]payments.Webhook, error) {
	return nil, nil, nil
}
