package app

import (
	"context"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ultramarket/ultramarket/auth"
)

// TestJWTKeyRotationFromConfig: after a rotation (new auth.jwt_key_id and jwt_secret, the old
// pair in jwt_previous_keys) a token signed before it still verifies and new tokens carry the
// new kid; once the old key is removed from the config its tokens are refused.
func TestJWTKeyRotationFromConfig(t *testing.T) {
	ctx := context.Background()
	const oldSecret, newSecret = "the first signing secret, 32+ bytes", "the second signing secret, 32+ bytes"
	cfg := testConfig(t)
	cfg.Auth.JWTSecret, cfg.Auth.JWTKeyID = oldSecret, "2025-01"
	login := func(a *App) string {
		t.Helper()
		in, err := a.Auth.Login(ctx, "ann@shop.example", "a long passphrase 42")
		if err != nil {
			t.Fatal(err)
		}
		return in.AccessToken
	}
	kid := func(token string) any {
		t.Helper()
		tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Header["kid"]
	}

	a := openApp(t, cfg, Options{})
	if _, err := a.Auth.CreateUser(ctx, auth.CreateUserInput{Email: "ann@shop.example", Password: "a long passphrase 42"}); err != nil {
		t.Fatal(err)
	}
	before := login(a)
	if kid(before) != "2025-01" {
		t.Fatalf("kid %v, want the configured 2025-01", kid(before))
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}

	cfg.Auth.JWTSecret, cfg.Auth.JWTKeyID = newSecret, "2025-02"
	cfg.Auth.JWTPreviousKeys = []string{"2025-01:" + oldSecret}
	b := openApp(t, cfg, Options{})
	if _, err := b.Tokens.VerifyAccess(ctx, before); err != nil {
		t.Fatalf("token of the previous key after rotation: %v", err)
	}
	after := login(b)
	if kid(after) != "2025-02" {
		t.Fatalf("new token's kid %v, want 2025-02", kid(after))
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}

	cfg.Auth.JWTPreviousKeys = nil
	c := openApp(t, cfg, Options{})
	if _, err := c.Tokens.VerifyAccess(ctx, before); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("token of a removed key: %v, want invalid_token", err)
	}
	if _, err := c.Tokens.VerifyAccess(ctx, after); err != nil {
		t.Fatalf("token of the current key: %v", err)
	}
}
