package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/ultramarket/ultramarket/commerce"
)

// memEventUsers adds UserEvents to memUsers and records every event written with a change.
type memEventUsers struct {
	*memUsers
	evMu   sync.Mutex
	events []commerce.Event
}

func (m *memEventUsers) UpdateUserEmit(ctx context.Context, id string, fn func(*User) ([]commerce.Event, error)) (User, error) {
	var evs []commerce.Event
	u, err := m.UpdateUser(ctx, id, func(u *User) (err error) { evs, err = fn(u); return err })
	if err == nil {
		_ = m.EmitEvents(ctx, evs...)
	}
	return u, err
}

func (m *memEventUsers) EmitEvents(_ context.Context, evs ...commerce.Event) error {
	m.evMu.Lock()
	defer m.evMu.Unlock()
	m.events = append(m.events, evs...)
	return nil
}

// take returns the types of the events recorded since the last take.
func (m *memEventUsers) take() []string {
	m.evMu.Lock()
	defer m.evMu.Unlock()
	var out []string
	for _, ev := range m.events {
		out = append(out, ev.Type)
	}
	m.events = nil
	return out
}

const mfaPW = "violet-harbor-917"

// newMFAService is a sign-in Service with UserEvents, the given policy and a fixed clock.
func newMFAService(t *testing.T, sec SecurityConfig) (*Service, *memEventUsers, *fixedClock) {
	t.Helper()
	users := &memEventUsers{memUsers: newMemUsers()}
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 10, 0, time.UTC)}
	svc := NewService(users, cheapHasher(2), clock)
	svc.UseSecurity(sec)
	tk, _ := newTestTokens(t, clock)
	svc.UseTokens(tk)
	return svc, users, clock
}

