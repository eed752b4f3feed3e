package app

import "context"

func (a *App) openAudit(context.Context) error { return nil }
