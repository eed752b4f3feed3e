package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// newSignInService is a Service with tokens on in-memory stores and a fixed clock.
func newSignInService(t *testing.T) (*Service, *memUsers, *memSessions, *fixedClock) {
	t.Helper()
	svc, users, clock := newTestService()
	tk, ms := newTestTokens(t, clock)
	svc.UseTokens(tk)
	return svc, users, ms, clock
}

func codeOf(err error) string {
	if e := commerce.AsError(err); e != nil {
		return e.Code
	}
	return fmt.Sprint(err)
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	svc, _, ms, _ := newSignInService(t)
	const pw = "violet-harbor-917"
	u, err := svc.CreateUser(ctx, CreateUserInput{Email: "ann@example.com", Password: pw, Name: "Ann", Role: RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, CreateUserInput{Email: "off@example.com", Password: pw, Name: "Off"}); err != nil {
		t.Fatal(err)
	}
	off, _ := svc.users.UserByEmail(ctx, "off@example.com")
	if _, err := svc.Disable(ctx, off.ID); err != nil {
		t.Fatal(err)
	}

	scenarios := []struct {
		name, email, pw, code string
	}{
		{"right, e-mail in another case", "ANN@example.com", pw, ""},
		{"right, with spaces around the e-mail", "  ann@example.com ", pw, ""},
		{"wrong password", "ann@example.com", pw + "x", "invalid_credentials"},
		{"unknown e-mail", "nobody@example.com", pw, "invalid_credentials"},
		{"malformed e-mail", "nobody", pw, "invalid_credentials"},
		{"over-long password", "ann@example.com", strings.Repeat("p", 200), "invalid_credentials"},
		{"missing password", "ann@example.com", "", "validation_failed"},
		{"missing e-mail", "", pw, "validation_failed"},
		{"disabled, wrong password", "off@example.com", pw + "x", "invalid_credentials"},
		{"disabled, right password", "off@example.com", pw, "account_disabled"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			out, err := svc.Login(ctx, sc.email, sc.pw)
			if sc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out.User.ID != u.ID || out.User.Role != RoleAdmin || out.User.PasswordHash != "" || out.AccessToken == "" || out.RefreshToken == "" {
					t.Fatalf("%+v", out)
				}
				return
			}
			if codeOf(err) != sc.code || out.AccessToken != "" {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
		})
	}
	// An unknown e-mail was checked against a dummy hash, like a real one.
	if svc.dummy == "" {
		t.Fatal("unknown e-mail skipped the hash")
	}
	// Each successful login started its own session.
	if n := strings.Count(strings.Join(ms.events, " "), EventLoggedIn); n != 2 {
		t.Fatalf("%d sessions started, want 2 (%v)", n, ms.events)
	}
}

