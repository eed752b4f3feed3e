package app

import "context"

// openTokens sets up access and refresh tokens (needs JWTSecret).
func (a *App) openTokens(ctx context.Context) error { return nil }
