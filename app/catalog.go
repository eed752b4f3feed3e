package app

import "context"

// openCatalog sets up the catalog service on the store.
func (a *App) openCatalog(ctx context.Context) error { return nil }
