package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ultramarket/ultramarket/commerce"
)

// memSessions is an in-memory Sessions for the service tests; store/sessions_test.go covers
// the Pebble one. Each method holds the lock for its whole read-modify-write, like one
// store update.
type memSessions struct {
	mu       sync.Mutex
	sessions map[string]Session
	tokens   map[string]RefreshToken // hex hash → row
	events   []string
}

func newMemSessions() *memSessions {
	return &memSessions{sessions: map[string]Session{}, tokens: map[string]RefreshToken{}}
}

func (m *memSessions) CreateSession(_ context.Context, s Session, first NewRefreshRow) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = s
	m.tokens[hex.EncodeToString(first.Hash)] = first.Row
	m.events = append(m.events, EventLoggedIn)
	return nil
}

func (m *memSessions) RefreshToken(_ context.Context, hash []byte) (RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hex.EncodeToString(hash)]
	if !ok {
		return RefreshToken{}, ErrTokenInvalid
	}
	return t, nil
}

func (m *memSessions) UpdateSession(_ context.Context, hash []byte, fn func(*RefreshToken, *Session) (*NewRefreshRow, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hex.EncodeToString(hash)]
	if !ok {
		return ErrTokenInvalid
	}
	old := m.sessions[t.SessionID]
	s := old
	next, err := fn(&t, &s)
	if err != nil {
		return err
	}
	m.tokens[hex.EncodeToString(hash)] = t
	if next != nil {
		m.tokens[hex.EncodeToString(next.Hash)] = next.Row
	}
	m.put(old, s)
	return nil
}

func (m *memSessions) put(old, s Session) {
	m.sessions[s.ID] = s
	if s.Revoked && !old.Revoked {
		m.events = append(m.events, EventSessionRevoked+":"+s.RevokeReason)
	}
}

func (m *memSessions) RevokeSession(_ context.Context, id string, at time.Time, reason string, fn func(*Session) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.sessions[id]
	if !ok {
		return ErrSessionNotFound
	}
	s := old
	if err := fn(&s); err != nil {
		return err
	}
	s.Revoke(at, reason)
	m.put(old, s)
	return nil
}

