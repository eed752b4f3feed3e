package app

import (
	"context"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/store"
)

// openTokens sets up access and refresh tokens (needs JWTSecret) and hands them to the auth
// service, whose sign-in use cases issue them.
func (a *App) openTokens(context.Context) error {
	t, err := auth.NewTokens(auth.TokensConfig{
		Secret:     a.JWTSecret,
		AccessTTL:  a.Config.Auth.AccessTokenTTL.Duration,
		RefreshTTL: a.Config.Auth.RefreshTokenTTL.Duration,
	}, store.NewSessions(a.DB))
	if err != nil {
		return err
	}
	a.Tokens = t
	a.Auth.UseTokens(t)
	return nil
}
