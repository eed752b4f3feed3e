package app

import "github.com/ultramarket/ultramarket/commerce/payments"

// uzGateways are the configured Payme, Click and UzCard adapters, with their webhooks by
// method ID.
func (a *App) uzGateways(payments.Notifier) ([]payments.Gateway, map[string]payments.Webhook, error) {
	return nil, nil, nil
}
