package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// inventoryParts are the App's inventory components.
type inventoryParts struct{}

// openInventory sets up the inventory components (and, when serving, their background work).
func (a *App) openInventory(context.Context) error { return nil }

// inventoryDeps are the HTTP routes' inventory components.
func (a *App) inventoryDeps() uhttp.InventoryDeps { return uhttp.InventoryDeps{} }

// reserveConfig is the checkout step's configuration.
func (a *App) reserveConfig() checkout.ReserveConfig { return checkout.ReserveConfig{} }
