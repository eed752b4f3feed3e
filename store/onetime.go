package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

// Recovery is the Pebble implementation of auth.Recovery. A single-use token (password
// reset, e-mail verification) lives at auth/onetime/<hex SHA-256 of the token> — the token
// itself is never stored outside the queued mail that carries it — and is written in the
// same update as that mail (mail/queue/, see MailQueue), the user it belongs to and the
// events. A spent token stays, marked used, until it expires; PurgeExpired deletes it then.
type Recovery struct {
	db   *DB
	mail *MailQueue
}

// NewRecovery returns the recovery repository on db, queueing mails in mail.
func NewRecovery(db *DB, mail *MailQueue) *Recovery { return &Recovery{db: db, mail: mail} }

var _ auth.Recovery = (*Recovery)(nil)

func oneTimeKey(hash []byte) []byte { return Key(prefixOneTime, hex.EncodeToString(hash)) }

// putOneTime stores a new token inside tx.
func putOneTime(tx *Tx, t auth.NewOneTimeToken) error {
	if len(t.Hash) == 0 || !commerce.ValidID(t.Row.UserID) {
		return commerce.Errorf(commerce.EInvalid, "token_incomplete", "store: a single-use token needs a hash and a user")
	}
	if err := absent(tx, oneTimeKey(t.Hash)); err != nil {
		return err
	}
	return putJSON(tx, oneTimeKey(t.Hash), t.Row)
}

func emitAll(tx *Tx, evs []commerce.Event) {
	for _, ev := range evs {
		tx.Emit(ev)
	}
}

// update runs fn in one update and wakes the mail sender if it committed a mail.
func (s *Recovery) update(ctx context.Context, mails bool, fn func(tx *Tx) error) error {
	err := s.db.Update(ctx, fn)
	if err == nil && mails {
		s.mail.signal()
	}
	return err
}

// RegisterUser stores u (as Users.CreateUser does), its verification token and mail, and
// evs in one update.
func (s *Recovery) RegisterUser(ctx context.Context, u auth.User, tok auth.NewOneTimeToken, m auth.Mail, evs ...commerce.Event) error {
	if u.ID == "" || u.Email == "" {
		return commerce.Errorf(commerce.EInvalid, "user_incomplete", "store: user needs an ID and an e-mail")
	}
	if tok.Row.UserID != u.ID {
		return commerce.Errorf(commerce.EInvalid, "token_mismatch", "store: the token belongs to another user")
	}
	created, err := auth.UserCreatedEvent(u)
	if err != nil {
		return err
	}
	return s.update(ctx, true, func(tx *Tx) error {
		if err := createUser(tx, u, created); err != nil {
			return err
		}
		if err := putOneTime(tx, tok); err != nil {
			return err
		}
		emitAll(tx, evs)
		return queueMail(tx, m, u.CreatedAt)
	})
}

// IssueToken stores tok, queues m and emits evs in one update. The token's user must exist.
func (s *Recovery) IssueToken(ctx context.Context, tok auth.NewOneTimeToken, m auth.Mail, evs ...commerce.Event) error {
	return s.update(ctx, true, func(tx *Tx) error {
		var u auth.User
		if err := readUser(tx, tok.Row.UserID, &u); err != nil {
			return err
		}
		if err := putOneTime(tx, tok); err != nil {
			return err
		}
		emitAll(tx, evs)
		return queueMail(tx, m, tok.Row.CreatedAt)
	})
}

// Record emits evs and queues m (when not nil) in one update.
func (s *Recovery) Record(ctx context.Context, m *auth.Mail, evs ...commerce.Event) error {
	return s.update(ctx, m != nil, func(tx *Tx) error {
		emitAll(tx, evs)
		if m == nil {
			return nil
		}
		return queueMail(tx, *m, commerce.SystemClock{}.Now())
	})
}

// OneTimeToken returns the token row stored under hash.
func (s *Recovery) OneTimeToken(ctx context.Context, hash []byte) (auth.OneTimeToken, error) {
	var t auth.OneTimeToken
	err := s.db.View(ctx, func(r *Reader) error {
		err := getJSON(r, oneTimeKey(hash), &t)
		if errors.Is(err, ErrNotFound) {
			return auth.ErrOneTimeInvalid
		}
		return err
	})
	return t, err
}

// ConsumeToken reads the token and its user, lets fn decide, and writes the spent token and
// the changed user with fn's events, or on refusal only the events, in one update.
func (s *Recovery) ConsumeToken(ctx context.Context, hash []byte, fn func(*auth.OneTimeToken, *auth.User) ([]commerce.Event, error)) (auth.User, error) {
	var out auth.User
	var refused error
	err := s.db.Update(ctx, func(tx *Tx) error {
		refused = nil
		var tok auth.OneTimeToken
		tp := &tok
		if err := getJSON(tx, oneTimeKey(hash), &tok); errors.Is(err, ErrNotFound) {
			tp = nil
		} else if err != nil {
			return fmt.Errorf("store: single-use token: %w", err)
		}
		var u auth.User
		up := &u
		if tp == nil {
			up = nil
		} else if err := readUser(tx, tok.UserID, &u); errors.Is(err, auth.ErrUserNotFound) {
			up = nil
		} else if err != nil {
			return err
		}
		evs, err := fn(tp, up)
		emitAll(tx, evs)
		if err != nil {
			refused = err
			return nil // commit the events of the refusal: it is audited
		}
		if tp == nil || up == nil {
			return commerce.Errorf(commerce.EInternal, "token_consume", "store: a missing token or user cannot be consumed")
		}
		if err := putJSON(tx, oneTimeKey(hash), tok); err != nil {
			return err
		}
		out, err = updateUser(tx, u.ID, func(x *auth.User) error { *x = u; return nil })
		return err
	})
	if err != nil {
		return auth.User{}, err
	}
	if refused != nil {
		return auth.User{}, refused
	}
	return out, nil
}

// PurgeExpired deletes single-use tokens that expired before now, in updates of at most
// 1000, and returns how many it deleted.
func (s *Recovery) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	return purgeExpired(ctx, s.db, prefixOneTime, now, func(keys [][]byte) (int, error) {
		// Expiry never moves, so what the scan found expired still is.
		err := s.db.Update(ctx, func(tx *Tx) error {
			for _, k := range keys {
				tx.Delete(k)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		return len(keys), nil
	})
}
