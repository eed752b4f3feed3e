package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// UseTokens gives the Service the tokens that sign-in use cases issue. Call it before the
// Service serves; without it Register, Login, Refresh and Logout fail with
// ErrTokensUnavailable (admin commands need no tokens).
func (s *Service) UseTokens(t *Tokens) {
	s.tokens = t
	t.UseMFAPolicy(s.Requires2FA)
}

// SignIn is the result of a registration, a login or a refresh. A login of a user with
// two-factor sign-in has no Pair but an MFAToken, to be given with a code to
// LoginSecondFactor within MFAExpiresIn.
type SignIn struct {
	User User
	Pair
	MFAToken     string
	MFAExpiresIn time.Duration
}

// RegisterInput is what a shopper signs up with. There is no role: self-registration always
// makes a CUSTOMER.
type RegisterInput struct {
	Email    string
	Password string
	Name     string
}

// Register creates a customer account without signing it in, and answers the same whether
// or not the e-mail is taken, after the same work (one password hash, one write), so the
// answer cannot tell who has an account. A new account gets a verification mail in the
// same write as the user; a taken address gets a notice saying someone tried to register
// with it. It returns only the field errors of CreateUser (plus a required name). The
// account may sign in with Login at once; the profile says whether its e-mail is verified.
func (s *Service) Register(ctx context.Context, in RegisterInput) error {
	rec, err := s.recoveryRepo()
	if err != nil {
		return err
	}
	email, name, role, err := checkNewUser(CreateUserInput{Email: in.Email, Password: in.Password, Name: in.Name}, true)
	if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, in.Password) // also for a taken address: the same work
	if err != nil {
		return err
	}
	existing, err := s.users.UserByEmail(ctx, email)
	if err == nil {
		return s.registrationNotice(ctx, rec, existing)
	}
	if !errors.Is(err, ErrUserNotFound) {
		return err
	}
	now := s.clock.Now().UTC()
	u := User{ID: commerce.NewID(), Email: email, Name: name, Role: role, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	tok, row := newOneTime(PurposeVerify, u, now, s.recoveryCfg.VerifyTTL)
	err = rec.RegisterUser(ctx, u, row, s.verifyMail(u, tok))
	if errors.Is(err, ErrEmailTaken) { // registered meanwhile
		if existing, err = s.users.UserByEmail(ctx, email); err == nil {
			return s.registrationNotice(ctx, rec, existing)
		}
	}
	return err
}

// Login checks the e-mail and password and opens a new session. A wrong e-mail and a wrong
// password give the same ErrInvalidCredentials after the same work (a missing user is
// checked against a dummy hash, and both record the failure with one durable write). Only
// after a correct password does a disabled account get ErrAccountDisabled. A hash made with
// weaker parameters than the current ones is replaced.
//
// Lockout (see lockout.go): an account, or an e-mail no account has, that failed
// LockoutThreshold times in a row gets ErrAccountLocked, without a password check, until the
// lock ends. A user with TOTP enabled gets no session yet but an MFA token (SignIn.MFAToken)
// for LoginSecondFactor.
func (s *Service) Login(ctx context.Context, email, password string) (SignIn, error) {
	if s.tokens == nil {
		return SignIn{}, ErrTokensUnavailable
	}
	var v commerce.Validator
	email = strings.TrimSpace(email)
	v.Check(email != "", "email", "is required")
	v.Check(password != "", "password", "is required")
	if err := v.Err(); err != nil {
		return SignIn{}, err
	}
	now := s.clock.Now().UTC()
	u, err := s.users.UserByEmail(ctx, email)
	if errors.Is(err, ErrUserNotFound) {
		if until := s.unknown.lockedUntil(email, now); !until.IsZero() {
			return SignIn{}, lockedError(until, now)
		}
		dummy, err := s.dummyHash(ctx)
		if err != nil {
			return SignIn{}, err
		}
		if _, _, err := s.hasher.Verify(ctx, password, dummy); err != nil {
			return SignIn{}, err
		}
		if err := s.failUnknown(ctx, email); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, ErrInvalidCredentials
	}
	if err != nil {
		return SignIn{}, err
	}
	if now.Before(u.LockedUntil) {
		return SignIn{}, lockedError(u.LockedUntil, now)
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return SignIn{}, err
	}
	if !ok {
		if err := s.recordFailure(ctx, u.ID, u.Email, FailPassword); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, ErrInvalidCredentials
	}
	if u.Disabled || u.Deleted {
		return SignIn{}, ErrAccountDisabled
	}
	var newHash string
	if rehash {
		if h, err := s.hasher.Hash(ctx, password); err == nil {
			newHash = h
		}
	}
	// The failure count is cleared by a whole sign-in: with a second factor, only once the
	// code is right too, so knowing the password does not reset the guesses at the code.
	reset := !u.TOTPEnabled && (u.FailedLogins > 0 || !u.LockedUntil.IsZero())
	if newHash != "" || reset {
		// Best effort: the sign-in does not depend on it; the next login retries.
		if nu, err := s.users.UpdateUser(ctx, u.ID, func(x *User) error {
			if newHash != "" && x.PasswordHash == u.PasswordHash {
				x.PasswordHash = newHash
			}
			if reset && !now.Before(x.LockedUntil) {
				x.FailedLogins, x.LockedUntil = 0, time.Time{}
			}
			return nil
		}); err == nil {
			u = nu
		}
	}
	if u.TOTPEnabled {
		return SignIn{User: redact(u), MFAToken: s.mfa.add(u.ID, now), MFAExpiresIn: MFATokenTTL}, nil
	}
	p, err := s.tokens.start(ctx, u)
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{User: redact(u), Pair: p}, nil
}

