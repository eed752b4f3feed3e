package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/customers"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Customers is the Pebble implementation of customers.Store: address books at
// customers/address/<user ID>/<address ID> (address IDs are time-ordered, so a scan of one
// user's prefix lists the book oldest first), and the account erasure, which touches the
// user, its e-mail row, its addresses, sessions and orders in one update. It also reads a
// user's sessions and carts for the export.
type Customers struct{ db *DB }

// NewCustomers returns the customers repository on db.
func NewCustomers(db *DB) *Customers { return &Customers{db: db} }

var _ customers.Store = (*Customers)(nil)

func addressKey(userID, id string) []byte { return Key(prefixCustomerAddress, userID, id) }

// addressBookPrefix is the prefix of every address of the user.
func addressBookPrefix(userID string) []byte { return Key(prefixCustomerAddress, userID, "") }

// View runs fn on a snapshot.
func (s *Customers) View(ctx context.Context, fn func(customers.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(addressReader{r}) })
}

// Update runs fn as one atomic update.
func (s *Customers) Update(ctx context.Context, fn func(customers.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(addressTx{addressReader{tx}, tx}) })
}

// scanner is what reading an address book needs: a Reader or a Tx.
type scanner interface {
	getter
	Scan(lower, upper []byte, fn func(key, value []byte) error) error
}

type addressReader struct{ r scanner }

