package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// ledgerParts are the App's ledger components.
type ledgerParts struct{}

// openLedger sets up the ledger components (and, when serving, their background work).
func (a *App) openLedger(context.Context) error { return nil }

// ledgerDeps are the HTTP routes' ledger components.
func (a *App) ledgerDeps() uhttp.LedgerDeps { return uhttp.LedgerDeps{} }

// screenConfig is the checkout step's configuration.
func (a *App) screenConfig() checkout.ScreenConfig { return checkout.ScreenConfig{} }
