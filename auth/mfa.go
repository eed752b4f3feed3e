package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// SecurityConfig is the sign-in policy beyond passwords: who must use a second factor, how
// authenticator apps name the shop, and when repeated failures lock an account. Zero values
// mean the defaults said per field.
type SecurityConfig struct {
	Require2FA       []Role        // roles that must sign in with a second factor (TOTP); none by default
	TOTPIssuer       string        // issuer shown in authenticator apps; "" means "UltraMarket"
	LockoutThreshold int           // failed sign-ins in a row that lock an account; 0 turns lockout off
	LockoutDuration  time.Duration // how long a locked account stays locked; 0 means 15 min
}

// Defaults of SecurityConfig and the second login step.
const (
	DefaultTOTPIssuer      = "UltraMarket"
	DefaultLockoutDuration = 15 * time.Minute
	MFATokenTTL            = 5 * time.Minute // lifetime of the token between password and second factor
	mfaTokenBytes          = 32
	maxMFAChallenges       = 10000 // pending second steps kept; the oldest is dropped beyond
	maxMFAAttempts         = 5     // wrong codes one mfa_token accepts before it is void
)

// UseSecurity sets the sign-in policy. Call it before the Service serves.
func (s *Service) UseSecurity(cfg SecurityConfig) {
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = DefaultTOTPIssuer
	}
	if cfg.LockoutDuration <= 0 {
		cfg.LockoutDuration = DefaultLockoutDuration
	}
	cfg.Require2FA = slices.Clone(cfg.Require2FA)
	s.security = cfg
}

// Requires2FA reports whether users of the role must sign in with a second factor.
func (s *Service) Requires2FA(r Role) bool { return slices.Contains(s.security.Require2FA, r) }

// UserEvents is implemented by the Users store: it writes a user change together with the
// security events of its use case in one atomic batch, and emits events that change no
// stored record. The store adapter implements it; the Service needs it for 2FA and lockout.
type UserEvents interface {
	// UpdateUserEmit is UpdateUser whose fn also returns events to emit in the same batch.
	UpdateUserEmit(ctx context.Context, id string, fn func(*User) ([]commerce.Event, error)) (User, error)
	// EmitEvents appends events to the outbox in one batch.
	EmitEvents(ctx context.Context, evs ...commerce.Event) error
}

var errNoUserEvents = commerce.Errorf(commerce.EInternal, "user_events_unavailable", "auth: the user store cannot write security events")

func (s *Service) userEvents() (UserEvents, error) {
	ue, ok := s.users.(UserEvents)
	if !ok {
		return nil, errNoUserEvents
	}
	return ue, nil
}

// emit writes events that change no stored record. Stores without UserEvents (test
// doubles) drop them.
func (s *Service) emit(ctx context.Context, evs ...commerce.Event) error {
	if ue, err := s.userEvents(); err == nil {
		return ue.EmitEvents(ctx, evs...)
	}
	return nil
}

// Event types of the second factor and of failed sign-ins, on subjects um.auth.*. Being
// auth.* events they are also written to the audit log. Their data never carries a secret,
// a code or a token.
const (
	Event2FAEnrolled              = "auth.2fa_enrolled"               // data: TwoFactorData; a secret was issued, not yet confirmed
	Event2FAEnabled               = "auth.2fa_enabled"                // data: TwoFactorData
	Event2FADisabled              = "auth.2fa_disabled"               // data: TwoFactorData; by the user
	Event2FAReset                 = "auth.2fa_reset"                  // data: TwoFactorData; by an administrator
	EventRecoveryCodesRegenerated = "auth.recovery_codes_regenerated" // data: TwoFactorData
	EventRecoveryCodeUsed         = "auth.recovery_code_used"         // data: TwoFactorData with the codes left
	EventLoginFailed              = "auth.login_failed"               // data: LoginFailedData
	EventAccountLocked            = "auth.account_locked"             // data: AccountLockedData
)

// TwoFactorData is the data of the 2FA events.
type TwoFactorData struct {
	UserID            string `json:"user_id"`
	RecoveryCodesLeft int    `json:"recovery_codes_left,omitempty"`
}

// Why a sign-in failed (LoginFailedData.Reason).
const (
	FailPassword     = "password"      // wrong password for a known account
	FailUnknownEmail = "unknown_email" // no account has that e-mail
	FailSecondFactor = "second_factor" // wrong TOTP or recovery code
)

// LoginFailedData is the data of an EventLoginFailed event. UserID is empty for an e-mail
// no account has.
type LoginFailedData struct {
	UserID   string `json:"user_id,omitempty"`
	Email    string `json:"email,omitempty"`
	Reason   string `json:"reason"`
	Failures int    `json:"failures"` // in a row, this one included
}

// AccountLockedData is the data of an EventAccountLocked event.
type AccountLockedData struct {
	UserID string    `json:"user_id"`
	Until  time.Time `json:"until"`
}

// Errors of the second factor and lockout.
var (
	ErrAccountLocked        = &commerce.Error{Kind: commerce.ERateLimited, Code: "account_locked", Message: "too many failed sign-ins; try again later"}
	ErrMFATokenInvalid      = &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_mfa_token", Message: "the sign-in step expired or is unknown; sign in with your password again"}
	ErrInvalidCode          = &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_code", Message: "the code is wrong, expired or already used"}
	ErrTwoFactorEnabled     = &commerce.Error{Kind: commerce.EConflict, Code: "two_factor_enabled", Message: "two-factor sign-in is already on; disable it first"}
	ErrTwoFactorNotEnabled  = &commerce.Error{Kind: commerce.EConflict, Code: "two_factor_not_enabled", Message: "two-factor sign-in is not on"}
	ErrTwoFactorNotEnrolled = &commerce.Error{Kind: commerce.EConflict, Code: "two_factor_not_enrolled", Message: "start two-factor enrolment first"}
	ErrTwoFactorRequired    = &commerce.Error{Kind: commerce.EForbidden, Code: "two_factor_required", Message: "your role must use two-factor sign-in: enrol and confirm it, then sign in again"}
)

