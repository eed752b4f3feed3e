package auth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memRecovery is an in-memory Recovery over memUsers; store/onetime_test.go covers the
// Pebble one. Each method holds the users' lock for its whole write, like one store update.
type memRecovery struct {
	users  *memUsers
	mu     sync.Mutex // guards tokens, mails and events; taken after users.mu
	tokens map[string]OneTimeToken
	mails  []Mail
	events []commerce.Event
}

func (m *memRecovery) emit(evs []commerce.Event) { m.events = append(m.events, evs...) }

func (m *memRecovery) RegisterUser(_ context.Context, u User, tok NewOneTimeToken, mail Mail, evs ...commerce.Event) error {
	m.users.mu.Lock()
	defer m.users.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.users.byID {
		if strings.EqualFold(o.Email, u.Email) {
			return ErrEmailTaken
		}
	}
	m.users.byID[u.ID] = u
	m.tokens[hex.EncodeToString(tok.Hash)] = tok.Row
	m.mails = append(m.mails, mail)
	ev, _ := UserCreatedEvent(u)
	m.emit(append([]commerce.Event{ev}, evs...))
	return nil
}

func (m *memRecovery) IssueToken(_ context.Context, tok NewOneTimeToken, mail Mail, evs ...commerce.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[hex.EncodeToString(tok.Hash)] = tok.Row
	m.mails = append(m.mails, mail)
	m.emit(evs)
	return nil
}

func (m *memRecovery) Record(_ context.Context, mail *Mail, evs ...commerce.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mail != nil {
		m.mails = append(m.mails, *mail)
	}
	m.emit(evs)
	return nil
}

func (m *memRecovery) OneTimeToken(_ context.Context, hash []byte) (OneTimeToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hex.EncodeToString(hash)]
	if !ok {
		return OneTimeToken{}, ErrOneTimeInvalid
	}
	return t, nil
}

func (m *memRecovery) ConsumeToken(_ context.Context, hash []byte, fn func(*OneTimeToken, *User) ([]commerce.Event, error)) (User, error) {
	m.users.mu.Lock()
	defer m.users.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	var tp *OneTimeToken
	var up *User
	t, ok := m.tokens[hex.EncodeToString(hash)]
	if ok {
		tp = &t
		if u, ok := m.users.byID[t.UserID]; ok {
			up = &u
		}
	}
	evs, err := fn(tp, up)
	m.emit(evs)
	if err != nil {
		return User{}, err
	}
	m.tokens[hex.EncodeToString(hash)] = *tp
	up.Version++
	m.users.byID[up.ID] = *up
	return *up, nil
}

// recUsers adds UserEvents to memUsers, recording the events in rec.
type recUsers struct {
	*memUsers
	rec *memRecovery
}

func (r recUsers) UpdateUserEmit(ctx context.Context, id string, fn func(*User) ([]commerce.Event, error)) (User, error) {
	var evs []commerce.Event
	u, err := r.UpdateUser(ctx, id, func(u *User) (err error) {
		evs, err = fn(u)
		return err
	})
	if err == nil {
		_ = r.EmitEvents(ctx, evs...)
	}
	return u, err
}

func (r recUsers) EmitEvents(_ context.Context, evs ...commerce.Event) error {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	r.rec.emit(evs)
	return nil
}

// listedSessions adds SessionLister to memSessions.
type listedSessions struct{ *memSessions }

func (l listedSessions) UserSessions(_ context.Context, userID string) ([]Session, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Session
	for _, s := range l.sessions {
		if s.UserID == userID {
			out = append(out, s)
		}
	}
	return out, nil
}

type recoveryFixture struct {
	svc      *Service
	users    *memUsers
	rec      *memRecovery
	sessions *memSessions
	clock    *fixedClock
}