func mustUser(t *testing.T, svc *Service, email string, role Role) User {
	t.Helper()
	u, err := svc.CreateUser(context.Background(), CreateUserInput{Email: email, Password: mfaPW, Name: "N", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable enrols and confirms 2FA for u at the clock's time and returns the secret and the
// recovery codes.
func enable(t *testing.T, svc *Service, clock *fixedClock, u User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := svc.EnrollTOTP(ctx, Principal{UserID: u.ID, Role: u.Role})
	if err != nil {
		t.Fatal(err)
	}
	codes, _, err := svc.ConfirmTOTP(ctx, Principal{UserID: u.ID, Role: u.Role}, codeAt(t, e.Secret, clock.t))
	if err != nil {
		t.Fatal(err)
	}
	return e.Secret, codes
}

func TestTOTPStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Date(2025, 3, 1, 12, 0, 10, 0, time.UTC)
	cur := now.Unix() / 30
	code := func(d time.Duration) string { return codeAt(t, secret, now.Add(d)) }
	scenarios := []struct {
		name     string
		code     string
		lastStep int64
		ok       bool
		step     int64
	}{
		{"current step", code(0), 0, true, cur},
		{"one step early (clock behind)", code(-30 * time.Second), 0, true, cur - 1},
		{"one step late (clock ahead)", code(30 * time.Second), 0, true, cur + 1},
		{"two steps early", code(-60 * time.Second), 0, false, 0},
		{"two steps late", code(60 * time.Second), 0, false, 0},
		{"replayed step", code(0), cur, false, 0},
		{"step before the last used", code(-30 * time.Second), cur, false, 0},
		{"later step after a used one", code(30 * time.Second), cur, true, cur + 1},
		{"wrong code", fmt.Sprintf("%06d", (atoi(code(0))+1)%1000000), 0, false, 0},
		{"too short", code(0)[:5], 0, false, 0},
		{"letters", "abcdef", 0, false, 0},
		{"empty", "", 0, false, 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			step, ok := totpStep(secret, sc.code, sc.lastStep, now)
			if ok != sc.ok || (ok && step != sc.step) {
				t.Fatalf("totpStep = %d, %v; want %d, %v", step, ok, sc.step, sc.ok)
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestTwoFactorLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, users, clock := newMFAService(t, SecurityConfig{TOTPIssuer: "Shop Test", LockoutThreshold: 100})
	u := mustUser(t, svc, "ann@example.com", RoleCustomer)
	p := Principal{UserID: u.ID, Role: u.Role}
	users.take()

	// Nothing to confirm, disable or regenerate before enrolment.
	if _, _, err := svc.ConfirmTOTP(ctx, p, "123456"); !errors.Is(err, ErrTwoFactorNotEnrolled) {
		t.Fatalf("confirm before enrol: %v", err)
	}
	if err := svc.DisableTOTP(ctx, p, mfaPW, "123456"); !errors.Is(err, ErrTwoFactorNotEnabled) {
		t.Fatalf("disable before enrol: %v", err)
	}
	e, err := svc.EnrollTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/Shop%20Test:ann@example.com?") || !strings.Contains(e.URL, "secret="+e.Secret) ||
		!strings.HasPrefix(e.QRPNG, "iVBORw0KGgo") || len(e.Secret) != 32 {
		t.Fatalf("enrolment %+v", e)
	}
	stored := users.byID[u.ID]
	if stored.TOTPSecret != e.Secret || stored.TOTPEnabled {
		t.Fatalf("stored after enrol: %+v", stored)
	}
	if got := users.take(); !slices.Equal(got, []string{Event2FAEnrolled}) {
		t.Fatalf("events %v", got)
	}
	// Login still needs no second factor before confirmation.
	if in, err := svc.Login(ctx, u.Email, mfaPW); err != nil || in.MFAToken != "" || in.AccessToken == "" {
		t.Fatalf("login before confirm: %+v %v", in, err)
	}
	users.take()

	// A wrong code confirms nothing.
	if _, _, err := svc.ConfirmTOTP(ctx, p, "000000"); codeOf(err) != "validation_failed" {
		t.Fatalf("confirm wrong: %v", err)
	}
	codes, in, err := svc.ConfirmTOTP(ctx, p, codeAt(t, e.Secret, clock.t))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || in.AccessToken == "" {
		t.Fatalf("confirm: %v %+v", codes, in)
	}
	if pr, err := svc.tokens.VerifyAccess(ctx, in.AccessToken); err != nil || !pr.MFA {
		t.Fatalf("token after confirm: %+v %v", pr, err)
	}
	stored = users.byID[u.ID]
	if !stored.TOTPEnabled || len(stored.RecoveryCodes) != RecoveryCodeCount || slices.Contains(stored.RecoveryCodes, codes[0]) {
		t.Fatalf("stored after confirm: %+v", stored)
	}
	if got := users.take(); !slices.Equal(got, []string{Event2FAEnabled}) {
		t.Fatalf("events %v", got)
	}
	if _, err := svc.EnrollTOTP(ctx, p); !errors.Is(err, ErrTwoFactorEnabled) {
		t.Fatalf("enrol again: %v", err)
	}
	if _, err := svc.Profile(ctx, p); err != nil {
		t.Fatal(err)
	}

	// Regenerating needs a fresh code; the one that confirmed is used up.
	if _, err := svc.RegenerateRecoveryCodes(ctx, p, codeAt(t, e.Secret, clock.t)); codeOf(err) != "validation_failed" {
		t.Fatalf("regenerate with a used code: %v", err)
	}
	if got := users.take(); !slices.Equal(got, []string{EventLoginFailed}) {
		t.Fatalf("a wrong code is a failed sign-in: %v", got)
	}
	clock.t = clock.t.Add(30 * time.Second)
	fresh, err := svc.RegenerateRecoveryCodes(ctx, p, codeAt(t, e.Secret, clock.t))
	if err != nil || len(fresh) != RecoveryCodeCount || fresh[0] == codes[0] {
		t.Fatalf("regenerate: %v %v", fresh, err)
	}
	if got := users.take(); !slices.Equal(got, []string{EventRecoveryCodesRegenerated}) {
		t.Fatalf("events %v", got)
	}
	if users.byID[u.ID].FailedLogins != 0 {
		t.Fatal("a right code clears the failure count")
	}

	// Disable: wrong password, wrong code, then both right.
	clock.t = clock.t.Add(30 * time.Second)
	good := codeAt(t, e.Secret, clock.t)
	if err := svc.DisableTOTP(ctx, p, "wrong-password-1", good); codeOf(err) != "validation_failed" || commerce.AsError(err).Fields[0].Field != "password" {
		t.Fatalf("disable with a wrong password: %v", err)
	}
	if err := svc.DisableTOTP(ctx, p, mfaPW, "111111"); codeOf(err) != "validation_failed" || commerce.AsError(err).Fields[0].Field != "code" {
		t.Fatalf("disable with a wrong code: %v", err)
	}
	if got := users.take(); !slices.Equal(got, []string{EventLoginFailed, EventLoginFailed}) {
		t.Fatalf("events %v", got)
	}
	if err := svc.DisableTOTP(ctx, p, mfaPW, good); err != nil {
		t.Fatal(err)
	}
	stored = users.byID[u.ID]
	if stored.TOTPEnabled || stored.TOTPSecret != "" || stored.RecoveryCodes != nil {
		t.Fatalf("stored after disable: %+v", stored)
	}
	if got := users.take(); !slices.Equal(got, []string{Event2FADisabled}) {
		t.Fatalf("events %v", got)
	}

	// Admin reset clears everything, lockout included.
	enable(t, svc, clock, u)
	users.byID[u.ID] = func(x User) User { x.FailedLogins = 3; return x }(users.byID[u.ID])
	users.take()
	out, err := svc.ResetTwoFactor(ctx, u.ID)
	if err != nil || out.TOTPEnabled {
		t.Fatalf("reset: %+v %v", out, err)
	}
	stored = users.byID[u.ID]
	if stored.TOTPEnabled || stored.TOTPSecret != "" || stored.RecoveryCodes != nil || stored.FailedLogins != 0 {
		t.Fatalf("stored after reset: %+v", stored)
	}
	if got := users.take(); !slices.Equal(got, []string{Event2FAReset}) {
		t.Fatalf("events %v", got)
	}
	if _, err := svc.ResetTwoFactor(ctx, commerce.NewID()); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("reset unknown: %v", err)
	}
}

func TestLoginSecondFactor(t *testing.T) {
	ctx := context.Background()
	svc, users, clock := newMFAService(t, SecurityConfig{LockoutThreshold: 4, LockoutDuration: 10 * time.Minute})
	u := mustUser(t, svc, "ann@example.com", RoleCustomer)
	secret, recovery := enable(t, svc, clock, u)
	users.take()

	login := func() string {
		t.Helper()
		in, err := svc.Login(ctx, "ANN@example.com", mfaPW)
		if err != nil || in.MFAToken == "" || in.AccessToken != "" || in.MFAExpiresIn != 5*time.Minute {
			t.Fatalf("login with 2FA: %+v %v", in, err)
		}
		return in.MFAToken
	}
	tok := login()
	if got := users.take(); len(got) != 0 {
		t.Fatalf("the password step writes no event: %v", got)
	}

	// The code that confirmed (same step) is used up; the next step works once.
	scenarios := []struct {
		name string
		in   SecondFactor
		code string // error code, "" for success
	}{
		{"missing code", SecondFactor{MFAToken: tok}, "validation_failed"},
		{"both codes", SecondFactor{MFAToken: tok, Code: "123456", RecoveryCode: "abc"}, "validation_failed"},
		{"unknown token", SecondFactor{MFAToken: commerce.NewSecret(32), Code: "123456"}, "invalid_mfa_token"},
		{"garbage token", SecondFactor{MFAToken: "x", Code: "123456"}, "invalid_mfa_token"},
		{"replayed step", SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t)}, "invalid_code"},
		{"next step", SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t.Add(30*time.Second))}, ""},
		{"token is single-use", SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t.Add(-30*time.Second))}, "invalid_mfa_token"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			out, err := svc.LoginSecondFactor(ctx, sc.in)
			if codeOf(err) != sc.code && !(sc.code == "" && err == nil) {
				t.Fatalf("err %v, want %q", err, sc.code)
			}
			if sc.code == "" {
				p, err := svc.tokens.VerifyAccess(ctx, out.AccessToken)
				if err != nil || !p.MFA || p.UserID != u.ID || out.User.TOTPSecret != "" {
					t.Fatalf("signed in as %+v %v", p, err)
				}
			}
		})
	}
	if got := users.take(); !slices.Equal(got, []string{EventLoginFailed}) {
		t.Fatalf("events %v", got)
	}

	// A recovery code works once, in any case and with or without its dash.
	tok = login()
	rc := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
	if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, RecoveryCode: rc}); err != nil {
		t.Fatal(err)
	}
	if got := users.take(); !slices.Equal(got, []string{EventRecoveryCodeUsed}) {
		t.Fatalf("events %v", got)
	}
	if n := len(users.byID[u.ID].RecoveryCodes); n != RecoveryCodeCount-1 {
		t.Fatalf("%d recovery codes left", n)
	}
	tok = login()
	if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, RecoveryCode: recovery[3]}); codeOf(err) != "invalid_code" {
		t.Fatalf("recovery code reused: %v", err)
	}

	// The mfa_token expires after 5 minutes.
	clock.t = clock.t.Add(MFATokenTTL)
	if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t)}); codeOf(err) != "invalid_mfa_token" {
		t.Fatalf("expired token: %v", err)
	}

	// Wrong codes count towards the lockout: 1 (recovery reuse) + 3 more lock the account,
	// and a right password then gets 429.
	tok = login()
	for i := range 3 {
		if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, Code: "000000"}); !errors.Is(err, ErrInvalidCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	users.take()
	if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t)}); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("after the threshold: %v", err)
	}
	if _, err := svc.Login(ctx, u.Email, mfaPW); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("login while locked: %v", err)
	}
	// An mfa_token is void after a few wrong codes, however many the lockout allows.
	clock.t = clock.t.Add(10 * time.Minute)
	tok = login()
	for range maxMFAAttempts {
		svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, Code: "000000"})
	}
	if _, err := svc.LoginSecondFactor(ctx, SecondFactor{MFAToken: tok, Code: codeAt(t, secret, clock.t)}); codeOf(err) != "invalid_mfa_token" && codeOf(err) != "account_locked" {
		t.Fatalf("token after %d wrong codes: %v", maxMFAAttempts, err)
	}
}