// TestLoginRehashes checks that a hash made with older, weaker parameters is replaced.
func TestLoginRehashes(t *testing.T) {
	ctx := context.Background()
	svc, users, _, _ := newSignInService(t)
	u, err := svc.CreateUser(ctx, CreateUserInput{Email: "ann@example.com", Password: "violet-harbor-917"})
	if err != nil {
		t.Fatal(err)
	}
	old := users.byID[u.ID].PasswordHash
	svc.hasher = &Hasher{p: params{time: 2, memory: 64, threads: 1, keyLen: keyLen}, sem: make(chan struct{}, 1)}
	if _, err := svc.Login(ctx, "ann@example.com", "violet-harbor-917"); err != nil {
		t.Fatal(err)
	}
	nu := users.byID[u.ID]
	if nu.PasswordHash == old || !strings.Contains(nu.PasswordHash, "t=2") {
		t.Fatalf("hash not replaced: %s", nu.PasswordHash)
	}
	if _, err := svc.Login(ctx, "ann@example.com", "violet-harbor-917"); err != nil {
		t.Fatalf("login with the new hash: %v", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	ctx := context.Background()
	svc, users, ms, clock := newSignInService(t)
	first, err := signUp(ctx, svc, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}

	clock.t = clock.t.Add(time.Minute)
	second, err := svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.SessionID != first.SessionID || second.User.ID != first.User.ID {
		t.Fatalf("refresh gave %+v", second.Pair)
	}
	if s := ms.sessions[first.SessionID]; !s.LastUsedAt.Equal(clock.t) || !s.ExpiresAt.Equal(clock.t.Add(168*time.Hour)) {
		t.Fatalf("session not touched: %+v", s)
	}

	// The role in a refreshed access token is the user's current one. (The role is changed
	// in the store: SetRole would also end the session.)
	if _, err := users.UpdateUser(ctx, first.User.ID, func(u *User) error { u.Role = RoleVendor; return nil }); err != nil {
		t.Fatal(err)
	}
	third, err := svc.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := svc.tokens.VerifyAccess(ctx, third.AccessToken); err != nil || p.Role != RoleVendor {
		t.Fatalf("role after refresh: %+v %v", p, err)
	}

	// Reusing a rotated token revokes the family: every token of it fails afterwards.
	if _, err := svc.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrTokenReused) {
		t.Fatalf("reuse: %v", err)
	}
	if !ms.sessions[first.SessionID].Revoked || ms.sessions[first.SessionID].RevokeReason != RevokeReuse {
		t.Fatalf("session after reuse: %+v", ms.sessions[first.SessionID])
	}
	if _, err := svc.Refresh(ctx, third.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("newest token after reuse: %v", err)
	}
	if _, err := svc.Refresh(ctx, second.RefreshToken); !errors.Is(err, ErrTokenReused) {
		t.Fatalf("second reuse: %v", err)
	}
	if _, err := svc.tokens.VerifyAccess(ctx, third.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("access token of the revoked family: %v", err)
	}
	if n := strings.Count(strings.Join(ms.events, " "), EventSessionRevoked); n != 1 {
		t.Fatalf("revocation events %v, want one", ms.events)
	}
	// A new login is a new family, unaffected.
	fresh, err := svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.tokens.VerifyAccess(ctx, fresh.AccessToken); err != nil {
		t.Fatal(err)
	}

	scenarios := []struct {
		name, token, code string
	}{
		{"empty", "", "invalid_token"},
		{"wrong shape", "abc", "invalid_token"},
		{"right shape, unknown", commerce.NewSecret(32), "invalid_token"},
		{"an access token", fresh.AccessToken, "invalid_token"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := svc.Refresh(ctx, sc.token); codeOf(err) != sc.code {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
		})
	}

	// Expiry: a week later the token is refused, and nothing is rotated.
	clock.t = clock.t.Add(168 * time.Hour)
	if _, err := svc.Refresh(ctx, fresh.RefreshToken); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	if ms.tokens[hexHash(fresh.RefreshToken)].Rotated {
		t.Fatal("expired token was rotated")
	}

	// A deleted user's token is invalid.
	clock.t = clock.t.Add(-time.Hour)
	delete(users.byID, first.User.ID)
	if _, err := svc.Refresh(ctx, fresh.RefreshToken); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("deleted user: %v", err)
	}
}

func hexHash(token string) string { return fmt.Sprintf("%x", hashToken(token)) }

