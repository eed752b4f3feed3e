package store

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/shipping"
)

// ShippingTable is the shop's shipping zones and methods, from memory between writes (the
// checkout step reads no zone or method row).
func (c checkoutTx) ShippingTable() (*shipping.Table, error) {
	ctx := c.tx.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return c.tx.db.shippingTable(ctx)
}