func TestLockout(t *testing.T) {
	ctx := context.Background()
	svc, users, clock := newMFAService(t, SecurityConfig{LockoutThreshold: 3, LockoutDuration: 10 * time.Minute})
	ann := mustUser(t, svc, "ann@example.com", RoleCustomer)
	users.take()
	steps := []struct {
		name    string
		pw      string
		advance time.Duration
		code    string // "" for success
		retry   any
		events  []string // besides auth.user_updated
	}{
		{"first failure", "wrong-password-1", 0, "invalid_credentials", nil, []string{EventLoginFailed}},
		{"second failure", "wrong-password-2", 0, "invalid_credentials", nil, []string{EventLoginFailed}},
		{"success resets the count", mfaPW, 0, "", nil, []string{EventLoggedIn}},
		{"failure 1 again", "wrong-password-3", time.Minute, "invalid_credentials", nil, []string{EventLoginFailed}},
		{"failure 2", "wrong-password-4", 0, "invalid_credentials", nil, []string{EventLoginFailed}},
		{"failure 3 locks", "wrong-password-5", 0, "invalid_credentials", nil, []string{EventLoginFailed, EventAccountLocked}},
		{"locked: right password refused", mfaPW, 0, "account_locked", int64(600), nil},
		{"locked: wrong password refused, not counted", "wrong-password-6", 4*time.Minute + 30*time.Second, "account_locked", int64(330), nil},
		{"one second left", mfaPW, 5*time.Minute + 29*time.Second, "account_locked", int64(1), nil},
		{"lock ends: the whole threshold again", "wrong-password-7", time.Second, "invalid_credentials", nil, []string{EventLoginFailed}},
		{"right password", mfaPW, 0, "", nil, []string{EventLoggedIn}},
	}
	for _, st := range steps {
		clock.t = clock.t.Add(st.advance)
		_, err := svc.Login(ctx, ann.Email, st.pw)
		if st.code == "" && err != nil || st.code != "" && codeOf(err) != st.code {
			t.Fatalf("%s: err %v, want %q", st.name, err, st.code)
		}
		if st.retry != nil {
			if got := commerce.AsError(err).Details["retry_after_seconds"]; got != st.retry {
				t.Fatalf("%s: retry after %v (%T), want %v", st.name, got, got, st.retry)
			}
		}
		got := slices.DeleteFunc(users.take(), func(s string) bool { return s == EventUserUpdated })
		if st.code == "" {
			got = append(got, EventLoggedIn) // memSessions writes no event; the store's does
		}
		if !slices.Equal(got, st.events) {
			t.Fatalf("%s: events %v, want %v", st.name, got, st.events)
		}
	}
	if u := users.byID[ann.ID]; u.FailedLogins != 0 || !u.LockedUntil.Before(clock.t) {
		t.Fatalf("after success: %+v", u)
	}

	// An account and an e-mail no account has answer the same to the same attempts.
	answers := func(email string) []string {
		var out []string
		for range 5 {
			_, err := svc.Login(ctx, email, "wrong-password-8")
			e := commerce.AsError(err)
			out = append(out, fmt.Sprint(e.Kind, e.Code, e.Message, e.Details))
		}
		return out
	}
	known, unknown := answers(ann.Email), answers("nobody@example.com")
	if !slices.Equal(known, unknown) || !strings.Contains(known[3], "account_locked") {
		t.Fatalf("account %v\nunknown %v", known, unknown)
	}
}

