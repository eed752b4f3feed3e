package auth

import (
	_ "embed"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Password policy limits. The minimum length is what most of the strength comes from; the
// byte maximum keeps hashing input bounded.
const (
	MinPasswordChars = 10
	MaxEmailLen      = 254 // RFC 5321 path limit minus the angle brackets
	maxLocalLen      = 64
	// A local part shorter than this is too common a substring ("jo", "ann") to forbid inside
	// passwords; the whole address is still forbidden.
	minLocalInPassword = 4
)

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the set of lower-cased passwords too common to accept.
var commonPasswords = func() map[string]struct{} {
	set := make(map[string]struct{})
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
}()

// ValidatePassword checks pw against the password policy for the account with the given
// e-mail: at least 10 characters, at most 128 bytes, not containing the e-mail or its local
// part, not a commonly used password. The error is EInvalid on field "password" naming the
// first rule broken.
func ValidatePassword(pw, email string) error {
	if msg := passwordProblem(pw, email); msg != "" {
		return commerce.Invalid(commerce.FieldError{Field: "password", Message: msg})
	}
	return nil
}

func passwordProblem(pw, email string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordChars:
		return fmt.Sprintf("must be at least %d characters", MinPasswordChars)
	case len(pw) > MaxPasswordBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return "must be valid UTF-8"
	}
	lower := strings.ToLower(pw)
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		local, _, _ := strings.Cut(email, "@")
		if strings.Contains(lower, email) || (len(local) >= minLocalInPassword && strings.Contains(lower, local)) {
			return "must not contain your e-mail address or its name part"
		}
	}
	if _, ok := commonPasswords[lower]; ok {
		return "is too common; choose a less predictable password"
	}
	return ""
}

// ValidateEmail checks that s is a bare e-mail address (no display name, no angle brackets,
// no comments or quoted parts, a dotted host name as domain, at most 254 bytes) and returns it
// with surrounding space removed and the domain lower-cased. The local part keeps its case;
// accounts compare e-mails ignoring case. The error is EInvalid on field "email".
func ValidateEmail(s string) (string, error) {
	norm, msg := normalizeEmail(s)
	if msg != "" {
		return "", commerce.Invalid(commerce.FieldError{Field: "email", Message: msg})
	}
	return norm, nil
}

func normalizeEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "is required"
	case len(s) > MaxEmailLen:
		return "", fmt.Sprintf("must be at most %d bytes", MaxEmailLen)
	case strings.ContainsAny(s, "<>"):
		return "", "must be a bare address like name@example.com, without a display name or angle brackets"
	}
	addr, err := mail.ParseAddress(s)
	// ParseAddress unquotes and drops comments; requiring its result to equal the input keeps
	// only plain dot-atom addresses, which every mail system and index handles alike.
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", "is not a valid e-mail address"
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > maxLocalLen {
		return "", fmt.Sprintf("name part must be at most %d bytes", maxLocalLen)
	}
	if !validDomain(domain) {
		return "", "domain must be a host name like example.com"
	}
	return local + "@" + strings.ToLower(domain), ""
}

// validDomain accepts dotted host names: labels of 1 to 63 letters, digits or hyphens (any
// non-ASCII letter counts, for internationalized names), not starting or ending with a hyphen.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= utf8.RuneSelf) {
				return false
			}
		}
	}
	return true
}
