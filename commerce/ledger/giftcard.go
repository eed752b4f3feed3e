package ledger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// Gift card statuses.
const (
	GiftCardActive   = "active"
	GiftCardDisabled = "disabled"
)

// GiftCard is an issued gift card. Its code is shown once, when issued; the card keeps only
// the code's SHA-256 and its last four characters. Its balance is the account
// gift_card:<ID>.
type GiftCard struct {
	ID           string     `json:"id"`
	CodeHash     string     `json:"code_hash"` // hex SHA-256 of the normalized code
	Last4        string     `json:"last4"`
	Currency     string     `json:"currency"`
	InitialValue int64      `json:"initial_value"` // minor units
	Status       string     `json:"status"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Note         string     `json:"note,omitempty"`
	IssuedBy     string     `json:"issued_by"`
	DisabledBy   string     `json:"disabled_by,omitempty"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Usable reports whether the card may pay at now: active and not expired.
func (c GiftCard) Usable(now time.Time) bool {
	return c.Status == GiftCardActive && (c.ExpiresAt == nil || now.Before(*c.ExpiresAt))
}

// codeLen is a code's length without separators: 16 Crockford base32 characters, 80 random
// bits, so guessing a live code through the balance check is hopeless.
const codeLen = 16

// crockford is Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed
// from a printed card survives.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewCode returns a fresh gift card code in groups of four, e.g. "7KQ2-M9XD-4TGB-W1ZR".
func NewCode() string {
	var b [codeLen * 5 / 8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ledger: no randomness: " + err.Error())
	}
	s := crockford.EncodeToString(b[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalizeCode returns the code as stored (upper case, no spaces or dashes, the letters
// Crockford reads as digits mapped: O→0, I and L→1); ok is false when it cannot be a code.
func NormalizeCode(code string) (string, bool) {
	var b strings.Builder
	b.Grow(codeLen)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", rune(c)) || b.Len() == codeLen {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), b.Len() == codeLen
}

// HashCode is the stored form of a code (normalized first).
func HashCode(code string) string {
	if n, ok := NormalizeCode(code); ok {
		code = n
	}
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// lastFour returns the last four characters of a normalized code.
func lastFour(norm string) string { return norm[len(norm)-4:] }
