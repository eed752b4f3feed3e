package store

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// ledgerTx is the double-entry ledger inside an update: payments.Ledger for the payment
// and checkout updates that settle stored value.
type ledgerTx struct{ tx *Tx }

var _ payments.Ledger = ledgerTx{}

var errNoLedger = &commerce.Error{Kind: commerce.EConflict, Code: "method_unavailable", Message: "store: stored value is not available"}

// Spend takes amount from src.
func (l ledgerTx) Spend(payments.Source, commerce.Money, string) error { return errNoLedger }

// Credit gives amount to dst.
func (l ledgerTx) Credit(payments.Source, commerce.Money, string) error { return errNoLedger }