// lockedError is ErrAccountLocked with the seconds left (rounded up), which the HTTP layer
// sends as Retry-After.
func lockedError(until, now time.Time) error {
	secs := int64((until.Sub(now) + time.Second - 1) / time.Second)
	return ErrAccountLocked.WithDetails(map[string]any{"retry_after_seconds": max(secs, 1)})
}

// mfaChallenge is a pending second sign-in step: the password was right, the second factor
// is awaited. Kept in memory under the SHA-256 of its token: a restart only makes the user
// type the password again.
type mfaChallenge struct {
	userID   string
	expires  time.Time
	attempts int
}

type mfaChallenges struct {
	mu sync.Mutex
	m  map[string]*mfaChallenge // hex-free key: string(sha256(token))
}

// add stores a challenge for userID and returns its token.
func (c *mfaChallenges) add(userID string, now time.Time) string {
	tok := commerce.NewSecret(mfaTokenBytes)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*mfaChallenge)
	}
	if len(c.m) >= maxMFAChallenges {
		c.prune(now)
	}
	c.m[string(hashToken(tok))] = &mfaChallenge{userID: userID, expires: now.Add(MFATokenTTL)}
	return tok
}

// prune drops expired challenges and, if still full, the one closest to expiry. Caller
// holds mu.
func (c *mfaChallenges) prune(now time.Time) {
	var oldest string
	var oldestExp time.Time
	for k, ch := range c.m {
		if !now.Before(ch.expires) {
			delete(c.m, k)
			continue
		}
		if oldest == "" || ch.expires.Before(oldestExp) {
			oldest, oldestExp = k, ch.expires
		}
	}
	if len(c.m) >= maxMFAChallenges {
		delete(c.m, oldest)
	}
}

// user returns the user of a live challenge, or ErrMFATokenInvalid.
func (c *mfaChallenges) user(tok string, now time.Time) (string, error) {
	if !plausibleRefresh(tok) { // same shape as a refresh token
		return "", ErrMFATokenInvalid
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(hashToken(tok))
	ch, ok := c.m[k]
	if !ok {
		return "", ErrMFATokenInvalid
	}
	if !now.Before(ch.expires) {
		delete(c.m, k)
		return "", ErrMFATokenInvalid
	}
	return ch.userID, nil
}

// fail counts a wrong code against the challenge and voids it after maxMFAAttempts.
func (c *mfaChallenges) fail(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(hashToken(tok))
	if ch, ok := c.m[k]; ok {
		if ch.attempts++; ch.attempts >= maxMFAAttempts {
			delete(c.m, k)
		}
	}
}

// consume removes the challenge; only the caller that removed it may finish the sign-in.
func (c *mfaChallenges) consume(tok string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(hashToken(tok))
	_, ok := c.m[k]
	delete(c.m, k)
	return ok
}

// drop forgets the challenge (the account got locked or can no longer sign in).
func (c *mfaChallenges) drop(tok string) { c.consume(tok) }

// SecondFactor is what the second login step is given: a TOTP code or a recovery code.
type SecondFactor struct {
	MFAToken     string
	Code         string
	RecoveryCode string
}

// LoginSecondFactor finishes a sign-in that Login answered with an MFA token: with a valid
// TOTP code (or an unused recovery code) of the token's user it opens a session whose access
// token records the second factor. A wrong code counts as a failed sign-in (lockout); the
// token is single-use, lives MFATokenTTL and is void after a few wrong codes.
func (s *Service) LoginSecondFactor(ctx context.Context, in SecondFactor) (SignIn, error) {
	if s.tokens == nil {
		return SignIn{}, ErrTokensUnavailable
	}
	var v commerce.Validator
	v.Check(in.MFAToken != "", "mfa_token", "is required")
	v.Check(in.Code != "" || in.RecoveryCode != "", "code", "is required (or recovery_code)")
	v.Check(in.Code == "" || in.RecoveryCode == "", "recovery_code", "give either code or recovery_code, not both")
	if err := v.Err(); err != nil {
		return SignIn{}, err
	}
	now := s.clock.Now().UTC()
	userID, err := s.mfa.user(in.MFAToken, now)
	if err != nil {
		return SignIn{}, err
	}
	u, err := s.checkSecondFactor(ctx, userID, in.Code, in.RecoveryCode, nil)
	switch {
	case errors.Is(err, ErrInvalidCode):
		s.mfa.fail(in.MFAToken)
		return SignIn{}, err
	case errors.Is(err, ErrAccountLocked), errors.Is(err, ErrTwoFactorNotEnabled), errors.Is(err, ErrUserNotFound):
		s.mfa.drop(in.MFAToken)
		if !errors.Is(err, ErrAccountLocked) {
			err = ErrMFATokenInvalid
		}
		return SignIn{}, err
	case err != nil:
		return SignIn{}, err
	}
	if u.Disabled || u.Deleted {
		s.mfa.drop(in.MFAToken)
		return SignIn{}, ErrAccountDisabled
	}
	if !s.mfa.consume(in.MFAToken) {
		return SignIn{}, ErrMFATokenInvalid
	}
	p, err := s.tokens.start(ctx, u)
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{User: redact(u), Pair: p}, nil
}
