package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ultramarket/ultramarket/commerce"
)

var (
	oldSecret = []byte("the old signing secret, 32 bytes+")
	newSecret = []byte("the new signing secret, 32 bytes+")
)

// TestKeyRotation: a token signed with a key that was rotated out verifies while that key is
// listed as a previous key, is refused once the key is removed, and new tokens carry the new
// kid (signed with the new secret only).
func TestKeyRotation(t *testing.T) {
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	u := User{ID: commerce.NewID(), Role: RoleCustomer}
	before, err := NewTokens(TokensConfig{Secret: oldSecret, KeyID: "k1", Clock: clock}, newMemSessions())
	if err != nil {
		t.Fatal(err)
	}
	oldTok, err := before.signAccess(u, commerce.NewID(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	rotated, err := NewTokens(TokensConfig{Secret: newSecret, KeyID: "k2", Clock: clock,
		PreviousKeys: map[string][]byte{"k1": oldSecret}}, newMemSessions())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := rotated.VerifyAccess(ctx, oldTok); err != nil || p.UserID != u.ID {
		t.Fatalf("token of the previous key after rotation: %+v, %v", p, err)
	}
	newTok, err := rotated.signAccess(u, commerce.NewID(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(newTok, &accessClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["kid"] != "k2" {
		t.Fatalf("new token's kid = %v, want k2", parsed.Header["kid"])
	}
	if _, err := rotated.VerifyAccess(ctx, newTok); err != nil {
		t.Fatalf("new token: %v", err)
	}
	// The old instance knows neither the new kid nor the new secret.
	if _, err := before.VerifyAccess(ctx, newTok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("instance without the new key accepted the new token: %v", err)
	}

	retired, err := NewTokens(TokensConfig{Secret: newSecret, KeyID: "k2", Clock: clock}, newMemSessions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := retired.VerifyAccess(ctx, oldTok); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token of a removed key: %v, want invalid_token", err)
	}
	if _, err := retired.VerifyAccess(ctx, newTok); err != nil {
		t.Fatalf("new token after removing the old key: %v", err)
	}
}

// TestKeyRotationAttacks: a previous key verifies only tokens that name its own kid; the
// kid of a retired key is refused; a token signed HS256 with an RSA public key as the HMAC
// secret (the classic RS/HS confusion) is refused.
func TestKeyRotationAttacks(t *testing.T) {
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	now := clock.Now()
	tk, err := NewTokens(TokensConfig{Secret: newSecret, KeyID: "k2", Clock: clock,
		PreviousKeys: map[string][]byte{"k1": oldSecret}}, newMemSessions())
	if err != nil {
		t.Fatal(err)
	}
	claims := &accessClaims{Role: RoleCustomer, SID: commerce.NewID(), RegisteredClaims: jwt.RegisteredClaims{
		Issuer: DefaultIssuer, Subject: commerce.NewID(), Audience: jwt.ClaimStrings{accessAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: commerce.NewID(),
	}}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	scenarios := []struct {
		name  string
		token string
		ok    bool
	}{
		{"control: previous key with its kid", forge(t, jwt.SigningMethodHS256, oldSecret, claims, map[string]any{"kid": "k1"}), true},
		{"control: current key with its kid", forge(t, jwt.SigningMethodHS256, newSecret, claims, map[string]any{"kid": "k2"}), true},
		{"previous key under the current kid", forge(t, jwt.SigningMethodHS256, oldSecret, claims, map[string]any{"kid": "k2"}), false},
		{"current key under the previous kid", forge(t, jwt.SigningMethodHS256, newSecret, claims, map[string]any{"kid": "k1"}), false},
		{"kid of a key never configured", forge(t, jwt.SigningMethodHS256, newSecret, claims, map[string]any{"kid": "k0"}), false},
		{"HS256 with an RSA public key (PEM) as secret", forge(t, jwt.SigningMethodHS256, pubPEM, claims, map[string]any{"kid": "k2"}), false},
		{"HS256 with an RSA public key (DER) as secret", forge(t, jwt.SigningMethodHS256, der, claims, map[string]any{"kid": "k1"}), false},
		{"RS256 with kid of the previous key", forge(t, jwt.SigningMethodRS256, rsaKey, claims, map[string]any{"kid": "k1"}), false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := tk.VerifyAccess(context.Background(), sc.token)
			if sc.ok && err != nil {
				t.Fatal(err)
			}
			if !sc.ok && !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("got %v, want invalid_token", err)
			}
		})
	}
}

func TestKeyRotationConfig(t *testing.T) {
	scenarios := []struct {
		name string
		prev map[string][]byte
		ok   bool
	}{
		{"one previous key", map[string][]byte{"k1": oldSecret}, true},
		{"previous key reuses the signing kid", map[string][]byte{"k2": oldSecret}, false},
		{"short previous secret", map[string][]byte{"k1": oldSecret[:31]}, false},
		{"empty kid", map[string][]byte{"": oldSecret}, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := NewTokens(TokensConfig{Secret: newSecret, KeyID: "k2", PreviousKeys: sc.prev}, newMemSessions())
			if (err == nil) != sc.ok {
				t.Fatalf("NewTokens: %v, want ok=%v", err, sc.ok)
			}
		})
	}
}
