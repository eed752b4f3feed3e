package app

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/store"
)

// idemPurgeEvery is how often expired Idempotency-Key rows are deleted. Reads ignore expired
// rows anyway; the purge only keeps them from piling up.
const idemPurgeEvery = 10 * time.Minute

// openCommerce sets up the commerce engine's domains in dependency order: stock, prices,
// shipping, stored value, then payments (which settle through the ledger and the gateways).
func (a *App) openCommerce(ctx context.Context) error {
	for _, open := range []func(context.Context) error{a.openInventory, a.openPricing, a.openShipping, a.openLedger, a.openPayment} {
		if err := open(ctx); err != nil {
			return err
		}
	}
	return nil
}

// openOrders sets up carts, checkout, orders and the Idempotency-Key store on the store,
// and (when serving) the periodic purge of expired idempotency rows.
func (a *App) openOrders(ctx context.Context) error {
	clock := commerce.SystemClock{}
	a.Carts = cart.NewService(store.NewCarts(a.DB), clock).WithConfig(a.cartConfig()) // app/pricing.go
	a.Orders = orders.NewService(store.NewOrders(a.DB), clock)
	a.Checkout = checkout.NewService(store.NewCheckout(a.DB), accountEmails{a.Auth}, clock, checkout.Config{
		Price: a.priceConfig(), Ship: a.shipConfig(), Discount: a.discountConfig(), Tax: a.taxConfig(),
		Reserve: a.reserveConfig(), Pay: a.payConfig(), Screen: a.screenConfig(),
	})
	a.Idem = store.NewIdempotency(a.DB)
	if a.opts.Offline {
		return nil
	}
	a.every("idempotency purge", idemPurgeEvery, func(ctx context.Context, now time.Time) {
		if n, err := a.Idem.Purge(ctx, now); err != nil && ctx.Err() == nil {
			a.log.Warn("idempotency purge failed", "err", err)
		} else if n > 0 {
			a.log.Debug("idempotency rows purged", "rows", n)
		}
	})
	return nil
}

// accountEmails gives checkout a signed-in buyer's e-mail address.
type accountEmails struct{ auth *auth.Service }

func (e accountEmails) Email(ctx context.Context, userID string) (string, error) {
	u, err := e.auth.User(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}
