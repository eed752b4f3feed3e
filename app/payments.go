package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/checkout"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// paymentParts are the App's payments components.
type paymentParts struct{}

// openPayment sets up the payments components (and, when serving, their background work).
func (a *App) openPayment(context.Context) error { return nil }

// paymentDeps are the HTTP routes' payments components.
func (a *App) paymentDeps() uhttp.PaymentDeps { return uhttp.PaymentDeps{} }

// payConfig is the checkout step's configuration.
func (a *App) payConfig() checkout.PayConfig { return checkout.PayConfig{} }
