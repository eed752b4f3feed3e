package auth

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// TokenPurpose says what a single-use token may be spent on.
type TokenPurpose string

// Single-use token purposes.
const (
	PurposeReset  TokenPurpose = "reset"  // set a new password (POST /auth/password-reset)
	PurposeVerify TokenPurpose = "verify" // confirm the account's e-mail (GET /auth/verify-email/:token)
)

// oneTimeBytes is the randomness of a single-use token: 256 bits, 43 base64url characters.
const oneTimeBytes = 32

// OneTimeToken is the stored row of a reset or verification token, kept under the SHA-256 of
// the token; the token itself is only ever in the mail. A spent token stays stored (UsedAt
// set) until it expires, so a replay is told apart from a token that never existed.
type OneTimeToken struct {
	Purpose   TokenPurpose `json:"purpose"`
	UserID    string       `json:"user_id"`
	Email     string       `json:"email"` // the address the mail went to; a verification token confirms only it
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
	UsedAt    time.Time    `json:"used_at,omitzero"`
}

// NewOneTimeToken is a token to store: its hash and its row.
type NewOneTimeToken struct {
	Hash []byte
	Row  OneTimeToken
}

// newOneTime returns a fresh token for u and its row.
func newOneTime(purpose TokenPurpose, u User, now time.Time, ttl time.Duration) (string, NewOneTimeToken) {
	tok := commerce.NewSecret(oneTimeBytes)
	return tok, NewOneTimeToken{Hash: hashToken(tok), Row: OneTimeToken{
		Purpose: purpose, UserID: u.ID, Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(ttl),
	}}
}

// Mail is one outgoing e-mail. It is queued in the same write as the change that causes it
// and delivered later by the mail sender; it may carry a single-use token, so it is never
// put into an event.
type Mail struct {
	To      string // a bare address
	Subject string
	Text    string // plain-text body
	HTML    string // optional HTML alternative
}

// Recovery stores single-use tokens and the mails that carry them. The store adapter
// implements it; each method is one atomic write carrying its user change, token, mail and
// events together.
type Recovery interface {
	// RegisterUser stores a new user (emitting EventUserCreated), its verification token and
	// mail in one write. It returns ErrEmailTaken when the e-mail is registered in any case.
	RegisterUser(ctx context.Context, u User, tok NewOneTimeToken, m Mail, evs ...commerce.Event) error
	// IssueToken stores tok and queues m with evs in one write.
	IssueToken(ctx context.Context, tok NewOneTimeToken, m Mail, evs ...commerce.Event) error
	// Record writes evs, and queues m when it is not nil, in one write.
	Record(ctx context.Context, m *Mail, evs ...commerce.Event) error
	// OneTimeToken returns the row stored under hash, or ErrOneTimeInvalid.
	OneTimeToken(ctx context.Context, hash []byte) (OneTimeToken, error)
	// ConsumeToken reads the token under hash (nil when there is none) and its user (nil
	// when there is none) in one update and calls fn. When fn returns nil, the token and
	// user as fn left them are written (the user as by Users.UpdateUser) with the events fn
	// returned. When fn returns an error, only the events it returned are written (a refused
	// token is audited) and that error is returned.
	ConsumeToken(ctx context.Context, hash []byte, fn func(t *OneTimeToken, u *User) ([]commerce.Event, error)) (User, error)
}

// Errors of single-use tokens. A refused token is 400 (the link is bad, signing in again
// would not help); the code says why.
var (
	ErrOneTimeInvalid = &commerce.Error{Kind: commerce.EInvalid, Code: "token_invalid", Message: "this link or token is not valid"}
	ErrOneTimeExpired = &commerce.Error{Kind: commerce.EInvalid, Code: "token_expired", Message: "this link or token has expired; ask for a new one"}
	ErrOneTimeUsed    = &commerce.Error{Kind: commerce.EInvalid, Code: "token_used", Message: "this link or token was already used; ask for a new one"}
)

// checkOneTime decides whether t (nil: unknown) may be spent on purpose by user u (nil:
// gone) at now. A reset token issued before (or as) the password last changed is refused as used:
// one reset (or change) voids every older link.
func checkOneTime(t *OneTimeToken, u *User, purpose TokenPurpose, now time.Time) error {
	switch {
	case t == nil || t.Purpose != purpose:
		return ErrOneTimeInvalid
	case !t.UsedAt.IsZero():
		return ErrOneTimeUsed
	case !now.Before(t.ExpiresAt):
		return ErrOneTimeExpired
	case u == nil || u.Deleted || u.Disabled || u.ID != t.UserID:
		return ErrOneTimeInvalid
	case purpose == PurposeReset && !u.PasswordChangedAt.IsZero() && !t.CreatedAt.After(u.PasswordChangedAt):
		return ErrOneTimeUsed
	case purpose == PurposeVerify && !equalEmail(t.Email, u.Email):
		return ErrOneTimeInvalid // the account's address changed since the mail went out
	}
	return nil
}
