package app

import "context"

func (a *App) openMail(context.Context) error { return nil }
