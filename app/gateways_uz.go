package app

import (
	"fmt"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/click"
	"github.com/ultramarket/ultramarket/gateways/payme"
	"github.com/ultramarket/ultramarket/gateways/uzcard"
)

// uzGateways are the configured Payme, Click and UzCard adapters, with their webhooks by
// method ID. Payme and Click keep their own transactions in the store's gateway state.
func (a *App) uzGateways(n payments.Notifier) ([]payments.Gateway, map[string]payments.Webhook, error) {
	var gws []payments.Gateway
	hooks := map[string]payments.Webhook{}
	if c := a.Config.Payments.Payme; c.Enabled {
		key := c.Key
		if c.Sandbox {
			key = c.TestKey
		}
		g, err := payme.New(payme.Config{MerchantID: c.MerchantID, Key: key, CheckoutURL: c.CheckoutURL,
			Notifier: n, Store: a.DB.GatewayState(payme.MethodID)})
		if err != nil {
			return nil, nil, fmt.Errorf("payments.payme: %w", err)
		}
		gws = append(gws, g)
		hooks[payme.MethodID] = g
	}
	if c := a.Config.Payments.Click; c.Enabled {
		g, err := click.New(click.Config{ServiceID: c.ServiceID, MerchantID: c.MerchantID, MerchantUserID: c.MerchantUserID,
			SecretKey: c.SecretKey, CheckoutURL: c.CheckoutURL, APIURL: c.APIURL, Timeout: c.Timeout.Duration,
			Notifier: n, Store: a.DB.GatewayState(click.MethodID)})
		if err != nil {
			return nil, nil, fmt.Errorf("payments.click: %w", err)
		}
		gws = append(gws, g)
		hooks[click.MethodID] = g
	}
	if c := a.Config.Payments.UzCard; c.Enabled {
		g, err := uzcard.New(uzcard.Config{APIBaseURL: c.APIBaseURL, MerchantID: c.MerchantID, TerminalID: c.TerminalID,
			Login: c.Login, Password: c.Password, CallbackLogin: c.CallbackLogin, CallbackPassword: c.CallbackPassword,
			Timeout: c.Timeout.Duration, Notifier: n})
		if err != nil {
			return nil, nil, fmt.Errorf("payments.uzcard: %w", err)
		}
		gws = append(gws, g)
		hooks[uzcard.MethodID] = g
	}
	return gws, hooks, nil
}
