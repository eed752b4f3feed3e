package customers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Service runs the customer use cases. Every method acts for the user whose ID it is given:
// callers pass the signed-in user's own ID (or, for Customer, a staff-checked one), so an
// address of another user is simply not found.
type Service struct {
	store    Store
	accounts Accounts
	clock    commerce.Clock
}

// NewService returns the service on store and accounts; a nil clock means the system clock.
func NewService(store Store, accounts Accounts, clock commerce.Clock) *Service {
	if store == nil || accounts == nil {
		panic("customers: NewService needs a store and accounts")
	}
	clock = commerce.OrSystemClock(clock)
	return &Service{store: store, accounts: accounts, clock: clock}
}

// Addresses returns the user's addresses, oldest first.
func (s *Service) Addresses(ctx context.Context, userID string) ([]Address, error) {
	var out []Address
	err := s.store.View(ctx, func(r Reader) (err error) { out, err = r.Addresses(userID); return err })
	if out == nil {
		out = []Address{}
	}
	return out, err
}

// Address returns one of the user's addresses.
func (s *Service) Address(ctx context.Context, userID, id string) (Address, error) {
	if !commerce.ValidID(id) {
		return Address{}, ErrAddressNotFound
	}
	var out Address
	err := s.store.View(ctx, func(r Reader) (err error) { out, err = r.Address(userID, id); return err })
	return out, err
}

// checkAddress normalizes in and reports every bad field.
func checkAddress(in AddressInput) (AddressInput, error) {
	in.Label, in.Company = strings.TrimSpace(in.Label), strings.TrimSpace(in.Company)
	in.Address = in.Address.Normalize()
	var v commerce.Validator
	v.Check(len(in.Label) <= MaxLabelBytes, "label", fmt.Sprintf("must be at most %d bytes", MaxLabelBytes))
	v.Check(len(in.Company) <= MaxCompanyBytes, "company", fmt.Sprintf("must be at most %d bytes", MaxCompanyBytes))
	in.Address.Validate(&v, "")
	return in, v.Err()
}

// AddAddress adds an address to the user's book. The first address is the default; with
// in.Default a later one becomes the default and the old default stops being it, in the
// same update. A 51st address is ErrAddressBookFull.
func (s *Service) AddAddress(ctx context.Context, userID string, in AddressInput) (Address, error) {
	in, err := checkAddress(in)
	if err != nil {
		return Address{}, err
	}
	var out Address
	err = s.store.Update(ctx, func(tx Tx) error {
		book, err := tx.Addresses(userID)
		if err != nil {
			return err
		}
		if len(book) >= MaxAddresses {
			return ErrAddressBookFull.WithDetails(map[string]any{"max": MaxAddresses})
		}
		now := s.clock.Now().UTC()
		a := Address{ID: commerce.NewID(), UserID: userID, Label: in.Label, Company: in.Company, Address: in.Address,
			Default: len(book) == 0, Version: 1, CreatedAt: now, UpdatedAt: now}
		if in.Default && !a.Default {
			if err := s.unsetDefault(tx, book, now); err != nil {
				return err
			}
			a.Default = true
		}
		if err := tx.PutAddress(a); err != nil {
			return err
		}
		out = a
		return emit(tx, EventAddressAdded, a, now)
	})
	return out, err
}

// UpdateAddress replaces the fields of one of the user's addresses; whether it is the
// default does not change (see SetDefaultAddress).
func (s *Service) UpdateAddress(ctx context.Context, userID, id string, in AddressInput) (Address, error) {
	in, err := checkAddress(in)
	if err != nil {
		return Address{}, err
	}
	if !commerce.ValidID(id) {
		return Address{}, ErrAddressNotFound
	}
	var out Address
	err = s.store.Update(ctx, func(tx Tx) error {
		a, err := tx.Address(userID, id)
		if err != nil {
			return err
		}
		if in.IfVersion != 0 && in.IfVersion != a.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": a.Version})
		}
		now := s.clock.Now().UTC()
		a.Label, a.Company, a.Address = in.Label, in.Company, in.Address
		a.Version++
		a.UpdatedAt = now
		if err := tx.PutAddress(a); err != nil {
			return err
		}
		out = a
		return emit(tx, EventAddressUpdated, a, now)
	})
	return out, err
}

