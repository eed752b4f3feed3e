package app

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// openCatalog sets up the catalog service on the store.
func (a *App) openCatalog(context.Context) error {
	a.Shop = catalog.NewService(a.Catalog, commerce.SystemClock{})
	return nil
}
