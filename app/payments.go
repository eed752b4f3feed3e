package app

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/payments"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// paymentParts are the App's payments components.
type paymentParts struct {
	Payments *payments.Service
}

// openPayment builds the payments service with the enabled built-in methods and every
// configured gateway (Stripe and PayPal, Payme, Click and UzCard) with its webhook.
func (a *App) openPayment(context.Context) error {
	svc, err := payments.New(payments.Config{Store: store.NewPayments(a.DB), Clock: commerce.SystemClock{}, Methods: a.Config.Payments.Methods})
	if err != nil {
		return err
	}
	for _, gws := range []func(payments.Notifier) ([]payments.Gateway, map[string]payments.Webhook, error){a.intlGateways, a.uzGateways} {
		gs, hooks, err := gws(svc)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if err := svc.Register(g); err != nil {
				return err
			}
		}
		for id, w := range hooks {
			svc.RegisterWebhook(id, w)
		}
	}
	a.Payments = svc
	if !a.opts.Offline {
		a.every("payment refund retry", refundRetryInterval, a.retryDueRefunds)
	}
	return nil
}

// refundRetryInterval is how often automatic refunds a gateway could not take are asked
// again.
const refundRetryInterval = time.Minute

// retryDueRefunds asks the gateways again for the automatic refunds still due (money that
// arrived for a cancelled order; see payments.Service.RetryDueRefunds).
func (a *App) retryDueRefunds(ctx context.Context, _ time.Time) {
	ctx = commerce.WithActor(ctx, commerce.Actor{ID: payments.AutoRefundActor})
	n, err := a.Payments.RetryDueRefunds(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Warn("retrying automatic refunds", "settled", n, "err", err)
	case n > 0:
		a.log.Info("automatic refunds settled", "refunds", n)
	}
}

// paymentDeps are the HTTP routes' payments components.
func (a *App) paymentDeps() uhttp.PaymentDeps {
	if a.Payments == nil {
		return uhttp.PaymentDeps{}
	}
	return uhttp.PaymentDeps{Payments: a.Payments, Webhooks: a.Payments.Webhooks()}
}

// payConfig is the checkout step's configuration.
func (a *App) payConfig() checkout.PayConfig { return checkout.PayConfig{Payments: a.Payments} }
