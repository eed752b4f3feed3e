package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/ultramarket/ultramarket/commerce"
)

// TOTP parameters: what every authenticator app assumes (RFC 6238 defaults). A code is
// accepted one step before and after the current one, for clock drift.
const (
	TOTPPeriod        = 30 * time.Second
	TOTPDigits        = 6
	totpSkew          = 1
	RecoveryCodeCount = 10
	recoveryCodeChars = 10 // base32 characters, 50 random bits, shown as xxxxx-xxxxx
	qrSize            = 256
)

var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrollment is what an authenticator app needs to add the account: the base32 secret
// (to type in), the otpauth:// URL and the same URL as a QR code (PNG, base64).
type TOTPEnrollment struct {
	Secret string
	URL    string
	QRPNG  string
}

// EnrollTOTP issues a new TOTP secret for p's account. The second factor is not on until
// ConfirmTOTP proves the app has it; enrolling again before that replaces the secret.
func (s *Service) EnrollTOTP(ctx context.Context, p Principal) (TOTPEnrollment, error) {
	cur, err := s.User(ctx, p.UserID)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if cur.TOTPEnabled {
		return TOTPEnrollment{}, ErrTwoFactorEnabled
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer(), AccountName: cur.Email,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return TOTPEnrollment{}, commerce.Errorf(commerce.EInternal, "totp_generate", "auth: generate TOTP key: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return TOTPEnrollment{}, commerce.Errorf(commerce.EInternal, "totp_qr", "auth: TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrollment{}, commerce.Errorf(commerce.EInternal, "totp_qr", "auth: TOTP QR code: %w", err)
	}
	now := s.clock.Now().UTC()
	_, err = s.adminUpdate(ctx, p.UserID, func(u *User) ([]commerce.Event, error) {
		if u.TOTPEnabled {
			return nil, ErrTwoFactorEnabled
		}
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = key.Secret(), 0, nil
		u.UpdatedAt = now
		return twoFactorEvent(Event2FAEnrolled, u, now)
	})
	if err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL(), QRPNG: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

func (s *Service) issuer() string {
	if s.security.TOTPIssuer == "" {
		return DefaultTOTPIssuer
	}
	return s.security.TOTPIssuer
}

// Why sessions end on a 2FA change (Session.RevokeReason).
const (
	RevokeTwoFactorEnabled = "two_factor_enabled" // sessions signed in with a password only
	RevokeTwoFactorReset   = "two_factor_reset"   // an administrator reset the second factor
)

// ConfirmTOTP turns the second factor on with a code from the enrolled app and returns
// RecoveryCodeCount single-use recovery codes, shown this once (only their hashes are kept).
// A wrong code is a field error on "code" and changes nothing.
//
// Every session of the user was signed in with the password alone, so all of them end, and
// the caller gets a new session (in SignIn) that counts as signed in with the second factor:
// a user whose role requires 2FA goes on with it at once.
func (s *Service) ConfirmTOTP(ctx context.Context, p Principal, code string) ([]string, SignIn, error) {
	codes, err := s.confirmTOTP(ctx, p, code)
	if err != nil || s.tokens == nil {
		return codes, SignIn{}, err
	}
	if err := s.revokeSessions(ctx, p.UserID, RevokeTwoFactorEnabled); err != nil {
		return nil, SignIn{}, err
	}
	u, err := s.users.User(ctx, p.UserID)
	if err != nil {
		return nil, SignIn{}, err
	}
	pair, err := s.tokens.start(ctx, u)
	if err != nil {
		return nil, SignIn{}, err
	}
	return codes, SignIn{User: redact(u), Pair: pair}, nil
}

func (s *Service) confirmTOTP(ctx context.Context, p Principal, code string) ([]string, error) {
	if code = normalizeCode(code); code == "" {
		return nil, commerce.Invalid(commerce.FieldError{Field: "code", Message: "is required"})
	}
	if !commerce.ValidID(p.UserID) {
		return nil, ErrUserNotFound
	}
	codes, hashes := newRecoveryCodes()
	now := s.clock.Now().UTC()
	_, err := s.adminUpdate(ctx, p.UserID, func(u *User) ([]commerce.Event, error) {
		switch {
		case u.TOTPEnabled:
			return nil, ErrTwoFactorEnabled
		case u.TOTPSecret == "":
			return nil, ErrTwoFactorNotEnrolled
		}
		step, ok := totpStep(u.TOTPSecret, code, u.TOTPLastStep, now)
		if !ok {
			return nil, errWrongCode
		}
		u.TOTPEnabled, u.TOTPLastStep, u.RecoveryCodes = true, step, hashes
		u.UpdatedAt = now
		return twoFactorEvent(Event2FAEnabled, u, now)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// errWrongCode is the field error of a wrong code on an already signed-in account.
var errWrongCode = commerce.Invalid(commerce.FieldError{Field: "code", Message: "is wrong, expired or already used"})

// DisableTOTP turns the second factor off after checking the password and a current TOTP
// code. A wrong password or code counts as a failed sign-in (so a stolen access token
// cannot guess them) and is a field error.
func (s *Service) DisableTOTP(ctx context.Context, p Principal, password, code string) error {
	var v commerce.Validator
	v.Check(password != "", "password", "is required")
	v.Check(normalizeCode(code) != "", "code", "is required")
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.users.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !u.TOTPEnabled {
		return ErrTwoFactorNotEnabled
	}
	if now := s.clock.Now(); now.Before(u.LockedUntil) {
		return lockedError(u.LockedUntil, now)
	}
	ok, _, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.recordFailure(ctx, u.ID, u.Email, FailPassword); err != nil {
			return err
		}
		return commerce.Invalid(commerce.FieldError{Field: "password", Message: "is wrong"})
	}
	_, err = s.checkSecondFactor(ctx, u.ID, code, "", func(u *User, now time.Time) ([]commerce.Event, error) {
		u.TOTPEnabled, u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = false, "", 0, nil
		return twoFactorEvent(Event2FADisabled, u, now)
	})
	if errors.Is(err, ErrInvalidCode) {
		return errWrongCode
	}
	return err
}

// RegenerateRecoveryCodes replaces every recovery code with RecoveryCodeCount new ones,
// after checking a current TOTP code (counted like DisableTOTP's).
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p Principal, code string) ([]string, error) {
	if normalizeCode(code) == "" {
		return nil, commerce.Invalid(commerce.FieldError{Field: "code", Message: "is required"})
	}
	if !commerce.ValidID(p.UserID) {
		return nil, ErrUserNotFound
	}
	codes, hashes := newRecoveryCodes()
	_, err := s.checkSecondFactor(ctx, p.UserID, code, "", func(u *User, now time.Time) ([]commerce.Event, error) {
		u.RecoveryCodes = hashes
		return twoFactorEvent(EventRecoveryCodesRegenerated, u, now)
	})
	if errors.Is(err, ErrInvalidCode) {
		return nil, errWrongCode
	}
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// ResetTwoFactor clears a user's second factor (a lost phone): the secret, the recovery
// codes and any lockout, so the user signs in with the password alone (or, for a role that
// requires 2FA, enrols again), and ends the user's sessions (the lost phone may have been
// taken). It checks no permission: administrators go through ResetSecondFactor, which
// applies the staff rules.
func (s *Service) ResetTwoFactor(ctx context.Context, userID string) (User, error) {
	now := s.clock.Now().UTC()
	u, err := s.adminUpdate(ctx, userID, func(u *User) ([]commerce.Event, error) {
		u.TOTPEnabled, u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = false, "", 0, nil
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		u.UpdatedAt = now
		return twoFactorEvent(Event2FAReset, u, now)
	})
	if err != nil {
		return User{}, err
	}
	return u, s.revokeSessions(ctx, userID, RevokeTwoFactorReset)
}

// checkSecondFactor checks a TOTP code or a recovery code of the user in one atomic update.
// A locked account gets ErrAccountLocked (nothing written). A wrong code is recorded as a
// failed sign-in (and may lock the account), then ErrInvalidCode is returned. A right one
// is used up (its step or the recovery code), clears the failure count and, when change is
// not nil, the change is applied in the same update.
func (s *Service) checkSecondFactor(ctx context.Context, userID, code, recovery string, change func(*User, time.Time) ([]commerce.Event, error)) (User, error) {
	code, recovery = normalizeCode(code), normalizeRecovery(recovery)
	now := s.clock.Now().UTC()
	var wrong bool
	u, err := s.adminUpdate(ctx, userID, func(u *User) ([]commerce.Event, error) {
		wrong = false
		if now.Before(u.LockedUntil) {
			return nil, lockedError(u.LockedUntil, now)
		}
		if !u.TOTPEnabled {
			return nil, ErrTwoFactorNotEnabled
		}
		var evs []commerce.Event
		switch {
		case recovery != "":
			i := recoveryIndex(u.RecoveryCodes, recovery)
			if i < 0 {
				wrong = true
				break
			}
			u.RecoveryCodes = append(u.RecoveryCodes[:i:i], u.RecoveryCodes[i+1:]...)
			ev, err := commerce.NewEvent(EventRecoveryCodeUsed, u.ID, now, TwoFactorData{UserID: u.ID, RecoveryCodesLeft: len(u.RecoveryCodes)})
			if err != nil {
				return nil, err
			}
			evs = append(evs, ev)
		default:
			step, ok := totpStep(u.TOTPSecret, code, u.TOTPLastStep, now)
			if !ok {
				wrong = true
				break
			}
			u.TOTPLastStep = step
		}
		u.UpdatedAt = now
		if wrong {
			return s.failed(u, FailSecondFactor, now)
		}
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		if change != nil {
			more, err := change(u, now)
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
		return evs, nil
	})
	if err != nil {
		return User{}, err
	}
	if wrong {
		return User{}, ErrInvalidCode
	}
	return u, nil
}

func twoFactorEvent(typ string, u *User, now time.Time) ([]commerce.Event, error) {
	ev, err := commerce.NewEvent(typ, u.ID, now, TwoFactorData{UserID: u.ID, RecoveryCodesLeft: len(u.RecoveryCodes)})
	if err != nil {
		return nil, err
	}
	return []commerce.Event{ev}, nil
}

// totpStep checks code against secret at now, one step either side, and returns the time
// step it belongs to. A step not after lastStep is refused: a code works once.
func totpStep(secret, code string, lastStep int64, now time.Time) (int64, bool) {
	if len(code) != TOTPDigits || secret == "" {
		return 0, false
	}
	cur := now.Unix() / int64(totpOpts.Period)
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*int64(totpOpts.Period), 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// normalizeCode drops the spaces people type in codes; anything but digits makes it wrong.
func normalizeCode(code string) string {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) > 16 {
		return code[:16] // wrong anyway; bounds the work
	}
	return code
}

const recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789" // 32 symbols, no l/1/o/0

// newRecoveryCodes returns RecoveryCodeCount fresh codes and their stored hashes.
func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		var b [recoveryCodeChars]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("auth: no randomness: " + err.Error())
		}
		for i := range b {
			b[i] = recoveryAlphabet[b[i]%32]
		}
		c := string(b[:5]) + "-" + string(b[5:])
		codes = append(codes, c)
		hashes = append(hashes, hashRecovery(normalizeRecovery(c)))
	}
	return codes, hashes
}

// normalizeRecovery lower-cases a recovery code and drops dashes and spaces.
func normalizeRecovery(c string) string {
	if len(c) > 64 {
		c = c[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(c)))
}

func hashRecovery(normalized string) string {
	h := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(h[:])
}

// recoveryIndex returns the index of the code's hash in hashes, or -1.
func recoveryIndex(hashes []string, normalized string) int {
	want := hashRecovery(normalized)
	found := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
			found = i
		}
	}
	return found
}