func (m *memSessions) RevokeUserSessions(_ context.Context, userID string, at time.Time, reason string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, old := range m.sessions {
		s := old
		if s.UserID == userID && s.Revoke(at, reason) {
			m.put(old, s)
			ids = append(ids, id)
		}
	}
	return ids, nil
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newTestTokens(t testing.TB, clock commerce.Clock) (*Tokens, *memSessions) {
	t.Helper()
	ms := newMemSessions()
	tk, err := NewTokens(TokensConfig{Secret: testSecret, Clock: clock}, ms)
	if err != nil {
		t.Fatal(err)
	}
	return tk, ms
}

func TestTokensConfigValidate(t *testing.T) {
	scenarios := []struct {
		name   string
		cfg    TokensConfig
		fields []string
	}{
		{"defaults with a secret", TokensConfig{Secret: testSecret}, nil},
		{"no secret", TokensConfig{}, []string{"secret"}},
		{"short secret", TokensConfig{Secret: testSecret[:31]}, []string{"secret"}},
		{"negative access ttl", TokensConfig{Secret: testSecret, AccessTTL: -time.Second}, []string{"access_token_ttl"}},
		{"refresh not longer than access", TokensConfig{Secret: testSecret, AccessTTL: time.Hour, RefreshTTL: time.Hour}, []string{"refresh_token_ttl"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := sc.cfg.Validate()
			var got []string
			if e := commerce.AsError(err); e != nil {
				for _, f := range e.Fields {
					got = append(got, f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(sc.fields, ",") {
				t.Fatalf("fields %v, want %v (%v)", got, sc.fields, err)
			}
		})
	}
	if _, err := NewTokens(TokensConfig{Secret: testSecret}, nil); err == nil {
		t.Fatal("NewTokens without a session store succeeded")
	}
}

// forge signs claims with method and key, setting the given headers (nil value deletes).
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims, headers map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = DefaultKeyID
	tok.Header["typ"] = accessType
	for k, v := range headers {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAccess(t *testing.T) {
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	tk, _ := newTestTokens(t, clock)
	u := User{ID: commerce.NewID(), Role: RoleAdmin}
	sid := commerce.NewID()
	good, err := tk.signAccess(u, sid, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.VerifyAccess(context.Background(), good)
	if err != nil || p != (Principal{UserID: u.ID, Role: RoleAdmin, SessionID: sid}) {
		t.Fatalf("good token: %+v, %v", p, err)
	}
	// The header and claims are what the contract says.
	parsed, _, err := jwt.NewParser().ParseUnverified(good, &accessClaims{})
	if err != nil {
		t.Fatal(err)
	}
	c := parsed.Claims.(*accessClaims)
	if parsed.Header["alg"] != "HS256" || parsed.Header["kid"] != "k1" || parsed.Header["typ"] != "at+jwt" ||
		c.Issuer != "ultramarket" || c.Subject != u.ID || c.SID != sid || c.Role != RoleAdmin || !commerce.ValidID(c.ID) ||
		!c.IssuedAt.Equal(clock.Now()) || !c.ExpiresAt.Equal(clock.Now().Add(15*time.Minute)) {
		t.Fatalf("header %v claims %+v", parsed.Header, c)
	}

	now := clock.Now()
	claims := func(mod func(*accessClaims)) *accessClaims {
		c := &accessClaims{Role: RoleCustomer, SID: sid, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: DefaultIssuer, Subject: u.ID, Audience: jwt.ClaimStrings{accessAudience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: commerce.NewID(),
		}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	// A payload that claims SUPER_ADMIN with the original signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	elevated := strings.Replace(string(payload), `"role":"ADMIN"`, `"role":"SUPER_ADMIN"`, 1)
	tamperedBody := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(elevated)) + "." + parts[2]

	scenarios := []struct {
		name  string
		token string
		code  string
	}{
		{"control: forged with our secret and every claim right", forge(t, jwt.SigningMethodHS256, testSecret, claims(nil), nil), ""},
		{"empty", "", "invalid_token"},
		{"garbage", "not.a.jwt", "invalid_token"},
		{"over-long", strings.Repeat("a", maxAccessTokenLen+1), "invalid_token"},
		{"tampered signature", tamperedSig, "invalid_token"},
		{"tampered payload", tamperedBody, "invalid_token"},
		{"wrong secret", forge(t, jwt.SigningMethodHS256, []byte("another secret of enough length!!"), claims(nil), nil), "invalid_token"},
		{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil), nil), "invalid_token"},
		{"HS512 with our secret", forge(t, jwt.SigningMethodHS512, testSecret, claims(nil), nil), "invalid_token"},
		{"RS256 (algorithm confusion)", forge(t, jwt.SigningMethodRS256, rsaKey, claims(nil), nil), "invalid_token"},
		{"wrong kid", forge(t, jwt.SigningMethodHS256, testSecret, claims(nil), map[string]any{"kid": "k2"}), "invalid_token"},
		{"no kid", forge(t, jwt.SigningMethodHS256, testSecret, claims(nil), map[string]any{"kid": nil}), "invalid_token"},
		{"not an access token type", forge(t, jwt.SigningMethodHS256, testSecret, claims(nil), map[string]any{"typ": "JWT"}), "invalid_token"},
		{"wrong issuer", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Issuer = "evil" }), nil), "invalid_token"},
		{"no issuer", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Issuer = "" }), nil), "invalid_token"},
		{"wrong audience", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Audience = jwt.ClaimStrings{"other"} }), nil), "invalid_token"},
		{"no expiry", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.ExpiresAt = nil }), nil), "invalid_token"},
		{"expired", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)) }), nil), "token_expired"},
		{"issued in the future", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)) }), nil), "invalid_token"},
		{"subject not an ID", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Subject = "admin" }), nil), "invalid_token"},
		{"no session", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.SID = "" }), nil), "invalid_token"},
		{"unknown role", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Role = "ROOT" }), nil), "invalid_token"},
		{"lower-case role", forge(t, jwt.SigningMethodHS256, testSecret, claims(func(c *accessClaims) { c.Role = "admin" }), nil), "invalid_token"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			p, err := tk.VerifyAccess(context.Background(), sc.token)
			if sc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EUnauthorized || e.Code != sc.code {
				t.Fatalf("got %+v, %v; want code %s", p, err, sc.code)
			}
			if p != (Principal{}) {
				t.Fatalf("principal %+v returned with an error", p)
			}
		})
	}

	// The good token expires with the clock.
	clock.t = now.Add(15 * time.Minute)
	if _, err := tk.VerifyAccess(context.Background(), good); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after 15 min: %v", err)
	}
}

// TestVerifyAccessIssuerAndKey checks that another instance's issuer or key ID refuses our
// tokens.
func TestVerifyAccessIssuerAndKey(t *testing.T) {
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	tk, _ := newTestTokens(t, clock)
	tok, err := tk.signAccess(User{ID: commerce.NewID(), Role: RoleCustomer}, commerce.NewID(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []TokensConfig{
		{Secret: testSecret, Clock: clock, Issuer: "other-shop"},
		{Secret: testSecret, Clock: clock, KeyID: "k2"},
		{Secret: append([]byte("x"), testSecret...), Clock: clock},
	} {
		other, err := NewTokens(cfg, newMemSessions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.VerifyAccess(context.Background(), tok); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("config %+v accepted our token: %v", cfg, err)
		}
	}
}

func BenchmarkVerifyAccess(b *testing.B) {
	tk, _ := newTestTokens(b, nil)
	tok, err := tk.signAccess(User{ID: commerce.NewID(), Role: RoleCustomer}, commerce.NewID(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tk.VerifyAccess(context.Background(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
