// Package customers owns what a customer keeps with the shop besides sign-in: the address
// book (with exactly one default address), preferences (language, currency, notification
// channels), the export of all of a customer's data and the deletion of an account, which
// anonymizes it and the personal data of its orders (kept for accounting). Accounts
// themselves (e-mail, password, sessions) are auth's; this package reaches them through the
// Accounts port, and its storage through Store.
package customers

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Limits.
const (
	MaxAddresses    = 50  // addresses per customer
	MaxLabelBytes   = 50  // an address's label ("Home", "Office")
	MaxCompanyBytes = 200 // an address's company
)

// Event types. Address events carry AddressEventData (IDs only: no personal data travels
// on the bus). EventAccountDeleted is a security event (auth.*) and therefore audited.
const (
	EventAddressAdded      = "customers.address_added"
	EventAddressUpdated    = "customers.address_updated"
	EventAddressRemoved    = "customers.address_removed"
	EventDefaultAddressSet = "customers.default_address_set"
	EventAccountDeleted    = "auth.account_deleted"         // data: AccountDeletedData
	EventDeletionRefused   = "auth.account_deletion_failed" // data: {"user_id"}; a wrong password on deletion
)

// Address is one entry of a customer's address book. Of a customer's addresses exactly one
// is the default while there are any.
type Address struct {
	ID      string `json:"id"`
	UserID  string `json:"user_id"`
	Label   string `json:"label,omitempty"`
	Company string `json:"company,omitempty"`
	commerce.Address
	Default   bool      `json:"default"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AddressInput is an address as a customer writes it: every field is replaced.
type AddressInput struct {
	Label   string
	Company string
	commerce.Address
	Default   bool  // AddAddress: make the new address the default (the first one always is)
	IfVersion int64 // UpdateAddress: the version the caller read (If-Match); 0 means unconditional
}

// AddressEventData is the data of the address events.
type AddressEventData struct {
	UserID    string `json:"user_id"`
	AddressID string `json:"address_id"`
	Default   bool   `json:"default"`
}

// Preferences are a customer's language, currency and notification channels.
type Preferences struct {
	Language string   `json:"language,omitempty"` // one of Languages
	Currency string   `json:"currency,omitempty"` // ISO 4217, e.g. "USD"
	Channels []string `json:"channels"`           // each of Channels at most once
}

// Languages are the language tags a customer may choose (BCP 47), as stored.
var Languages = []string{"en", "en-US", "en-GB", "ru", "ru-RU", "uz", "uz-Latn", "uz-Cyrl", "uz-UZ", "kk", "tr", "de", "fr", "es"}

// Channels are the notification channels.
var Channels = []string{"email", "sms", "push"}

// Account is an account as customers sees it: never a password hash, a second factor's
// secret or recovery codes.
type Account struct {
	ID            string      `json:"id"`
	Email         string      `json:"email"`
	Name          string      `json:"name"`
	Phone         string      `json:"phone,omitempty"`
	Role          string      `json:"role"`
	Staff         bool        `json:"-"` // an administrator: such accounts are not deleted by their owner
	EmailVerified bool        `json:"email_verified"`
	TwoFactor     bool        `json:"two_factor_enabled"`
	Disabled      bool        `json:"disabled"`
	Preferences   Preferences `json:"preferences"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Version       int64       `json:"version"`
}

