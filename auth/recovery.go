package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// RecoveryConfig configures the mails of registration, verification and password reset.
// Zero values mean the defaults said per field.
type RecoveryConfig struct {
	// BaseURL returns the scheme://host[:port] that links in mails start with; required. It
	// is a function because a server listening on port 0 learns its address only once bound.
	BaseURL   func() string
	ResetTTL  time.Duration // lifetime of a password-reset token; 0 means 1 h
	VerifyTTL time.Duration // lifetime of an e-mail verification token; 0 means 72 h
	ShopName  string        // how mails name the shop; "" means "UltraMarket"
}

// recoveryState is embedded in Service: where tokens and mails are stored, and how mails
// are written.
type recoveryState struct {
	recovery    Recovery
	recoveryCfg RecoveryConfig
}

// UseRecovery gives the Service the store of single-use tokens and mails. Call it before the
// Service serves; without it Register and the recovery use cases fail with
// ErrMailUnavailable.
func (s *Service) UseRecovery(r Recovery, cfg RecoveryConfig) {
	if cfg.ResetTTL == 0 {
		cfg.ResetTTL = time.Hour
	}
	if cfg.VerifyTTL == 0 {
		cfg.VerifyTTL = 72 * time.Hour
	}
	if cfg.ShopName == "" {
		cfg.ShopName = "UltraMarket"
	}
	if cfg.BaseURL == nil {
		cfg.BaseURL = func() string { return "http://localhost" }
	}
	s.recovery, s.recoveryCfg = r, cfg
}

// Errors of the recovery use cases.
var (
	ErrMailUnavailable      = &commerce.Error{Kind: commerce.EUnavailable, Code: "mail_unavailable", Message: "e-mail is not available"}
	ErrWrongPassword        = &commerce.Error{Kind: commerce.EUnauthorized, Code: "wrong_password", Message: "the current password is wrong"}
	ErrEmailAlreadyVerified = &commerce.Error{Kind: commerce.EConflict, Code: "email_already_verified", Message: "this account's e-mail address is already verified"}
	ErrPasswordChanged      = &commerce.Error{Kind: commerce.EConflict, Code: "password_changed", Message: "the password changed meanwhile; try again"}
)

// Why sessions are revoked by the recovery use cases.
const (
	RevokePasswordChanged = "password_changed" // the user changed the password: every other session ends
	RevokePasswordReset   = "password_reset"   // the password was reset: every session ends
)

// Event types of account recovery, on subjects um.auth.*. They are security events (so
// audited) and never carry a token or a password.
const (
	EventPasswordChanged       = "auth.password_changed"         // data: RecoveryData
	EventPasswordChangeFailed  = "auth.password_change_failed"   // data: RecoveryData; wrong current password
	EventPasswordResetRequest  = "auth.password_reset_requested" // data: RecoveryData; UserID empty when no account may be reset
	EventPasswordReset         = "auth.password_reset"           // data: RecoveryData
	EventEmailVerified         = "auth.email_verified"           // data: RecoveryData
	EventVerificationRequested = "auth.verification_requested"   // data: RecoveryData; a verification mail was queued
	EventRegistrationDuplicate = "auth.registration_duplicate"   // data: RecoveryData; someone registered a taken address
	EventTokenRejected         = "auth.token_rejected"           // data: RecoveryData with Purpose and Reason
)

// RecoveryData is the data of the recovery events.
type RecoveryData struct {
	UserID  string       `json:"user_id,omitempty"`
	Email   string       `json:"email,omitempty"`
	Purpose TokenPurpose `json:"purpose,omitempty"`
	Reason  string       `json:"reason,omitempty"` // the refusal's error code
}

// recoveryEvent builds a recovery event about user id (or, without one, about the e-mail).
func recoveryEvent(typ string, at time.Time, d RecoveryData) (commerce.Event, error) {
	agg := d.UserID
	if agg == "" {
		agg = "-"
	}
	ev, err := commerce.NewEvent(typ, agg, at, d)
	if d.UserID != "" && ev.Actor == "" {
		ev.Actor = "user:" + d.UserID
	}
	return ev, err
}

func (s *Service) recoveryRepo() (Recovery, error) {
	if s.recovery == nil {
		return nil, ErrMailUnavailable
	}
	return s.recovery, nil
}

// registrationNotice tells the owner of a taken address that someone tried to register it.
func (s *Service) registrationNotice(ctx context.Context, rec Recovery, u User) error {
	ev, err := recoveryEvent(EventRegistrationDuplicate, s.clock.Now(), RecoveryData{UserID: u.ID})
	if err != nil {
		return err
	}
	if u.Deleted {
		return rec.Record(ctx, nil, ev)
	}
	m := s.registrationNoticeMail(u)
	return rec.Record(ctx, &m, ev)
}

