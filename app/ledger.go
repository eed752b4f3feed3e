package app

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/fraud"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// ledgerParts are the App's ledger components: gift cards, wallets, the ledger check and
// the fraud review queue.
type ledgerParts struct {
	Ledger *ledger.Service
	Fraud  *store.Fraud
}

// velocityPurgeEvery is how often fraud velocity counters that count nothing any more are
// deleted (reads ignore their old times anyway).
const velocityPurgeEvery = time.Hour

// openLedger sets up the ledger and the fraud queue and, when serving, the purge of stale
// velocity counters.
func (a *App) openLedger(context.Context) error {
	a.Ledger = ledger.NewService(store.NewLedger(a.DB), nil)
	a.Fraud = store.NewFraud(a.DB)
	a.Fraud.SetRules(a.screenConfig().Rules) // gateway captures count the paying card
	if a.opts.Offline || !a.Config.Fraud.Enabled {
		return nil
	}
	window := a.Config.Fraud.Window.Duration
	a.every("fraud velocity purge", velocityPurgeEvery, func(ctx context.Context, now time.Time) {
		if n, err := a.Fraud.PurgeVelocity(ctx, now, window); err != nil && ctx.Err() == nil {
			a.log.Warn("fraud velocity purge failed", "err", err)
		} else if n > 0 {
			a.log.Debug("fraud velocity counters purged", "rows", n)
		}
	})
	return nil
}

// CheckLedger implements uhttp.LedgerOps (the CLI's `ledger check`).
func (a *App) CheckLedger(ctx context.Context) (ledger.Report, error) { return a.Ledger.Check(ctx) }

var _ uhttp.LedgerOps = (*App)(nil)

// ledgerDeps are the HTTP routes' ledger components.
func (a *App) ledgerDeps() uhttp.LedgerDeps {
	return uhttp.LedgerDeps{Ledger: a.Ledger, FraudQueue: a.Fraud}
}

// screenConfig is the checkout step's configuration: the [fraud] rules.
func (a *App) screenConfig() checkout.ScreenConfig {
	f := a.Config.Fraud
	return checkout.ScreenConfig{Rules: fraud.Rules{Enabled: f.Enabled, Window: f.Window.Duration, MaxOrdersPerAccount: f.MaxOrdersPerAccount,
		MaxOrdersPerIP: f.MaxOrdersPerIP, MaxOrdersPerCard: f.MaxOrdersPerCard, MaxOrderAmount: f.MaxOrderAmount, HoldFirstOrderOver: f.HoldFirstOrderOver}}
}
