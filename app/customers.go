package app

import (
	"context"
	"errors"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/customers"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// openCustomers sets up the customers service: address books and the account erasure on the
// store, and the accounts port over auth's users repository. Re-authentication (deleting an
// account) hashes with a hasher of its own, bounded to one hash at a time so it adds at most
// one to sign-in's bound on concurrent hashes. Nothing runs in the background.
func (a *App) openCustomers(context.Context) error {
	cfg := hasherConfig(a.Config)
	cfg.MaxConcurrent = 1
	hasher, err := auth.NewHasher(cfg)
	if err != nil {
		return err
	}
	a.Customers = customers.NewService(store.NewCustomers(a.DB),
		customerAccounts{app: a, users: store.NewUsers(a.DB), hasher: hasher}, commerce.SystemClock{})
	return nil
}

// customerDeps are the HTTP customer routes' components.
func (a *App) customerDeps() uhttp.CustomerDeps {
	return uhttp.CustomerDeps{Service: a.Customers, Carts: store.NewCustomers(a.DB).UserCarts}
}

// customerAccounts is customers.Accounts over auth's users, the session store and tokens.
type customerAccounts struct {
	app    *App // for Tokens, which open after customers (and not at all offline)
	users  *store.Users
	hasher *auth.Hasher
}

// user reads a live (not deleted) user.
func (c customerAccounts) user(ctx context.Context, id string) (auth.User, error) {
	u, err := c.users.User(ctx, id)
	if errors.Is(err, auth.ErrUserNotFound) || err == nil && u.Deleted {
		return auth.User{}, customers.ErrCustomerNotFound
	}
	return u, err
}

// accountOf is what customers may see of u: no password hash, second-factor secret or codes.
func accountOf(u auth.User) customers.Account {
	return customers.Account{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Role: string(u.Role),
		Staff: u.Role.AtLeast(auth.RoleAdmin), EmailVerified: u.EmailVerified, TwoFactor: u.TOTPEnabled, Disabled: u.Disabled,
		Preferences: customers.Preferences(u.Preferences), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

func (c customerAccounts) Account(ctx context.Context, id string) (customers.Account, error) {
	u, err := c.user(ctx, id)
	if err != nil {
		return customers.Account{}, err
	}
	return accountOf(u), nil
}

func (c customerAccounts) UpdatePreferences(ctx context.Context, id string, fn func(*customers.Account) error) (customers.Account, error) {
	u, err := c.users.UpdateUser(ctx, id, func(u *auth.User) error {
		if u.Deleted {
			return customers.ErrCustomerNotFound
		}
		acc := accountOf(*u)
		if err := fn(&acc); err != nil {
			return err
		}
		u.Preferences = auth.Preferences(acc.Preferences)
		return nil
	})
	if errors.Is(err, auth.ErrUserNotFound) {
		return customers.Account{}, customers.ErrCustomerNotFound
	}
	if err != nil {
		return customers.Account{}, err
	}
	return accountOf(u), nil
}

func (c customerAccounts) CheckPassword(ctx context.Context, id, password string) (bool, error) {
	u, err := c.user(ctx, id)
	if err != nil {
		return false, err
	}
	ok, _, err := c.hasher.Verify(ctx, password, u.PasswordHash)
	return ok, err
}

// UnusablePasswordHash hashes a random secret nobody ever sees: a well-formed hash (sign-in
// checks it as usual and answers invalid_credentials) that no password matches.
func (c customerAccounts) UnusablePasswordHash(ctx context.Context) (string, error) {
	return c.hasher.Hash(ctx, commerce.NewSecret(32))
}

func (c customerAccounts) Sessions(ctx context.Context, id string) ([]customers.Session, error) {
	all, err := store.NewCustomers(c.app.DB).UserSessions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]customers.Session, len(all))
	for i, s := range all {
		out[i] = customers.Session{ID: s.ID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
			Revoked: s.Revoked, RevokedAt: s.RevokedAt, RevokeReason: s.RevokeReason}
	}
	return out, nil
}

func (c customerAccounts) SessionsRevoked(ids []string) {
	if c.app.Tokens != nil {
		c.app.Tokens.SessionsRevoked(ids)
	}
}