// ResendVerification queues a new verification mail for the signed-in user's address.
// Earlier links stay valid until they expire.
func (s *Service) ResendVerification(ctx context.Context, p Principal) error {
	rec, err := s.recoveryRepo()
	if err != nil {
		return err
	}
	u, err := s.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.Disabled || u.Deleted {
		return ErrAccountDisabled
	}
	if u.EmailVerified {
		return ErrEmailAlreadyVerified
	}
	now := s.clock.Now().UTC()
	tok, row := newOneTime(PurposeVerify, u, now, s.recoveryCfg.VerifyTTL)
	ev, err := recoveryEvent(EventVerificationRequested, now, RecoveryData{UserID: u.ID})
	if err != nil {
		return err
	}
	return rec.IssueToken(ctx, row, s.verifyMail(u, tok), ev)
}

// VerifyEmail spends a verification token: the account's e-mail is verified. A token that
// is unknown, expired, already used or for an address the account no longer has is refused
// (ErrOneTimeInvalid, ErrOneTimeExpired, ErrOneTimeUsed), changing nothing but recording an
// EventTokenRejected.
func (s *Service) VerifyEmail(ctx context.Context, token string) (User, error) {
	return s.consume(ctx, token, PurposeVerify, func(u *User, now time.Time) (string, error) {
		u.EmailVerified, u.EmailVerifiedAt, u.UpdatedAt = true, now, now
		return EventEmailVerified, nil
	})
}

// RequestPasswordReset queues a reset mail to the address when it belongs to an account
// that may sign in. The answer and the work (one token, one write with an
// EventPasswordResetRequest) are the same whether or not it does, so it cannot tell who has
// an account; only a malformed address is refused (a field error).
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	rec, err := s.recoveryRepo()
	if err != nil {
		return err
	}
	norm, msg := normalizeEmail(email)
	if msg != "" {
		return commerce.Invalid(commerce.FieldError{Field: "email", Message: msg})
	}
	now := s.clock.Now().UTC()
	u, err := s.users.UserByEmail(ctx, norm)
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return err
	}
	known := err == nil && !u.Disabled && !u.Deleted
	if !known {
		u = User{ID: commerce.NewID(), Email: norm} // a token that is never stored, for equal work
	}
	tok, row := newOneTime(PurposeReset, u, now, s.recoveryCfg.ResetTTL)
	d := RecoveryData{Email: norm}
	if known {
		d.UserID = u.ID
	}
	ev, err := recoveryEvent(EventPasswordResetRequest, now, d)
	if err != nil {
		return err
	}
	if !known {
		return rec.Record(ctx, nil, ev)
	}
	return rec.IssueToken(ctx, row, s.resetMail(u, tok), ev)
}

// ResetPassword spends a reset token on a new password (checked against the password
// policy for the account's address first, which spends nothing). It clears a lockout,
// marks the e-mail verified (the mail reached its owner), voids every older reset link and
// revokes every session of the user. Refused tokens are as in VerifyEmail.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if newPassword == "" {
		return commerce.Invalid(commerce.FieldError{Field: "new_password", Message: "is required"})
	}
	if msg := passwordProblem(newPassword, ""); msg != "" {
		return commerce.Invalid(commerce.FieldError{Field: "new_password", Message: msg})
	}
	rec, err := s.recoveryRepo()
	if err != nil {
		return err
	}
	var hash string
	if plausibleRefresh(token) {
		// Check the password against the account's address before spending the token; an
		// unknown token is refused (and audited) by consume below.
		if t, err := rec.OneTimeToken(ctx, hashToken(token)); err == nil && t.Purpose == PurposeReset {
			if msg := passwordProblem(newPassword, t.Email); msg != "" {
				return commerce.Invalid(commerce.FieldError{Field: "new_password", Message: msg})
			}
			if hash, err = s.hasher.Hash(ctx, newPassword); err != nil {
				return err
			}
		}
	}
	u, err := s.consume(ctx, token, PurposeReset, func(u *User, now time.Time) (string, error) {
		if hash == "" {
			return "", ErrOneTimeInvalid // cannot happen: consume refuses the token first
		}
		u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, now, now
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		if !u.EmailVerified {
			u.EmailVerified, u.EmailVerifiedAt = true, now
		}
		return EventPasswordReset, nil
	})
	if err != nil {
		return err
	}
	if s.tokens != nil {
		return s.tokens.RevokeUser(ctx, u.ID, RevokePasswordReset)
	}
	return nil
}

