package app

import (
	"context"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/store"
)

// sessionPurgeInterval is how often expired sessions and refresh-token rows are deleted.
const sessionPurgeInterval = time.Hour

// openTokens sets up access and refresh tokens (needs JWTSecret), hands them to the auth
// service, whose sign-in use cases issue them, and starts the hourly purge of expired
// sessions and refresh-token rows.
func (a *App) openTokens(context.Context) error {
	sessions := store.NewSessions(a.DB)
	t, err := auth.NewTokens(auth.TokensConfig{
		Secret:       a.JWTSecret,
		KeyID:        a.Config.Auth.JWTKeyID,
		PreviousKeys: previousKeys(a.Config.Auth.JWTPreviousKeys),
		AccessTTL:    a.Config.Auth.AccessTokenTTL.Duration,
		RefreshTTL:   a.Config.Auth.RefreshTokenTTL.Duration,
	}, sessions)
	if err != nil {
		return err
	}
	a.Tokens = t
	a.Auth.UseTokens(t)

	a.purgeEvery("session purge", sessionPurgeInterval, "sessions and refresh tokens", sessions.PurgeExpired)
	return nil
}

// previousKeys turns auth.jwt_previous_keys ("kid:secret" each, checked by config.Validate)
// into the retired keys that still verify access tokens.
func previousKeys(list []string) map[string][]byte {
	keys := make(map[string][]byte, len(list))
	for _, k := range list {
		if kid, secret, ok := strings.Cut(k, ":"); ok {
			keys[kid] = []byte(secret)
		}
	}
	return keys
}