// RemoveAddress deletes one of the user's addresses. When it was the default, the newest
// remaining address becomes the default, in the same update.
func (s *Service) RemoveAddress(ctx context.Context, userID, id string) error {
	if !commerce.ValidID(id) {
		return ErrAddressNotFound
	}
	return s.store.Update(ctx, func(tx Tx) error {
		a, err := tx.Address(userID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteAddress(userID, id); err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		if err := emit(tx, EventAddressRemoved, a, now); err != nil {
			return err
		}
		if !a.Default {
			return nil
		}
		book, err := tx.Addresses(userID)
		if err != nil {
			return err
		}
		if len(book) == 0 {
			return nil
		}
		newest := book[0]
		for _, b := range book[1:] {
			if b.CreatedAt.After(newest.CreatedAt) || b.CreatedAt.Equal(newest.CreatedAt) && b.ID > newest.ID {
				newest = b
			}
		}
		return s.makeDefault(tx, newest, now)
	})
}

// SetDefaultAddress makes one of the user's addresses the default; the old default stops
// being it in the same update. Setting the default again changes nothing.
func (s *Service) SetDefaultAddress(ctx context.Context, userID, id string) (Address, error) {
	if !commerce.ValidID(id) {
		return Address{}, ErrAddressNotFound
	}
	var out Address
	err := s.store.Update(ctx, func(tx Tx) error {
		a, err := tx.Address(userID, id)
		if err != nil {
			return err
		}
		if a.Default {
			out = a
			return nil
		}
		book, err := tx.Addresses(userID)
		if err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		if err := s.unsetDefault(tx, book, now); err != nil {
			return err
		}
		if err := s.makeDefault(tx, a, now); err != nil {
			return err
		}
		out, err = tx.Address(userID, id)
		return err
	})
	return out, err
}

// unsetDefault clears the default flag of every address of book that has it.
func (s *Service) unsetDefault(tx Tx, book []Address, now time.Time) error {
	for _, b := range book {
		if !b.Default {
			continue
		}
		b.Default = false
		b.Version++
		b.UpdatedAt = now
		if err := tx.PutAddress(b); err != nil {
			return err
		}
	}
	return nil
}

// makeDefault marks a the default and emits EventDefaultAddressSet.
func (s *Service) makeDefault(tx Tx, a Address, now time.Time) error {
	a.Default = true
	a.Version++
	a.UpdatedAt = now
	if err := tx.PutAddress(a); err != nil {
		return err
	}
	return emit(tx, EventDefaultAddressSet, a, now)
}

func emit(tx Tx, typ string, a Address, at time.Time) error {
	ev, err := commerce.NewEvent(typ, a.ID, at, AddressEventData{UserID: a.UserID, AddressID: a.ID, Default: a.Default})
	if err != nil {
		return err
	}
	ev.Actor = "user:" + a.UserID
	tx.Emit(ev)
	return nil
}

// Preferences returns the user's preferences and the account's version (its ETag).
func (s *Service) Preferences(ctx context.Context, userID string) (Preferences, int64, error) {
	acc, err := s.accounts.Account(ctx, userID)
	if err != nil {
		return Preferences{}, 0, err
	}
	return withChannels(acc.Preferences), acc.Version, nil
}

// CheckPreferences normalizes p (a language matched case-insensitively is stored as listed in
// Languages) and reports every bad field. Empty language and currency mean "not chosen".
func CheckPreferences(p Preferences) (Preferences, error) {
	var v commerce.Validator
	p.Language, p.Currency = strings.TrimSpace(p.Language), strings.TrimSpace(p.Currency)
	if p.Language != "" {
		i := slices.IndexFunc(Languages, func(l string) bool { return strings.EqualFold(l, p.Language) })
		if i < 0 {
			v.Add("language", "must be one of "+strings.Join(Languages, ", "))
		} else {
			p.Language = Languages[i]
		}
	}
	v.Check(p.Currency == "" || commerce.ValidCurrency(p.Currency), "currency", "must be an ISO 4217 code: three upper-case letters such as USD")
	seen := map[string]bool{}
	for i, c := range p.Channels {
		field := fmt.Sprintf("channels[%d]", i)
		switch {
		case !slices.Contains(Channels, c):
			v.Add(field, "must be one of "+strings.Join(Channels, ", "))
		case seen[c]:
			v.Add(field, "is listed twice")
		}
		seen[c] = true
	}
	return withChannels(p), v.Err()
}

// withChannels makes a nil channel list an empty one, so it shows as [].
func withChannels(p Preferences) Preferences {
	if p.Channels == nil {
		p.Channels = []string{}
	}
	return p
}

// SetPreferences replaces the user's preferences. ifVersion (If-Match) is the account
// version the caller read; 0 means unconditional. It returns the new preferences and
// account version.
func (s *Service) SetPreferences(ctx context.Context, userID string, p Preferences, ifVersion int64) (Preferences, int64, error) {
	p, err := CheckPreferences(p)
	if err != nil {
		return Preferences{}, 0, err
	}
	acc, err := s.accounts.UpdatePreferences(ctx, userID, func(a *Account) error {
		if ifVersion != 0 && ifVersion != a.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": a.Version})
		}
		a.Preferences = p
		return nil
	})
	if err != nil {
		return Preferences{}, 0, err
	}
	return withChannels(acc.Preferences), acc.Version, nil
}

