package app

import "context"

func (a *App) openVendors(context.Context) error { return nil }