func newRecoveryFixture(t *testing.T) recoveryFixture {
	t.Helper()
	users := newMemUsers()
	rec := &memRecovery{users: users, tokens: map[string]OneTimeToken{}}
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc := NewService(recUsers{users, rec}, cheapHasher(2), clock)
	ms := newMemSessions()
	tk, err := NewTokens(TokensConfig{Secret: testSecret, Clock: clock}, listedSessions{ms})
	if err != nil {
		t.Fatal(err)
	}
	svc.UseTokens(tk)
	svc.UseRecovery(rec, RecoveryConfig{BaseURL: func() string { return "https://shop.example/" }, ShopName: "Test Shop"})
	return recoveryFixture{svc: svc, users: users, rec: rec, sessions: ms, clock: clock}
}

// mailsTo returns the mails queued to the address.
func (f recoveryFixture) mailsTo(to string) []Mail {
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	var out []Mail
	for _, m := range f.rec.mails {
		if strings.EqualFold(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}

// eventsOf returns the recorded events of the type.
func (f recoveryFixture) eventsOf(typ string) []RecoveryData {
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	var out []RecoveryData
	for _, ev := range f.rec.events {
		if ev.Type == typ {
			var d RecoveryData
			_ = json.Unmarshal(ev.Data, &d)
			out = append(out, d)
		}
	}
	return out
}

var (
	verifyLinkRE = regexp.MustCompile(`https://shop\.example/api/v1/auth/verify-email/([A-Za-z0-9_-]{43})\n`)
	resetTokenRE = regexp.MustCompile(`password-reset: ([A-Za-z0-9_-]{43})\n`)
)

func tokenIn(t *testing.T, re *regexp.Regexp, m Mail) string {
	t.Helper()
	sub := re.FindStringSubmatch(m.Text)
	if sub == nil {
		t.Fatalf("no token matching %s in mail:\n%s", re, m.Text)
	}
	return sub[1]
}

func (f recoveryFixture) user(t *testing.T, email string) User {
	t.Helper()
	u, err := f.users.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRegisterDoesNotEnumerate(t *testing.T) {
	ctx := context.Background()
	f := newRecoveryFixture(t)
	if err := f.svc.Register(ctx, RegisterInput{Email: " Ann@Example.COM ", Password: "violet-harbor-917", Name: " Ann "}); err != nil {
		t.Fatal(err)
	}
	u := f.user(t, "ann@example.com")
	if u.Role != RoleCustomer || u.Email != "Ann@example.com" || u.Name != "Ann" || u.PasswordHash == "" || u.EmailVerified {
		t.Fatalf("user %+v", u)
	}
	mails := f.mailsTo("Ann@example.com")
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "Confirm your e-mail") || !strings.Contains(mails[0].HTML, `<a href="https://shop.example/api/v1/auth/verify-email/`) {
		t.Fatalf("mails %+v", mails)
	}
	tok := tokenIn(t, verifyLinkRE, mails[0])
	for h := range f.rec.tokens {
		if strings.Contains(h, tok) {
			t.Fatal("token stored in clear")
		}
	}

	// The same address again, in another case: the same answer, no second account, and a
	// notice to the owner instead of a verification mail.
	if err := f.svc.Register(ctx, RegisterInput{Email: "ann@EXAMPLE.com", Password: "other-harbor-918", Name: "Mallory"}); err != nil {
		t.Fatalf("taken address: %v, want the same answer as for a new one", err)
	}
	if len(f.users.byID) != 1 {
		t.Fatalf("%d users", len(f.users.byID))
	}
	mails = f.mailsTo("ann@example.com")
	if len(mails) != 2 || !strings.Contains(mails[1].Subject, "Someone tried to register") || !strings.Contains(mails[1].Text, "https://shop.example/reset-password") {
		t.Fatalf("notice %+v", mails)
	}
	if d := f.eventsOf(EventRegistrationDuplicate); len(d) != 1 || d[0].UserID != u.ID {
		t.Fatalf("duplicate events %+v", d)
	}

	scenarios := []struct {
		name   string
		in     RegisterInput
		fields []string
	}{
		{"missing name", RegisterInput{Email: "bob@example.com", Password: "violet-harbor-917"}, []string{"name"}},
		{"blank name", RegisterInput{Email: "bob@example.com", Password: "violet-harbor-917", Name: "   "}, []string{"name"}},
		{"everything wrong", RegisterInput{Email: "bob", Password: "short", Name: strings.Repeat("n", MaxNameChars+1)}, []string{"email", "password", "name"}},
		{"nothing given", RegisterInput{}, []string{"email", "password", "name"}},
		{"a weak password for a taken address is still refused", RegisterInput{Email: "ann@example.com", Password: "password123", Name: "Ann"}, []string{"password"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := f.svc.Register(ctx, sc.in)
			if codeOf(err) != "validation_failed" {
				t.Fatalf("err %v, want validation_failed", err)
			}
			var got []string
			for _, fe := range commerce.AsError(err).Fields {
				got = append(got, fe.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(sc.fields) {
				t.Fatalf("fields %v, want %v", got, sc.fields)
			}
		})
	}
	if len(f.users.byID) != 1 || len(f.rec.mails) != 2 {
		t.Fatalf("%d users, %d mails after refused registrations", len(f.users.byID), len(f.rec.mails))
	}

	noMail, _, _ := newTestService()
	if err := noMail.Register(ctx, RegisterInput{Email: "c@example.com", Password: "violet-harbor-917", Name: "C"}); !errors.Is(err, ErrMailUnavailable) {
		t.Fatalf("without a mail queue: %v", err)
	}
}

func TestVerifyEmail(t *testing.T) {
	ctx := context.Background()
	f := newRecoveryFixture(t)
	if err := f.svc.Register(ctx, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	first := tokenIn(t, verifyLinkRE, f.mailsTo("ann@example.com")[0])
	u := f.user(t, "ann@example.com")
	p := Principal{UserID: u.ID, Role: u.Role}
	if err := f.svc.ResendVerification(ctx, p); err != nil {
		t.Fatal(err)
	}
	second := tokenIn(t, verifyLinkRE, f.mailsTo("ann@example.com")[1])
	if first == second {
		t.Fatal("resend reused the token")
	}
	expiring := second

	scenarios := []struct {
		name    string
		token   string
		advance time.Duration
		code    string // "" means verified
	}{
		{"garbage", "not-a-token", 0, "token_invalid"},
		{"unknown", strings.Repeat("A", 43), 0, "token_invalid"},
		{"first link", first, 0, ""},
		{"replayed", first, 0, "token_used"},
		{"expired", expiring, 73 * time.Hour, "token_expired"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f.clock.t = f.clock.t.Add(sc.advance)
			before := f.user(t, "ann@example.com")
			rejected := len(f.eventsOf(EventTokenRejected))
			got, err := f.svc.VerifyEmail(ctx, sc.token)
			after := f.user(t, "ann@example.com")
			if sc.code == "" {
				if err != nil || !got.EmailVerified || !after.EmailVerified || after.EmailVerifiedAt.IsZero() || got.PasswordHash != "" {
					t.Fatalf("verify: %v, %+v", err, got)
				}
				if d := f.eventsOf(EventEmailVerified); len(d) != 1 || d[0].UserID != u.ID {
					t.Fatalf("verified events %+v", d)
				}
				return
			}
			if codeOf(err) != sc.code || commerce.KindOf(err) != commerce.EInvalid {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
			if after.Version != before.Version {
				t.Fatal("a refused token changed the user")
			}
			if d := f.eventsOf(EventTokenRejected); len(d) != rejected+1 || d[len(d)-1].Reason != sc.code || d[len(d)-1].Purpose != PurposeVerify {
				t.Fatalf("rejection events %+v", d)
			}
		})
	}
	if err := f.svc.ResendVerification(ctx, p); !errors.Is(err, ErrEmailAlreadyVerified) {
		t.Fatalf("resend when verified: %v", err)
	}
}

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	f := newRecoveryFixture(t)
	for _, e := range []string{"ann@example.com", "off@example.com"} {
		if err := f.svc.Register(ctx, RegisterInput{Email: e, Password: "violet-harbor-917", Name: "Ann"}); err != nil {
			t.Fatal(err)
		}
	}
	off := f.user(t, "off@example.com")
	if _, err := f.svc.Disable(ctx, off.ID); err != nil {
		t.Fatal(err)
	}
	// Two sessions, and a lockout in progress.
	s1, err := f.svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, "ann@example.com", "violet-harbor-917"); err != nil {
		t.Fatal(err)
	}
	ann := f.user(t, "ann@example.com")
	if _, err := f.users.UpdateUser(ctx, ann.ID, func(u *User) error {
		u.FailedLogins, u.LockedUntil = 3, f.clock.t.Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Known, unknown and disabled addresses get the same answer; only the known one a mail.
	for _, e := range []string{"ann@example.com", "nobody@example.com", "off@example.com", "ANN@example.com"} {
		if err := f.svc.RequestPasswordReset(ctx, e); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
	}
	if err := f.svc.RequestPasswordReset(ctx, "not an address"); codeOf(err) != "validation_failed" {
		t.Fatalf("malformed address: %v", err)
	}
	if n := len(f.mailsTo("nobody@example.com")) + len(f.mailsTo("off@example.com")) - 1; n != 0 {
		t.Fatalf("%d reset mails to unknown or disabled accounts", n) // off@ has its verification mail
	}
	mails := f.mailsTo("ann@example.com")
	if len(mails) != 3 {
		t.Fatalf("%d mails to ann, want verification + 2 resets", len(mails))
	}
	older, tok := tokenIn(t, resetTokenRE, mails[1]), tokenIn(t, resetTokenRE, mails[2])
	if !strings.Contains(mails[2].Text, "https://shop.example/reset-password?token="+tok) {
		t.Fatalf("no reset link:\n%s", mails[2].Text)
	}
	reqs := f.eventsOf(EventPasswordResetRequest)
	if len(reqs) != 4 || reqs[0].UserID != ann.ID || reqs[1].UserID != "" || reqs[2].UserID != "" {
		t.Fatalf("reset request events %+v", reqs)
	}
	for _, ev := range f.rec.events {
		if strings.Contains(string(ev.Data), tok) {
			t.Fatalf("event %s carries the token", ev.Type)
		}
	}

	scenarios := []struct {
		name, token, password string
		code                  string // "" means reset
		field                 string
	}{
		{"weak password spends nothing", tok, "password123", "validation_failed", "new_password"},
		{"password with the e-mail spends nothing", tok, "ann@example.com-2025", "validation_failed", "new_password"},
		{"empty password", tok, "", "validation_failed", "new_password"},
		{"unknown token", strings.Repeat("B", 43), "indigo-meadow-204", "token_invalid", ""},
		{"reset", tok, "indigo-meadow-204", "", ""},
		{"replayed", tok, "another-meadow-205", "token_used", ""},
		{"an older link is void after a reset", older, "another-meadow-205", "token_used", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			before := f.user(t, "ann@example.com")
			err := f.svc.ResetPassword(ctx, sc.token, sc.password)
			after := f.user(t, "ann@example.com")
			if sc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if after.FailedLogins != 0 || !after.LockedUntil.IsZero() || !after.EmailVerified || !after.PasswordChangedAt.Equal(f.clock.t) {
					t.Fatalf("after reset %+v", after)
				}
				if _, err := f.svc.Refresh(ctx, s1.RefreshToken); err == nil {
					t.Fatal("a session survived the reset")
				}
				if _, err := f.svc.Login(ctx, "ann@example.com", "indigo-meadow-204"); err != nil {
					t.Fatalf("login with the new password: %v", err)
				}
				if _, err := f.svc.Login(ctx, "ann@example.com", "violet-harbor-917"); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatalf("login with the old password: %v", err)
				}
				if d := f.eventsOf(EventPasswordReset); len(d) != 1 || d[0].UserID != ann.ID {
					t.Fatalf("reset events %+v", d)
				}
				return
			}
			if codeOf(err) != sc.code {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
			if sc.field != "" && commerce.AsError(err).Fields[0].Field != sc.field {
				t.Fatalf("fields %+v", commerce.AsError(err).Fields)
			}
			if after.Version != before.Version || after.PasswordHash != before.PasswordHash {
				t.Fatal("a refused reset changed the user")
			}
		})
	}
	if d := f.eventsOf(EventTokenRejected); len(d) != 3 || d[0].Reason != "token_invalid" || d[1].Reason != "token_used" || d[1].UserID != ann.ID {
		t.Fatalf("rejections %+v", d)
	}

	// An expired link.
	if err := f.svc.RequestPasswordReset(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	mails = f.mailsTo("ann@example.com")
	late := tokenIn(t, resetTokenRE, mails[len(mails)-1])
	f.clock.t = f.clock.t.Add(time.Hour)
	if err := f.svc.ResetPassword(ctx, late, "indigo-meadow-999"); codeOf(err) != "token_expired" {
		t.Fatalf("expired: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	f := newRecoveryFixture(t)
	if err := f.svc.Register(ctx, RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	mine, err := f.svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RequestPasswordReset(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	mails := f.mailsTo("ann@example.com")
	pending := tokenIn(t, resetTokenRE, mails[len(mails)-1])
	p := Principal{UserID: mine.User.ID, Role: mine.User.Role, SessionID: mine.SessionID}
	f.clock.t = f.clock.t.Add(time.Minute)

	scenarios := []struct {
		name, current, next string
		code                string
		fields              []string
	}{
		{"nothing given", "", "", "validation_failed", []string{"current_password", "new_password"}},
		{"wrong current password", "violet-harbor-000", "indigo-meadow-204", "wrong_password", nil},
		{"weak new password", "violet-harbor-917", "12345678", "validation_failed", []string{"new_password"}},
		{"same password", "violet-harbor-917", "violet-harbor-917", "validation_failed", []string{"new_password"}},
		{"changed", "violet-harbor-917", "indigo-meadow-204", "", nil},
		{"the old password no longer counts", "violet-harbor-917", "indigo-meadow-777", "wrong_password", nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := f.svc.ChangePassword(ctx, p, sc.current, sc.next)
			if sc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if codeOf(err) != sc.code {
				t.Fatalf("err %v, want %s", err, sc.code)
			}
			var got []string
			for _, fe := range commerce.AsError(err).Fields {
				got = append(got, fe.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(sc.fields) && sc.fields != nil {
				t.Fatalf("fields %v, want %v", got, sc.fields)
			}
		})
	}
	if n := len(f.eventsOf(EventPasswordChangeFailed)); n != 2 {
		t.Fatalf("%d password_change_failed events, want 2", n)
	}
	if d := f.eventsOf(EventPasswordChanged); len(d) != 1 || d[0].UserID != p.UserID {
		t.Fatalf("password_changed events %+v", d)
	}
	// The caller stays signed in; the other session is revoked.
	if _, err := f.svc.Refresh(ctx, mine.RefreshToken); err != nil {
		t.Fatalf("own session: %v", err)
	}
	if _, err := f.svc.Refresh(ctx, other.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("other session: %v, want session_revoked", err)
	}
	if _, err := f.svc.tokens.VerifyAccess(ctx, other.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("other session's access token: %v", err)
	}
	// A reset link sent before the change is void.
	if err := f.svc.ResetPassword(ctx, pending, "another-meadow-205"); codeOf(err) != "token_used" {
		t.Fatalf("reset link from before the change: %v", err)
	}
}

// signUp creates a customer and signs it in, as Register did before it stopped signing in
// (the sign-in tests start from a signed-in account).
func signUp(ctx context.Context, svc *Service, in RegisterInput) (SignIn, error) {
	if _, err := svc.CreateUser(ctx, CreateUserInput{Email: in.Email, Password: in.Password, Name: in.Name}); err != nil {
		return SignIn{}, err
	}
	return svc.Login(ctx, in.Email, in.Password)
}
