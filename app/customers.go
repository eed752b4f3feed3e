package app

import "context"

func (a *App) openCustomers(context.Context) error { return nil }