// Session is a sign-in as the export shows it: IDs and times, never a token.
type Session struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Revoked      bool      `json:"revoked"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// Customer is an account with its address book, as staff read it.
type Customer struct {
	Account   Account   `json:"account"`
	Addresses []Address `json:"addresses"`
}

// Export is everything of a customer that this package keeps or reaches through Accounts;
// the HTTP adapter adds the orders and carts from their own services.
type Export struct {
	ExportedAt  time.Time   `json:"exported_at"`
	Account     Account     `json:"account"`
	Preferences Preferences `json:"preferences"`
	Addresses   []Address   `json:"addresses"`
	Sessions    []Session   `json:"sessions"`
}

// Erasure is what deleting an account does, decided by Service.DeleteAccount and carried
// out by Store.DeleteAccount in one atomic update:
//
//   - the account: e-mail → Email (its e-mail index row moves, so the old address may
//     register again), name, phone and preferences cleared, Deleted and DeletedAt set, the
//     password hash → PasswordHash (no password matches it), second factor cleared;
//   - every address of the account deleted;
//   - every live session revoked (reason RevokeReason);
//   - every order of the account kept with its number, lines and totals, but its e-mail →
//     Email and its shipping address's name → OrderName, line1 → OrderLine, line2 and phone
//     cleared (city, region, postal code and country stay: they are the tax jurisdiction);
//   - the event EventAccountDeleted (AccountDeletedEvent).
type Erasure struct {
	UserID       string
	At           time.Time
	Email        string
	PasswordHash string
	OrderName    string
	OrderLine    string
	RevokeReason string
}

// Erased is what an erasure changed.
type Erased struct {
	Addresses int      // addresses deleted
	Orders    int      // orders anonymized
	Reviews   int      // reviews whose author name was replaced (their text and rating stay)
	Sessions  []string // sessions revoked
}

// AccountDeletedData is the data of EventAccountDeleted.
type AccountDeletedData struct {
	UserID           string `json:"user_id"`
	AddressesDeleted int    `json:"addresses_deleted"`
	OrdersAnonymized int    `json:"orders_anonymized"`
	SessionsRevoked  int    `json:"sessions_revoked"`
	AnonymizedEmail  string `json:"anonymized_email"`
}

// AccountDeletedEvent is the event Store.DeleteAccount emits in the erasure's batch.
func AccountDeletedEvent(e Erasure, r Erased) (commerce.Event, error) {
	ev, err := commerce.NewEvent(EventAccountDeleted, e.UserID, e.At, AccountDeletedData{UserID: e.UserID,
		AddressesDeleted: r.Addresses, OrdersAnonymized: r.Orders, SessionsRevoked: len(r.Sessions), AnonymizedEmail: e.Email})
	ev.Actor = "user:" + e.UserID
	return ev, err
}

// DeletedEmail is the e-mail a deleted account and its orders carry: unique, and in the
// reserved .invalid domain, so no mail is ever sent to it.
func DeletedEmail(userID string) string { return "deleted-" + userID + "@deleted.invalid" }

// Errors.
var (
	ErrAddressNotFound   = &commerce.Error{Kind: commerce.ENotFound, Code: "address_not_found", Message: "customers: address not found"}
	ErrAddressBookFull   = &commerce.Error{Kind: commerce.EConflict, Code: "address_book_full", Message: "customers: the address book is full"}
	ErrVersionMismatch   = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "customers: it has changed since you read it (If-Match is stale)"}
	ErrCustomerNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "customer_not_found", Message: "customers: customer not found"}
	ErrWrongPassword     = &commerce.Error{Kind: commerce.EUnauthorized, Code: "wrong_password", Message: "the password is wrong"}
	ErrStaffNotDeletable = &commerce.Error{Kind: commerce.EConflict, Code: "staff_account", Message: "customers: a staff account cannot delete itself; ask a super admin to disable it"}
)

// Reader reads a customer's address book from one consistent state.
type Reader interface {
	// Addresses returns the user's addresses, oldest first.
	Addresses(userID string) ([]Address, error)
	// Address returns one address of the user, or ErrAddressNotFound.
	Address(userID, id string) (Address, error)
}

// Tx is one atomic address-book change.
type Tx interface {
	Reader
	PutAddress(a Address) error
	DeleteAddress(userID, id string) error
	Emit(ev commerce.Event)
}

// Store is the storage of address books and the atomic account erasure. The store adapter
// implements it.
type Store interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// DeleteAccount carries out e in one atomic update (see Erasure) and emits
	// AccountDeletedEvent. A missing or already deleted account is ErrCustomerNotFound.
	DeleteAccount(ctx context.Context, e Erasure) (Erased, error)
}

// Accounts is the port to auth's accounts and sessions; app implements it.
type Accounts interface {
	// Account returns the account, or ErrCustomerNotFound when it is missing or deleted.
	Account(ctx context.Context, id string) (Account, error)
	// UpdatePreferences reads the account, applies fn and writes back its Preferences (and
	// nothing else) atomically; fn's error aborts the write and is returned.
	UpdatePreferences(ctx context.Context, id string, fn func(*Account) error) (Account, error)
	// CheckPassword reports whether password is the account's password.
	CheckPassword(ctx context.Context, id, password string) (bool, error)
	// UnusablePasswordHash returns a password hash no password matches.
	UnusablePasswordHash(ctx context.Context) (string, error)
	// Sessions returns the account's sessions, oldest first.
	Sessions(ctx context.Context, id string) ([]Session, error)
	// SessionsRevoked tells sign-in that the sessions were revoked in the store, so their
	// access tokens stop working at once.
	SessionsRevoked(ids []string)
}