func TestDisabledUserCannotRefresh(t *testing.T) {
	ctx := context.Background()
	svc, _, ms, _ := newSignInService(t)
	a, err := signUp(ctx, svc, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Disable(ctx, a.User.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []SignIn{a, b} {
		if !ms.sessions[s.SessionID].Revoked || ms.sessions[s.SessionID].RevokeReason != RevokeDisabled {
			t.Fatalf("session %+v not revoked", ms.sessions[s.SessionID])
		}
		if _, err := svc.tokens.VerifyAccess(ctx, s.AccessToken); !errors.Is(err, ErrSessionRevoked) {
			t.Fatalf("access token after disable: %v", err)
		}
		if _, err := svc.Refresh(ctx, s.RefreshToken); !errors.Is(err, ErrAccountDisabled) {
			t.Fatalf("refresh after disable: %v", err)
		}
	}

	// Disabled where the tokens are not (an offline admin command): refresh still refuses and
	// revokes the session then.
	c, err := signUp(ctx, svc, RegisterInput{Email: "cy@example.com", Password: "violet-harbor-917", Name: "Cy"})
	if err != nil {
		t.Fatal(err)
	}
	offline := NewService(svc.users, svc.hasher, svc.clock)
	if _, err := offline.Disable(ctx, c.User.ID); err != nil {
		t.Fatal(err)
	}
	if ms.sessions[c.SessionID].Revoked {
		t.Fatal("offline disable revoked a session it cannot reach")
	}
	if _, err := svc.Refresh(ctx, c.RefreshToken); !errors.Is(err, ErrAccountDisabled) {
		t.Fatalf("refresh: %v", err)
	}
	if s := ms.sessions[c.SessionID]; !s.Revoked || s.RevokeReason != RevokeDisabled {
		t.Fatalf("session %+v", s)
	}
	if _, err := svc.Enable(ctx, c.User.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Refresh(ctx, c.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("re-enabling does not revive a revoked session: %v", err)
	}
}

func TestLogout(t *testing.T) {
	ctx := context.Background()
	svc, _, ms, _ := newSignInService(t)
	ann, err := signUp(ctx, svc, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := signUp(ctx, svc, RegisterInput{Email: "bob@example.com", Password: "violet-harbor-917", Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	annP, _ := svc.tokens.VerifyAccess(ctx, ann.AccessToken)
	bobP, _ := svc.tokens.VerifyAccess(ctx, bob.AccessToken)

	if err := svc.Logout(ctx, bobP, ann.RefreshToken); !errors.Is(err, ErrSessionNotYours) {
		t.Fatalf("someone else's token: %v", err)
	}
	if ms.sessions[ann.SessionID].Revoked {
		t.Fatal("revoked by another user")
	}
	if err := svc.Logout(ctx, annP, "garbage"); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("garbage: %v", err)
	}
	if err := svc.Logout(ctx, annP, ann.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if s := ms.sessions[ann.SessionID]; !s.Revoked || s.RevokeReason != RevokeLogout {
		t.Fatalf("session %+v", s)
	}
	if _, err := svc.Refresh(ctx, ann.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("refresh after logout: %v", err)
	}
	if _, err := svc.tokens.VerifyAccess(ctx, ann.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("access after logout: %v", err)
	}
	if err := svc.Logout(ctx, annP, ann.RefreshToken); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	// Without a refresh token: the bearer's own session.
	if err := svc.Logout(ctx, bobP, ""); err != nil {
		t.Fatal(err)
	}
	if !ms.sessions[bob.SessionID].Revoked {
		t.Fatal("bearer's session not revoked")
	}
	if err := svc.Logout(ctx, Principal{UserID: bobP.UserID, SessionID: ann.SessionID}, ""); !errors.Is(err, ErrSessionNotYours) {
		t.Fatalf("principal naming another's session: %v", err)
	}
	// Bob's revocation and Ann's; the second logout of Ann emitted nothing.
	if n := strings.Count(strings.Join(ms.events, " "), EventSessionRevoked); n != 2 {
		t.Fatalf("events %v", ms.events)
	}
}

func TestUpdateProfile(t *testing.T) {
	ctx := context.Background()
	svc, _, _, clock := newSignInService(t)
	out, err := signUp(ctx, svc, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{UserID: out.User.ID, Role: RoleCustomer}
	str := func(s string) *string { return &s }

	scenarios := []struct {
		name   string
		in     ProfileInput
		code   string
		fields []string
		want   func(User) bool
	}{
		{"name and phone", ProfileInput{Name: str(" Ann Lee "), Phone: str(" +1 (555) 010-9999 ")}, "", nil,
			func(u User) bool { return u.Name == "Ann Lee" && u.Phone == "+1 (555) 010-9999" && u.Version == 2 }},
		{"phone alone, name kept", ProfileInput{Phone: str("0044 20 7946 0000")}, "", nil,
			func(u User) bool { return u.Name == "Ann Lee" && u.Phone == "0044 20 7946 0000" }},
		{"matching If-Match", ProfileInput{Name: str("Ann"), IfVersion: 3}, "", nil,
			func(u User) bool { return u.Name == "Ann" && u.Version == 4 }},
		{"stale If-Match", ProfileInput{Name: str("Nope"), IfVersion: 3}, "version_mismatch", nil, nil},
		{"clear phone", ProfileInput{Phone: str("")}, "", nil, func(u User) bool { return u.Phone == "" }},
		{"bad fields", ProfileInput{Name: str(""), Phone: str("call me")}, "validation_failed", []string{"name", "phone"}, nil},
		{"too few digits", ProfileInput{Phone: str("+1 23")}, "validation_failed", []string{"phone"}, nil},
		{"too many digits", ProfileInput{Phone: str("1234567890123456")}, "validation_failed", []string{"phone"}, nil},
		{"plus in the middle", ProfileInput{Phone: str("12+345678")}, "validation_failed", []string{"phone"}, nil},
		{"long name", ProfileInput{Name: str(strings.Repeat("é", MaxNameChars+1))}, "validation_failed", []string{"name"}, nil},
		{"control character", ProfileInput{Name: str("A\nB")}, "validation_failed", []string{"name"}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			clock.t = clock.t.Add(time.Second)
			u, err := svc.UpdateProfile(ctx, p, sc.in)
			if sc.code != "" {
				if codeOf(err) != sc.code {
					t.Fatalf("err %v, want %s", err, sc.code)
				}
				var got []string
				for _, f := range commerce.AsError(err).Fields {
					got = append(got, f.Field)
				}
				if sc.fields != nil && fmt.Sprint(got) != fmt.Sprint(sc.fields) {
					t.Fatalf("fields %v, want %v", got, sc.fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sc.want(u) || u.PasswordHash != "" || !u.UpdatedAt.Equal(clock.t) || u.Role != RoleCustomer || u.Email != "ann@example.com" {
				t.Fatalf("user %+v", u)
			}
		})
	}
	if _, err := svc.UpdateProfile(ctx, Principal{UserID: commerce.NewID()}, ProfileInput{Name: str("X")}); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if got, err := svc.Profile(ctx, p); err != nil || got.Name != "Ann" || got.PasswordHash != "" {
		t.Fatalf("profile %+v %v", got, err)
	}
}