func (a addressReader) Addresses(userID string) ([]customers.Address, error) {
	prefix := addressBookPrefix(userID)
	out := []customers.Address{}
	err := a.r.Scan(prefix, PrefixEnd(prefix), func(k, v []byte) error {
		var x customers.Address
		if err := decode(v, &x); err != nil {
			return fmt.Errorf("store: address %s: %w", keyString(k), err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

func (a addressReader) Address(userID, id string) (customers.Address, error) {
	var x customers.Address
	if err := getJSON(a.r, addressKey(userID, id), &x); errors.Is(err, ErrNotFound) {
		return x, customers.ErrAddressNotFound
	} else if err != nil {
		return x, fmt.Errorf("store: address %s: %w", id, err)
	}
	return x, nil
}

type addressTx struct {
	addressReader
	tx *Tx
}

func (a addressTx) PutAddress(x customers.Address) error {
	if x.ID == "" || x.UserID == "" {
		return fmt.Errorf("store: an address needs an ID and a user ID")
	}
	return putJSON(a.tx, addressKey(x.UserID, x.ID), x)
}

func (a addressTx) DeleteAddress(userID, id string) error {
	a.tx.Delete(addressKey(userID, id))
	return nil
}

func (a addressTx) Emit(ev commerce.Event) { a.tx.Emit(ev) }

// keysWithPrefix returns copies of the keys under prefix, read inside tx (so the caller
// may change them afterwards).
func keysWithPrefix(tx *Tx, prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := tx.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	return keys, err
}

// DeleteAccount carries out the erasure e in one update: the user anonymized (its e-mail row
// moved to the anonymized address), every address deleted, every live session revoked
// (auth.session_revoked each), every order's e-mail and shipping name, lines and phone
// replaced (numbers, lines and totals kept), and auth.account_deleted emitted.
func (s *Customers) DeleteAccount(ctx context.Context, e customers.Erasure) (customers.Erased, error) {
	var out customers.Erased
	err := s.db.Update(ctx, func(tx *Tx) error {
		out = customers.Erased{}
		var u auth.User
		if err := readUser(tx, e.UserID, &u); errors.Is(err, auth.ErrUserNotFound) {
			return customers.ErrCustomerNotFound
		} else if err != nil {
			return err
		}
		if u.Deleted {
			return customers.ErrCustomerNotFound
		}
		if err := eraseUser(tx, u, e); err != nil {
			return err
		}

		keys, err := keysWithPrefix(tx, addressBookPrefix(e.UserID))
		if err != nil {
			return err
		}
		for _, k := range keys {
			tx.Delete(k)
		}
		out.Addresses = len(keys)

		sessPrefix := Key(prefixUserSession, e.UserID, "")
		if keys, err = keysWithPrefix(tx, sessPrefix); err != nil {
			return err
		}
		for _, k := range keys {
			var old auth.Session
			if err := readSession(tx, string(k[len(sessPrefix):]), &old); errors.Is(err, auth.ErrSessionNotFound) {
				continue // purged
			} else if err != nil {
				return err
			}
			sess := old
			if !sess.Revoke(e.At, e.RevokeReason) {
				continue
			}
			if err := putSession(tx, old, sess); err != nil {
				return err
			}
			out.Sessions = append(out.Sessions, sess.ID)
		}

		orderPrefix := Key(prefixOrderByUser, e.UserID, "")
		if keys, err = keysWithPrefix(tx, orderPrefix); err != nil {
			return err
		}
		for _, k := range keys {
			prev, err := orderOf(tx, string(k[len(orderPrefix):]))
			if err != nil {
				return err
			}
			o := anonymizeOrder(prev, e)
			if err := putOrder(tx, o, &prev); err != nil {
				return err
			}
			out.Orders++
		}

		// Reviews stay (their ratings are in products' aggregates) under an anonymous name.
		if out.Reviews, err = anonymizeReviews(tx, e.UserID, e.OrderName); err != nil {
			return err
		}

		ev, err := customers.AccountDeletedEvent(e, out)
		if err != nil {
			return err
		}
		tx.Emit(ev)
		return nil
	})
	if err != nil {
		return customers.Erased{}, err
	}
	return out, nil
}

// eraseUser writes the anonymized user and moves its e-mail row.
func eraseUser(tx *Tx, old auth.User, e customers.Erasure) error {
	u := old
	u.Email, u.Name, u.Phone, u.Preferences = e.Email, "", "", auth.Preferences{}
	u.PasswordHash = e.PasswordHash
	u.Deleted, u.DeletedAt = true, e.At
	u.EmailVerified, u.EmailVerifiedAt = false, time.Time{}
	u.TOTPSecret, u.TOTPEnabled, u.TOTPLastStep, u.RecoveryCodes = "", false, 0, nil
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	u.Version, u.UpdatedAt = old.Version+1, e.At
	if !bytes.Equal(emailKey(u.Email), emailKey(old.Email)) {
		if err := absent(tx, emailKey(u.Email)); err != nil {
			return err
		}
		tx.Delete(emailKey(old.Email))
		tx.Set(emailKey(u.Email), []byte(u.ID))
	}
	return putJSON(tx, userKey(u.ID), u)
}

// anonymizeOrder replaces an order's personal data as e says; the rest stays.
func anonymizeOrder(o orders.Order, e customers.Erasure) orders.Order {
	o.Email = e.Email
	a := o.ShippingAddress
	a.Name, a.Line1, a.Line2, a.Phone = e.OrderName, e.OrderLine, "", ""
	o.ShippingAddress = a
	o.Version++
	o.UpdatedAt = e.At
	return o
}

// UserSessions returns the user's sessions (revoked ones too, until they are purged),
// oldest first.
func (s *Customers) UserSessions(ctx context.Context, userID string) ([]auth.Session, error) {
	return NewSessions(s.db).UserSessions(ctx, userID)
}

// UserCarts returns the carts of the user. Carts have no per-user index, so this scans every
// cart (an export is rare); rows that cannot name the user are skipped before decoding.
func (s *Customers) UserCarts(ctx context.Context, userID string) ([]cart.Cart, error) {
	mark := []byte(`"user_id":"` + userID + `"`)
	out := []cart.Cart{}
	n := 0
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixCart), PrefixEnd([]byte(prefixCart)), func(k, v []byte) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !bytes.Contains(v, mark) {
				return nil
			}
			var c cart.Cart
			if err := decode(v, &c); err != nil {
				return fmt.Errorf("store: cart: %w", err)
			}
			if c.UserID == userID {
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}

// anonymizeReviews gives every review of the user the author name name, in tx. A user's
// reviews are found through the one-per-product author rows (reviews/by_author/<product>/<user>).
func anonymizeReviews(tx *Tx, userID, name string) (int, error) {
	var ids []string
	prefix := []byte(prefixReviewByAuthor)
	suffix := "/" + userID
	err := tx.Scan(prefix, PrefixEnd(prefix), func(k, v []byte) error {
		if strings.HasSuffix(string(k), suffix) {
			ids = append(ids, string(v))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	rt := reviewTx{tx}
	for _, id := range ids {
		prev, err := reviewOf(tx, id)
		if err != nil {
			return 0, err
		}
		r := prev
		r.AuthorName = name
		r.Version++
		if err := rt.SaveReview(r, &prev); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}