// consume spends token on purpose: change applies the use case to the user and names its
// event. Every refusal writes an EventTokenRejected instead.
func (s *Service) consume(ctx context.Context, token string, purpose TokenPurpose, change func(u *User, now time.Time) (string, error)) (User, error) {
	rec, err := s.recoveryRepo()
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now().UTC()
	if !plausibleRefresh(token) { // same shape as a refresh token: 43 base64url characters
		ev, err := recoveryEvent(EventTokenRejected, now, RecoveryData{Purpose: purpose, Reason: ErrOneTimeInvalid.Code})
		if err != nil {
			return User{}, err
		}
		if err := rec.Record(ctx, nil, ev); err != nil {
			return User{}, err
		}
		return User{}, ErrOneTimeInvalid
	}
	u, err := rec.ConsumeToken(ctx, hashToken(token), func(t *OneTimeToken, u *User) ([]commerce.Event, error) {
		if err := checkOneTime(t, u, purpose, now); err != nil {
			d := RecoveryData{Purpose: purpose, Reason: commerce.AsError(err).Code}
			if t != nil {
				d.UserID = t.UserID
			}
			ev, eerr := recoveryEvent(EventTokenRejected, now, d)
			if eerr != nil {
				return nil, eerr
			}
			return []commerce.Event{ev}, err
		}
		typ, err := change(u, now)
		if err != nil {
			return nil, err
		}
		t.UsedAt = now
		ev, err := recoveryEvent(typ, now, RecoveryData{UserID: u.ID, Email: u.Email})
		if err != nil {
			return nil, err
		}
		return []commerce.Event{ev}, nil
	})
	if err != nil {
		return User{}, err
	}
	return redact(u), nil
}

// ChangePassword replaces the signed-in user's password after checking the current one.
// A wrong current password is ErrWrongPassword and records an EventPasswordChangeFailed;
// the new one must pass the password policy and differ from the current one. Every other
// session of the user is revoked; the caller's (p.SessionID) stays signed in.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, newPassword string) error {
	rec, err := s.recoveryRepo()
	if err != nil {
		return err
	}
	var v commerce.Validator
	v.Check(current != "", "current_password", "is required")
	v.Check(newPassword != "", "new_password", "is required")
	if err := v.Err(); err != nil {
		return err
	}
	if !commerce.ValidID(p.UserID) {
		return ErrUserNotFound
	}
	u, err := s.users.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.Disabled || u.Deleted {
		return ErrAccountDisabled
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	if !ok {
		ev, err := recoveryEvent(EventPasswordChangeFailed, now, RecoveryData{UserID: u.ID})
		if err != nil {
			return err
		}
		if err := rec.Record(ctx, nil, ev); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	msg := passwordProblem(newPassword, u.Email)
	if msg == "" && newPassword == current {
		msg = "must differ from the current password"
	}
	if msg != "" {
		return commerce.Invalid(commerce.FieldError{Field: "new_password", Message: msg})
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	ue, err := s.userEvents()
	if err != nil {
		return err
	}
	if _, err := ue.UpdateUserEmit(ctx, u.ID, func(x *User) ([]commerce.Event, error) {
		if x.PasswordHash != u.PasswordHash {
			return nil, ErrPasswordChanged
		}
		x.PasswordHash, x.PasswordChangedAt, x.UpdatedAt = hash, now, now
		ev, err := recoveryEvent(EventPasswordChanged, now, RecoveryData{UserID: x.ID})
		return []commerce.Event{ev}, err
	}); err != nil {
		return err
	}
	return s.revokeOtherSessions(ctx, u.ID, p.SessionID, RevokePasswordChanged)
}

// revokeOtherSessions ends every live session of the user except keep, cutting off their
// access tokens on this process. Without tokens (offline) there is nothing to do.
func (s *Service) revokeOtherSessions(ctx context.Context, userID, keep, reason string) error {
	if s.tokens == nil {
		return nil
	}
	sl, ok := s.tokens.sessions.(interface {
		UserSessions(ctx context.Context, userID string) ([]Session, error)
	})
	if !ok || keep == "" { // the safe side: end them all
		return s.tokens.RevokeUser(ctx, userID, reason)
	}
	all, err := sl.UserSessions(ctx, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, x := range all {
		if x.ID == keep || x.Revoked || x.UserID != userID {
			continue
		}
		if err := s.tokens.revokeSession(ctx, x.ID, reason, nil); err != nil && !errors.Is(err, ErrSessionNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// equalEmail compares addresses as the account index does (lower-cased).
func equalEmail(a, b string) bool { return strings.ToLower(a) == strings.ToLower(b) }
