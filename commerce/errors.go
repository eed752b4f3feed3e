package commerce

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind classifies an error so adapters can map it once (HTTP status, CLI exit code) without
// knowing which domain produced it.
type Kind string

// Error kinds. The HTTP adapter maps each to one status code.
const (
	EInvalid      Kind = "invalid"      // the request is malformed or breaks a rule (400/422)
	ENotFound     Kind = "not_found"    // the thing asked for does not exist (404)
	EConflict     Kind = "conflict"     // the request clashes with current state (409)
	EPrecondition Kind = "precondition" // a stated precondition (If-Match) does not hold (412)
	EUnauthorized Kind = "unauthorized" // no valid credentials (401)
	EForbidden    Kind = "forbidden"    // credentials valid, permission missing (403)
	ETooLarge     Kind = "too_large"    // payload over a configured limit (413)
	ERateLimited  Kind = "rate_limited" // too many requests (429)
	EUnavailable  Kind = "unavailable"  // temporarily cannot serve, e.g. disk reserve reached (503)
	EInternal     Kind = "internal"     // a bug or an engine failure; details are logged, not shown (500)
)

// FieldError names one invalid input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error type every domain returns for expected failures. Code is a stable,
// machine-readable snake_case identifier (e.g. "out_of_stock"); Message is for people.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	Details map[string]any
	Err     error // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(string(e.Kind))
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match two *Error values by kind and code, so package sentinels such as
// inventory.ErrOutOfStock match errors built from them with extra details.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && t.Code == e.Code && t.Code != ""
}

// Errorf builds an *Error of the given kind and code with a formatted message. A %w verb in
// format wraps the cause.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Invalid builds an EInvalid error listing every bad field.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: EInvalid, Code: "validation_failed", Message: "invalid input", Fields: fields}
}

// WithDetails returns a copy of e carrying extra details (for example which variant ran out).
func (e *Error) WithDetails(kv map[string]any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+len(kv))
	for k, v := range e.Details {
		c.Details[k] = v
	}
	for k, v := range kv {
		c.Details[k] = v
	}
	return &c
}

// KindOf returns the kind of the first *Error in err's chain, or EInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EInternal
}

// AsError returns the first *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Validator collects field errors so a use case can report all of them at once.
type Validator struct{ fields []FieldError }

// Check records message for field when ok is false.
func (v *Validator) Check(ok bool, field, message string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Message: message})
	}
}

// Add records a field error unconditionally.
func (v *Validator) Add(field, message string) { v.Check(false, field, message) }

// Text checks a free-text field: present when required (not blank), valid UTF-8, at most
// max characters, and free of control characters other than line breaks and tabs. It
// records at most one error for field.
func (v *Validator) Text(field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		v.Add(field, "must not contain control characters")
	}
}

// Err returns nil when every check passed, or an EInvalid error listing the failures.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return Invalid(v.fields...)
}
