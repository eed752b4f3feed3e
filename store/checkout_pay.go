package store

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// The payment step of checkout (commerce/checkout/pay.go).

// PutNewPayment writes the order's new payment and its index rows.
func (c checkoutTx) PutNewPayment(p payments.Payment) error { return putPayment(c.tx, p, nil) }

// CommitPaidStock makes the stock the order reserved sold: it was paid at checkout.
func (c checkoutTx) CommitPaidStock(o orders.Order) error { return commitOrderStock(c.tx, o) }

// Spend takes stored value through the ledger, in the checkout's update.
func (c checkoutTx) Spend(src payments.Source, amount commerce.Money, ref string) error {
	return ledgerTx{c.tx}.Spend(src, amount, ref)
}

// Credit gives stored value through the ledger, in the checkout's update.
func (c checkoutTx) Credit(dst payments.Source, amount commerce.Money, ref string) error {
	return ledgerTx{c.tx}.Credit(dst, amount, ref)
}