func TestLockoutUnknownEmails(t *testing.T) {
	ctx := context.Background()
	svc, users, clock := newMFAService(t, SecurityConfig{LockoutThreshold: 2})
	for range 2 {
		if _, err := svc.Login(ctx, " Ghost@Example.com", "wrong-password-1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	// Case and spaces do not make another e-mail; the default lock is 15 minutes.
	_, err := svc.Login(ctx, "ghost@example.COM", "wrong-password-1")
	if !errors.Is(err, ErrAccountLocked) || commerce.AsError(err).Details["retry_after_seconds"] != int64(900) {
		t.Fatalf("third try: %v", err)
	}
	users.take()
	clock.t = clock.t.Add(15 * time.Minute)
	if _, err := svc.Login(ctx, "ghost@example.com", "wrong-password-1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after the lock: %v", err)
	}
	// The failure event names no user.
	users.evMu.Lock()
	last := users.events[len(users.events)-1]
	users.evMu.Unlock()
	if last.Type != EventLoginFailed || last.Aggregate != "" || !strings.Contains(string(last.Data), `"reason":"unknown_email"`) || strings.Contains(string(last.Data), "user_id") {
		t.Fatalf("event %+v %s", last, last.Data)
	}

	// The map stays bounded.
	var f unknownFailures
	now := clock.t
	for i := range maxUnknownEmails + 50 {
		f.fail(fmt.Sprintf("u%d@example.com", i), 5, time.Minute, now)
	}
	if len(f.m) > maxUnknownEmails {
		t.Fatalf("%d entries", len(f.m))
	}
}

func TestLockoutOff(t *testing.T) {
	ctx := context.Background()
	svc, users, _ := newMFAService(t, SecurityConfig{})
	mustUser(t, svc, "ann@example.com", RoleCustomer)
	for range 20 {
		if _, err := svc.Login(ctx, "ann@example.com", "wrong-password-1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := svc.Login(ctx, "ann@example.com", mfaPW); err != nil {
		t.Fatalf("threshold 0 never locks: %v", err)
	}
	if n := users.byID[users.mustID(t, "ann@example.com")].FailedLogins; n != 0 {
		t.Fatalf("count after success %d", n)
	}
}

func (m *memUsers) mustID(t *testing.T, email string) string {
	t.Helper()
	u, err := m.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestEnrolmentOnlyTokens(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newMFAService(t, SecurityConfig{Require2FA: []Role{RoleAdmin, RoleSuperAdmin}})
	admin := mustUser(t, svc, "boss@example.com", RoleAdmin)
	cust := mustUser(t, svc, "ann@example.com", RoleCustomer)

	in, err := svc.Login(ctx, admin.Email, mfaPW)
	if err != nil || in.AccessToken == "" {
		t.Fatalf("an admin without 2FA still signs in: %v", err)
	}
	p, err := svc.tokens.VerifyAccess(ctx, in.AccessToken)
	if err != nil || !p.EnrolmentOnly || p.MFA {
		t.Fatalf("admin principal %+v %v", p, err)
	}
	cin, _ := svc.Login(ctx, cust.Email, mfaPW)
	if cp, _ := svc.tokens.VerifyAccess(ctx, cin.AccessToken); cp.EnrolmentOnly || cp.MFA {
		t.Fatalf("customer principal %+v", cp)
	}

	e, err := svc.EnrollTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	_, full, err := svc.ConfirmTOTP(ctx, p, codeAt(t, e.Secret, clock.t))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := svc.tokens.VerifyAccess(ctx, full.AccessToken)
	if err != nil || fp.EnrolmentOnly || !fp.MFA {
		t.Fatalf("principal after confirm %+v %v", fp, err)
	}
	// The password-only session ended with the confirmation.
	if _, err := svc.tokens.VerifyAccess(ctx, in.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("old token: %v", err)
	}
	if _, err := svc.Refresh(ctx, in.RefreshToken); err == nil {
		t.Fatal("old session refreshed")
	}
	// A refresh of the new session keeps the second factor.
	r, err := svc.Refresh(ctx, full.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if rp, _ := svc.tokens.VerifyAccess(ctx, r.AccessToken); !rp.MFA || rp.EnrolmentOnly {
		t.Fatalf("refreshed principal %+v", rp)
	}
}
