package index

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// batchSource is a catalog.Source that reads many products in one snapshot (the store
// does): Apply then reads a batch's products in one go instead of one snapshot each.
type batchSource interface {
	// ProductsByID returns the products with the given IDs in that order, leaving out the
	// missing ones.
	ProductsByID(ctx context.Context, ids []string) ([]catalog.Product, error)
}

// productReader returns how Apply reads the products ids: from one batch read when the
// source can, else one Source.Product each. A product that is gone is
// catalog.ErrProductNotFound either way.
func (ix *Index) productReader(ctx context.Context, ids []string) (func(id string) (catalog.Product, error), error) {
	bs, ok := ix.src.(batchSource)
	if !ok || len(ids) < 2 {
		return func(id string) (catalog.Product, error) { return ix.src.Product(ctx, id) }, nil
	}
	ps, err := bs.ProductsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*catalog.Product, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	return func(id string) (catalog.Product, error) {
		if p := byID[id]; p != nil {
			return *p, nil
		}
		return catalog.Product{}, catalog.ErrProductNotFound
	}, nil
}
