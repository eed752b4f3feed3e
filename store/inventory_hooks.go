package store

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce/inventory"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// The stock side of order changes, called inside other use cases' updates (order
// cancellation, returns, payments, shipping). The rules are inventory's (reserve.go there).

// releaseOrderStock gives back the stock order o holds: its active reservation stops
// reserving; units already committed come back on hand where they left; an order placed
// before reservations gets its lines back in the default warehouse. Releasing twice is a
// no-op.
func releaseOrderStock(tx *Tx, o orders.Order, reason string) error {
	legacy := make([]inventory.Want, len(o.Lines))
	for i, l := range o.Lines {
		legacy[i] = inventory.Want{VariantID: l.VariantID, SKU: l.SKU, Quantity: l.Quantity}
	}
	return inventory.Release(newInvTx(tx), o.ID, legacy, reason, time.Now().UTC(), txActor(tx))
}

// restockOrderLine returns n units of one of o's variants on hand (a received return), in
// the warehouse the order took them from; movement "returned".
func restockOrderLine(tx *Tx, o orders.Order, variantID string, n int64, reason string) error {
	sku := ""
	for _, l := range o.Lines {
		if l.VariantID == variantID {
			sku = l.SKU
		}
	}
	return inventory.Restock(newInvTx(tx), o.ID, variantID, sku, n, reason, time.Now().UTC(), txActor(tx))
}

// commitOrderStock makes the stock order o reserved sold (its payment is captured or it
// ships): on-hand and reserved both drop, sellable units stay. Committing twice, or an order
// without an active reservation, is a no-op.
func commitOrderStock(tx *Tx, o orders.Order) error {
	return inventory.Commit(newInvTx(tx), o.ID, time.Now().UTC(), txActor(tx))
}
