package store

import "github.com/ultramarket/ultramarket/commerce/orders"

// The stock side of order changes, called inside other use cases' updates (order
// cancellation, returns, payments).

// releaseOrderStock gives back the stock order o holds.
func releaseOrderStock(tx *Tx, o orders.Order, _ string) error {
	for _, l := range o.Lines {
		if err := returnStock(tx, l.VariantID, l.Quantity); err != nil {
			return err
		}
	}
	return nil
}

// restockOrderLine returns n units of one of o's variants.
func restockOrderLine(tx *Tx, _ orders.Order, variantID string, n int64, _ string) error {
	return returnStock(tx, variantID, n)
}

// commitOrderStock makes the stock order o reserved sold (its payment is captured).
func commitOrderStock(_ *Tx, _ orders.Order) error { return nil }
