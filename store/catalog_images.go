package store

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

var _ catalog.EventUpdater = (*Catalog)(nil)

// UpdateEmit runs fn as one atomic store update, like Update, and appends the events fn
// returns to the outbox in the same batch, after those its writes emitted. The image use
// cases write the product through Tx.SaveProduct (the product save path: record, index rows,
// catalog.product_updated) and return their image event, so a product's image change and
// both its events commit together or not at all.
func (c *Catalog) UpdateEmit(ctx context.Context, fn func(catalog.Tx) ([]commerce.Event, error)) error {
	return c.db.Update(ctx, func(tx *Tx) error {
		evs, err := fn(catalogTx{tx: tx})
		if err != nil {
			return err
		}
		for _, ev := range evs {
			tx.Emit(ev)
		}
		return nil
	})
}