// Customer returns an account and its addresses, for staff.
func (s *Service) Customer(ctx context.Context, id string) (Customer, error) {
	if !commerce.ValidID(id) {
		return Customer{}, ErrCustomerNotFound
	}
	acc, err := s.accounts.Account(ctx, id)
	if err != nil {
		return Customer{}, err
	}
	acc.Preferences = withChannels(acc.Preferences)
	book, err := s.Addresses(ctx, id)
	if err != nil {
		return Customer{}, err
	}
	return Customer{Account: acc, Addresses: book}, nil
}

// Export returns the user's account, preferences, addresses and sessions.
func (s *Service) Export(ctx context.Context, userID string) (Export, error) {
	c, err := s.Customer(ctx, userID)
	if err != nil {
		return Export{}, err
	}
	sessions, err := s.accounts.Sessions(ctx, userID)
	if err != nil {
		return Export{}, err
	}
	if sessions == nil {
		sessions = []Session{}
	}
	return Export{ExportedAt: s.clock.Now().UTC(), Account: c.Account, Preferences: c.Account.Preferences,
		Addresses: c.Addresses, Sessions: sessions}, nil
}

// RevokeDeleted is the revoke reason of the sessions of a deleted account.
const RevokeDeleted = "account_deleted"

// DeleteAccount deletes the user's account after checking password (re-authentication): a
// wrong one is ErrWrongPassword and changes nothing. See Erasure for what is deleted, what is
// anonymized and what is kept; it all happens in one atomic update. Staff accounts are
// refused (ErrStaffNotDeletable).
func (s *Service) DeleteAccount(ctx context.Context, userID, password string) (Erased, error) {
	if password == "" {
		return Erased{}, commerce.Invalid(commerce.FieldError{Field: "password", Message: "is required"})
	}
	acc, err := s.accounts.Account(ctx, userID)
	if err != nil {
		return Erased{}, err
	}
	ok, err := s.accounts.CheckPassword(ctx, userID, password)
	if err != nil {
		return Erased{}, err
	}
	if !ok {
		// Recorded (and so audited): someone holding the session is guessing the password.
		ev, err := commerce.NewEvent(EventDeletionRefused, userID, s.clock.Now(), map[string]string{"user_id": userID})
		if err != nil {
			return Erased{}, err
		}
		ev.Actor = "user:" + userID
		if err := s.store.Update(ctx, func(tx Tx) error { tx.Emit(ev); return nil }); err != nil {
			return Erased{}, err
		}
		return Erased{}, ErrWrongPassword
	}
	if acc.Staff {
		return Erased{}, ErrStaffNotDeletable
	}
	hash, err := s.accounts.UnusablePasswordHash(ctx)
	if err != nil {
		return Erased{}, err
	}
	r, err := s.store.DeleteAccount(ctx, Erasure{UserID: userID, At: s.clock.Now().UTC(), Email: DeletedEmail(userID),
		PasswordHash: hash, OrderName: "Deleted customer", OrderLine: "(removed)", RevokeReason: RevokeDeleted})
	if err != nil {
		return Erased{}, err
	}
	s.accounts.SessionsRevoked(r.Sessions)
	return r, nil
}
