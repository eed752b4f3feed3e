package auth

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Session is one sign-in: a family of refresh tokens, each issued by rotating the one
// before. Revoking the session makes every token of the family fail, including access
// tokens still in their short lifetime on this process (see Tokens.VerifyAccess).
type Session struct {
	ID           string    `json:"id"`
	UserID       string    `json:"user_id"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at"`
	ExpiresAt    time.Time `json:"expires_at"` // that of the newest refresh token
	Revoked      bool      `json:"revoked"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"` // one of the Revoke* constants
}

// Why a session was revoked.
const (
	RevokeLogout   = "logout"
	RevokeReuse    = "token_reused"     // a rotated refresh token came back: it was stolen or copied
	RevokeDisabled = "account_disabled" // the user was disabled
	RevokeAll      = "all_sessions"     // the user (or an admin) signed out everywhere
)

// RefreshToken is the stored row of one refresh token, kept under the SHA-256 of the token;
// the token itself is never stored. A rotated token stays stored until it expires, so that
// presenting it again is recognised as reuse.
type RefreshToken struct {
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Rotated   bool      `json:"rotated"`
}

// NewRefreshRow is a refresh token to store: its hash and its row.
type NewRefreshRow struct {
	Hash []byte
	Row  RefreshToken
}

// Sessions stores sessions and refresh tokens. The store adapter implements it; each method
// is one atomic read or write, carrying its events in the same batch.
type Sessions interface {
	// CreateSession stores a new session with its first refresh token and emits
	// EventLoggedIn.
	CreateSession(ctx context.Context, s Session, first NewRefreshRow) error
	// RefreshToken returns the row stored under the token hash, or ErrTokenInvalid.
	RefreshToken(ctx context.Context, hash []byte) (RefreshToken, error)
	// UpdateSession reads the token row under hash and its session, applies fn, and writes
	// the changed row and session, and the next token fn returns (if any), in one atomic
	// update; a session that becomes revoked emits EventSessionRevoked. A missing row is
	// ErrTokenInvalid. If fn returns an error nothing is written.
	UpdateSession(ctx context.Context, hash []byte, fn func(t *RefreshToken, s *Session) (*NewRefreshRow, error)) error
	// RevokeSession revokes the session with the given ID if fn (called with it inside the
	// update) returns nil; revoking a revoked session changes nothing. A missing session is
	// ErrSessionNotFound.
	RevokeSession(ctx context.Context, id string, at time.Time, reason string, fn func(*Session) error) error
	// RevokeUserSessions revokes every live session of the user and returns their IDs.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time, reason string) ([]string, error)
}

// Errors of sign-in, tokens and sessions. Every failure of a presented token is 401, so a
// client knows to sign in again; codes tell the cases apart for logs and clients.
var (
	ErrInvalidCredentials = &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_credentials", Message: "wrong e-mail or password"}
	ErrAccountDisabled    = &commerce.Error{Kind: commerce.EForbidden, Code: "account_disabled", Message: "this account is disabled"}
	ErrTokenInvalid       = &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_token", Message: "invalid or unknown token"}
	ErrTokenExpired       = &commerce.Error{Kind: commerce.EUnauthorized, Code: "token_expired", Message: "the token has expired; sign in again"}
	ErrTokenReused        = &commerce.Error{Kind: commerce.EUnauthorized, Code: "token_reused", Message: "this refresh token was already used; the session is revoked, sign in again"}
	ErrSessionRevoked     = &commerce.Error{Kind: commerce.EUnauthorized, Code: "session_revoked", Message: "the session was revoked; sign in again"}
	ErrSessionNotFound    = &commerce.Error{Kind: commerce.ENotFound, Code: "session_not_found", Message: "auth: session not found"}
	ErrSessionNotYours    = &commerce.Error{Kind: commerce.EForbidden, Code: "session_not_yours", Message: "that refresh token belongs to another account"}
	ErrVersionMismatch    = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "the account changed since you read it (If-Match is stale)"}
	ErrTokensUnavailable  = &commerce.Error{Kind: commerce.EUnavailable, Code: "tokens_unavailable", Message: "sign-in is not available"}
)

// Session event types, on subjects um.auth.*.
const (
	EventLoggedIn       = "auth.logged_in"       // data: SessionData; a session started (login or registration)
	EventSessionRevoked = "auth.session_revoked" // data: SessionData with Reason
)

// SessionData is the data of session events. It never carries a token.
type SessionData struct {
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
	Reason    string `json:"reason,omitempty"`
}

// LoggedInEvent returns the event a Sessions implementation emits with a new session.
func LoggedInEvent(s Session) (commerce.Event, error) {
	ev, err := commerce.NewEvent(EventLoggedIn, s.UserID, s.CreatedAt, SessionData{SessionID: s.ID, UserID: s.UserID})
	ev.Actor = "user:" + s.UserID
	return ev, err
}

// SessionRevokedEvent returns the event a Sessions implementation emits when a session
// becomes revoked.
func SessionRevokedEvent(s Session) (commerce.Event, error) {
	return commerce.NewEvent(EventSessionRevoked, s.UserID, s.RevokedAt,
		SessionData{SessionID: s.ID, UserID: s.UserID, Reason: s.RevokeReason})
}

// Revoke marks s revoked at at for reason; it reports whether s was live before.
func (s *Session) Revoke(at time.Time, reason string) bool {
	if s.Revoked {
		return false
	}
	s.Revoked, s.RevokedAt, s.RevokeReason = true, at.UTC(), reason
	return true
}
