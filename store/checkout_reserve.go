package store

import "github.com/ultramarket/ultramarket/commerce/inventory"

// Inventory is the checkout's view of the inventory inside its update (the reserve step).
func (c checkoutTx) Inventory() inventory.Tx { return newInvTx(c.tx) }
