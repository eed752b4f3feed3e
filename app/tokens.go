package app

import (
	"context"
	"strings"
	"sync"
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

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(sessionPurgeInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n, err := sessions.PurgeExpired(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Warn("purging expired sessions", "err", err, "purged", n)
			case n > 0:
				a.log.Info("purged expired sessions and refresh tokens", "rows", n)
			}
		}
	})
	a.onClose("session purge", func(context.Context) error { cancel(); wg.Wait(); return nil })
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
