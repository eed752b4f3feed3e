package auth

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// User is an identity that can sign in. Email keeps the case it was registered with, but two
// e-mails that differ only in case are the same account. PasswordHash is an argon2id PHC
// string; it is stored, but Service results never carry it and no API may show it.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Phone        string    `json:"phone,omitempty"` // as typed, checked by UpdateProfile
	Role         Role      `json:"role"`
	PasswordHash string    `json:"password_hash"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`

	// E-mail verification (GET /auth/verify-email/:token).
	EmailVerified   bool      `json:"email_verified,omitempty"`
	EmailVerifiedAt time.Time `json:"email_verified_at,omitzero"`
	// PasswordChangedAt is the time of the last change or reset.
	PasswordChangedAt time.Time `json:"password_changed_at,omitzero"`

	// Lockout: failed sign-ins in a row and, once the threshold is reached, until when
	// the account refuses sign-ins.
	FailedLogins int       `json:"failed_logins,omitempty"`
	LockedUntil  time.Time `json:"locked_until,omitzero"`

	// Two-factor sign-in (TOTP). TOTPSecret is set by enrolment and only counts once
	// TOTPEnabled (confirmed with a valid code). RecoveryCodes are SHA-256 hashes (hex) of
	// the unused single-use recovery codes. TOTPLastStep is the last time step accepted,
	// so a code cannot be replayed within its window. Like PasswordHash, these never leave
	// the Service.
	TOTPSecret    string   `json:"totp_secret,omitempty"`
	TOTPEnabled   bool     `json:"totp_enabled,omitempty"`
	TOTPLastStep  int64    `json:"totp_last_step,omitempty"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`

	// Preferences of a customer account.
	Preferences Preferences `json:"preferences,omitzero"`

	// Deleted accounts are anonymized (e-mail, name, phone replaced) and can never sign in;
	// their orders stay for accounting.
	Deleted   bool      `json:"deleted,omitempty"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// Preferences are what a customer chose for language, currency and notifications.
type Preferences struct {
	Language string   `json:"language,omitempty"` // BCP 47 tag, e.g. "en", "ru", "uz"
	Currency string   `json:"currency,omitempty"` // ISO 4217, e.g. "USD", "UZS"
	Channels []string `json:"channels,omitempty"` // notification channels: "email", "sms", "push"
}

// Users stores users. The store adapter implements it; every method is one atomic read or
// write, and a write carries its index rows and events (see UserCreatedEvent,
// UserUpdatedEvent) in the same batch.
type Users interface {
	// CreateUser stores a new user. It returns ErrEmailTaken when another user has the same
	// e-mail in any case.
	CreateUser(ctx context.Context, u User) error
	// UserByEmail finds a user by e-mail, ignoring case, or returns ErrUserNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// User returns the user with the given ID or ErrUserNotFound.
	User(ctx context.Context, id string) (User, error)
	// ListUsers returns one page of users in ID (creation) order.
	ListUsers(ctx context.Context, page commerce.Page) (commerce.List[User], error)
	// UpdateUser reads the user, applies fn and writes the result atomically, incrementing
	// Version. When fn leaves UpdatedAt unchanged it is set to the current time. If fn
	// returns an error nothing is written and that error is returned. Changing the e-mail
	// moves its index row (ErrEmailTaken if the new one belongs to someone else); changing
	// the ID is refused.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)
}

// Errors returned by Users implementations and the Service.
var (
	ErrEmailTaken   = &commerce.Error{Kind: commerce.EConflict, Code: "email_taken", Message: "auth: e-mail address already registered"}
	ErrUserNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "user_not_found", Message: "auth: user not found"}
)

// Event types emitted by user changes, on subjects um.auth.*. Their data never contains the
// password hash.
const (
	EventUserCreated = "auth.user_created" // data: UserCreatedData
	EventUserUpdated = "auth.user_updated" // data: UserUpdatedData
)

// UserCreatedData is the data of an EventUserCreated event.
type UserCreatedData struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Role  Role   `json:"role"`
}

// UserUpdatedData is the data of an EventUserUpdated event. Consumers react to Disabled and
// Role (for example by revoking tokens) without reading the store.
type UserUpdatedData struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Role     Role   `json:"role"`
	Disabled bool   `json:"disabled"`
	Version  int64  `json:"version"`
}

// UserCreatedEvent returns the event a Users implementation emits with a new user.
func UserCreatedEvent(u User) (commerce.Event, error) {
	return commerce.NewEvent(EventUserCreated, u.ID, u.CreatedAt,
		UserCreatedData{ID: u.ID, Email: u.Email, Role: u.Role})
}

// UserUpdatedEvent returns the event a Users implementation emits with an updated user.
func UserUpdatedEvent(u User) (commerce.Event, error) {
	return commerce.NewEvent(EventUserUpdated, u.ID, u.UpdatedAt,
		UserUpdatedData{ID: u.ID, Email: u.Email, Role: u.Role, Disabled: u.Disabled, Version: u.Version})
}
