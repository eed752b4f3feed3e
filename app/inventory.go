package app

import (
	"context"
	"errors"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/inventory"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// inventoryParts are the App's inventory components.
type inventoryParts struct {
	Inventory *inventory.Service
}

// openInventory sets up the inventory service on the store and, when serving, the sweeper
// that cancels the orders whose reservation expired (through the orders service, which
// releases the stock), every inventory.sweep_interval.
func (a *App) openInventory(context.Context) error {
	cfg := a.Config.Inventory
	a.Inventory = inventory.NewService(store.NewInventory(a.DB, store.InventoryOptions{LowStockThreshold: cfg.LowStockThreshold}), commerce.SystemClock{})
	if a.opts.Offline {
		return nil
	}
	a.every("reservation sweeper", cfg.SweepInterval.Duration, func(ctx context.Context, _ time.Time) {
		ctx = commerce.WithActor(ctx, commerce.Actor{ID: "system"})
		if n, err := a.Inventory.Sweep(ctx, a.cancelExpired); err != nil && ctx.Err() == nil {
			a.log.Warn("reservation sweep", "cancelled", n, "err", err)
		} else if n > 0 {
			a.log.Info("orders cancelled: reservation expired", "orders", n)
		}
	})
	return nil
}

// cancelExpired cancels the order of an expired reservation while it is still PENDING and
// unpaid (the version read is the one cancelled, so a payment in between wins); any other
// order is not cancelled and its reservation stops expiring.
func (a *App) cancelExpired(ctx context.Context, orderID string) (bool, error) {
	if a.Orders == nil {
		return false, errors.New("orders are not open")
	}
	o, err := a.Orders.Get(ctx, orders.Viewer{Staff: true}, orderID)
	if errors.Is(err, orders.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if o.Status != orders.StatusPending || (o.PaymentStatus != "" && o.PaymentStatus != orders.PaymentUnpaid) {
		return false, nil
	}
	_, err = a.Orders.SetStatus(ctx, "system", orderID, orders.StatusInput{Status: orders.StatusCancelled, Note: "reservation expired", IfVersion: o.Version})
	return err == nil, err
}

// inventoryDeps are the HTTP routes' inventory components.
func (a *App) inventoryDeps() uhttp.InventoryDeps { return uhttp.InventoryDeps{Inventory: a.Inventory} }

// methodKinds is what the payments service tells of a method.
type methodKinds interface {
	MethodKind(id string) (payments.Kind, bool)
}

// reserveConfig is the checkout step's configuration: reservations expire after
// inventory.reservation_ttl unless paid with an offline method.
func (a *App) reserveConfig() checkout.ReserveConfig {
	return checkout.ReserveConfig{TTL: a.Config.Inventory.ReservationTTL.Duration, Expires: func(method string) bool {
		if mk, ok := any(a.Payments).(methodKinds); ok && a.Payments != nil {
			if k, known := mk.MethodKind(method); known {
				return k != payments.KindOffline
			}
		}
		return method != "cash" && method != "manual" // the offline methods until the payments service tells
	}}
}
