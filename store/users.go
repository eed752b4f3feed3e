package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

// Users is the Pebble implementation of auth.Users. A user lives at auth/user/<id>; the
// unique e-mail index auth/email/<lower-cased e-mail> holds the user's ID and is written in
// the same update as the user, so the two never disagree.
type Users struct{ db *DB }

// NewUsers returns the user repository on db.
func NewUsers(db *DB) *Users { return &Users{db: db} }

var _ auth.Users = (*Users)(nil)

func userKey(id string) []byte { return Key(prefixUser, id) }

// CreateUser stores u with its e-mail index row and an auth.user_created event.
func (s *Users) CreateUser(ctx context.Context, u auth.User) error {
	if u.ID == "" || u.Email == "" {
		return commerce.Errorf(commerce.EInvalid, "user_incomplete", "store: user needs an ID and an e-mail")
	}
	ev, err := auth.UserCreatedEvent(u)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error { return createUser(tx, u, ev) })
}

// createUser is CreateUser inside tx (registration writes a token and a mail with it).
func createUser(tx *Tx, u auth.User, ev commerce.Event) error {
	if _, err := tx.Get(emailKey(u.Email)); err == nil {
		return auth.ErrEmailTaken
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err := tx.Get(userKey(u.ID)); err == nil {
		return commerce.Errorf(commerce.EConflict, "user_exists", "store: user %s already exists", u.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := putJSON(tx, userKey(u.ID), u); err != nil {
		return err
	}
	tx.Set(emailKey(u.Email), []byte(u.ID))
	tx.Emit(ev)
	return nil
}

// User returns the user with the given ID.
func (s *Users) User(ctx context.Context, id string) (auth.User, error) {
	var u auth.User
	err := s.db.View(ctx, func(r *Reader) error { return readUser(r, id, &u) })
	return u, err
}

// UserByEmail returns the user with the given e-mail, ignoring case.
func (s *Users) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	var u auth.User
	err := s.db.View(ctx, func(r *Reader) error {
		id, err := r.Get(emailKey(email))
		if errors.Is(err, ErrNotFound) {
			return auth.ErrUserNotFound
		}
		if err != nil {
			return err
		}
		if err := readUser(r, string(id), &u); err != nil {
			if errors.Is(err, auth.ErrUserNotFound) {
				return fmt.Errorf("store: e-mail index points to missing user %s", id)
			}
			return err
		}
		return nil
	})
	return u, err
}

func readUser(r interface{ Get([]byte) ([]byte, error) }, id string, u *auth.User) error {
	err := getJSON(r, userKey(id), u)
	if errors.Is(err, ErrNotFound) {
		return auth.ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("store: user %s: %w", id, err)
	}
	return nil
}

// errUserCursor is returned for a user list cursor this store did not make.
var errUserCursor = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "store: invalid cursor"}

// ListUsers returns one page of users in ID (creation) order. The cursor is the last ID of
// the previous page, base64url-encoded so clients treat it as opaque.
func (s *Users) ListUsers(ctx context.Context, page commerce.Page) (commerce.List[auth.User], error) {
	return s.FindUsers(ctx, auth.UserFilter{}, page) // the zero filter matches every user
}

// UpdateUser re-reads the user inside one update, applies fn, increments Version, stamps
// UpdatedAt when fn left it unchanged, moves the e-mail index row when the e-mail changed
// (other than in case) and emits auth.user_updated.
func (s *Users) UpdateUser(ctx context.Context, id string, fn func(*auth.User) error) (auth.User, error) {
	var out auth.User
	err := s.db.Update(ctx, func(tx *Tx) (err error) {
		out, err = updateUser(tx, id, fn)
		return err
	})
	if err != nil {
		return auth.User{}, err
	}
	return out, nil
}

// updateUser is UpdateUser inside tx, for use cases whose batch carries more than the user
// (a consumed single-use token, a security event).
func updateUser(tx *Tx, id string, fn func(*auth.User) error) (auth.User, error) {
	var old auth.User
	if err := readUser(tx, id, &old); err != nil {
		return auth.User{}, err
	}
	u := old
	if err := fn(&u); err != nil {
		return auth.User{}, err
	}
	if u.ID != old.ID {
		return auth.User{}, commerce.Errorf(commerce.EInvalid, "user_id_immutable", "store: a user's ID cannot change")
	}
	if u.Email == "" {
		return auth.User{}, commerce.Errorf(commerce.EInvalid, "user_incomplete", "store: user needs an e-mail")
	}
	u.Version = old.Version + 1
	if u.UpdatedAt.Equal(old.UpdatedAt) {
		u.UpdatedAt = commerce.SystemClock{}.Now()
	}
	// Compare index keys, not strings.EqualFold: the index lower-cases, and the two
	// disagree on a few runes.
	if !bytes.Equal(emailKey(u.Email), emailKey(old.Email)) {
		if _, err := tx.Get(emailKey(u.Email)); err == nil {
			return auth.User{}, auth.ErrEmailTaken
		} else if !errors.Is(err, ErrNotFound) {
			return auth.User{}, err
		}
		tx.Delete(emailKey(old.Email))
		tx.Set(emailKey(u.Email), []byte(u.ID))
	}
	if err := putJSON(tx, userKey(u.ID), u); err != nil {
		return auth.User{}, err
	}
	ev, err := auth.UserUpdatedEvent(u)
	if err != nil {
		return auth.User{}, err
	}
	tx.Emit(ev)
	return u, nil
}