// dummyHash is a hash of a random password with the current parameters, made once, that
// logins for unknown e-mails verify against so they cost what a real one does.
func (s *Service) dummyHash(ctx context.Context) (string, error) {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if s.dummy == "" {
		h, err := s.hasher.Hash(ctx, commerce.NewSecret(16))
		if err != nil {
			return "", err
		}
		s.dummy = h
	}
	return s.dummy, nil
}

// Refresh exchanges a refresh token for a new pair (see Tokens for rotation and reuse). The
// access token carries the user's current role; a disabled or deleted user gets no pair.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (SignIn, error) {
	if s.tokens == nil {
		return SignIn{}, ErrTokensUnavailable
	}
	p, u, err := s.tokens.rotate(ctx, refreshToken, func(id string) (User, error) {
		u, err := s.users.User(ctx, id)
		if errors.Is(err, ErrUserNotFound) {
			return User{}, ErrTokenInvalid
		}
		if err != nil {
			return User{}, err
		}
		if u.Disabled {
			return User{}, ErrAccountDisabled
		}
		return u, nil
	})
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{User: redact(u), Pair: p}, nil
}

// Logout revokes the session of refreshToken, which must belong to p (ErrSessionNotYours
// otherwise); an empty refreshToken revokes p's current session. Logging out of a session
// already revoked succeeds.
func (s *Service) Logout(ctx context.Context, p Principal, refreshToken string) error {
	if s.tokens == nil {
		return ErrTokensUnavailable
	}
	return s.tokens.logout(ctx, p, refreshToken)
}

// Profile returns the signed-in user's own account.
func (s *Service) Profile(ctx context.Context, p Principal) (User, error) {
	return s.User(ctx, p.UserID)
}

// ProfileInput changes the fields a user may edit on their own account; nil leaves a field
// as it is. IfVersion, when not 0, must equal the stored Version (ErrVersionMismatch).
type ProfileInput struct {
	Name      *string
	Phone     *string
	IfVersion int64
}

// MaxPhoneChars bounds a phone number as typed (digits, spaces and punctuation).
const MaxPhoneChars = 32

// UpdateProfile validates and applies in to p's account.
func (s *Service) UpdateProfile(ctx context.Context, p Principal, in ProfileInput) (User, error) {
	var v commerce.Validator
	var name, phone string
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
		msg := nameProblem(name)
		if msg == "" && name == "" {
			msg = "must not be empty"
		}
		v.Check(msg == "", "name", msg)
	}
	if in.Phone != nil {
		var msg string
		phone, msg = normalizePhone(*in.Phone)
		v.Check(msg == "", "phone", msg)
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if !commerce.ValidID(p.UserID) {
		return User{}, ErrUserNotFound
	}
	u, err := s.users.UpdateUser(ctx, p.UserID, func(u *User) error {
		if in.IfVersion != 0 && u.Version != in.IfVersion {
			return ErrVersionMismatch.WithDetails(map[string]any{"current_version": u.Version})
		}
		if in.Name != nil {
			u.Name = name
		}
		if in.Phone != nil {
			u.Phone = phone
		}
		u.UpdatedAt = s.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return redact(u), nil
}

// normalizePhone trims s and checks it looks like a phone number: an optional leading '+',
// then digits with spaces, dots, dashes or parentheses between, 5 to 15 digits (E.164's
// maximum). An empty s clears the number.
func normalizePhone(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if utf8.RuneCountInString(s) > MaxPhoneChars {
		return "", fmt.Sprintf("must be at most %d characters", MaxPhoneChars)
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", "may hold only digits, a leading +, spaces, dots, dashes and parentheses"
		}
	}
	if digits < 5 || digits > 15 {
		return "", "must have 5 to 15 digits"
	}
	return s, ""
}

// dummyState is embedded in Service: the in-memory state of sign-in (Login's dummy hash,
// the sign-in policy, pending second steps, failures of unknown e-mails).
type dummyState struct {
	dummyMu  sync.Mutex
	dummy    string
	security SecurityConfig // set by UseSecurity; the zero value: no 2FA required, no lockout
	mfa      mfaChallenges
	unknown  unknownFailures
}
