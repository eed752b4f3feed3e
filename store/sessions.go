package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

// Sessions is the Pebble implementation of auth.Sessions. A session (a refresh-token family)
// lives at auth/session/<id>; each refresh token ever issued in it at auth/refresh/<hex
// SHA-256 of the token> until it expires (rotated ones included, so reuse is recognised); and
// auth/user_session/<user ID>/<session ID> lists a user's sessions so all can be revoked.
type Sessions struct{ db *DB }

// NewSessions returns the session repository on db.
func NewSessions(db *DB) *Sessions { return &Sessions{db: db} }

var _ auth.Sessions = (*Sessions)(nil)

func sessionKey(id string) []byte { return Key(prefixSession, id) }

func refreshKey(hash []byte) []byte { return Key(prefixRefresh, hex.EncodeToString(hash)) }

func userSessionKey(userID, sessionID string) []byte {
	return Key(prefixUserSession, userID, sessionID)
}

// CreateSession stores s, its first refresh token and its entry in the user's session list,
// and emits auth.logged_in.
func (s *Sessions) CreateSession(ctx context.Context, sess auth.Session, first auth.NewRefreshRow) error {
	if !commerce.ValidID(sess.ID) || !commerce.ValidID(sess.UserID) || len(first.Hash) == 0 {
		return commerce.Errorf(commerce.EInvalid, "session_incomplete", "store: a session needs an ID, a user ID and a token hash")
	}
	if first.Row.SessionID != sess.ID || first.Row.UserID != sess.UserID {
		return commerce.Errorf(commerce.EInvalid, "session_mismatch", "store: refresh token belongs to another session")
	}
	ev, err := auth.LoggedInEvent(sess)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := absent(tx, sessionKey(sess.ID)); err != nil {
			return err
		}
		if err := absent(tx, refreshKey(first.Hash)); err != nil {
			return err
		}
		if err := putJSON(tx, sessionKey(sess.ID), sess); err != nil {
			return err
		}
		if err := putJSON(tx, refreshKey(first.Hash), first.Row); err != nil {
			return err
		}
		tx.Set(userSessionKey(sess.UserID, sess.ID), nil)
		tx.Emit(ev)
		return nil
	})
}

// absent fails with a conflict when key exists.
func absent(tx *Tx, key []byte) error {
	if _, err := tx.Get(key); err == nil {
		return commerce.Errorf(commerce.EConflict, "key_exists", "store: %s already exists", keyString(key))
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// RefreshToken returns the row of the refresh token with the given hash.
func (s *Sessions) RefreshToken(ctx context.Context, hash []byte) (auth.RefreshToken, error) {
	var t auth.RefreshToken
	err := s.db.View(ctx, func(r *Reader) error { return readRefresh(r, hash, &t) })
	return t, err
}

func readRefresh(r interface{ Get([]byte) ([]byte, error) }, hash []byte, t *auth.RefreshToken) error {
	err := getJSON(r, refreshKey(hash), t)
	if errors.Is(err, ErrNotFound) {
		return auth.ErrTokenInvalid
	}
	if err != nil {
		return fmt.Errorf("store: refresh token: %w", err)
	}
	return nil
}

func readSession(r interface{ Get([]byte) ([]byte, error) }, id string, sess *auth.Session) error {
	err := getJSON(r, sessionKey(id), sess)
	if errors.Is(err, ErrNotFound) {
		return auth.ErrSessionNotFound
	}
	if err != nil {
		return fmt.Errorf("store: session %s: %w", id, err)
	}
	return nil
}

// UpdateSession reads the refresh token under hash and its session, applies fn and writes
// both back, with the next token fn returns, in one update. A session that fn revoked emits
// auth.session_revoked.
func (s *Sessions) UpdateSession(ctx context.Context, hash []byte, fn func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error)) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var tok auth.RefreshToken
		if err := readRefresh(tx, hash, &tok); err != nil {
			return err
		}
		var old auth.Session
		if err := readSession(tx, tok.SessionID, &old); err != nil {
			if errors.Is(err, auth.ErrSessionNotFound) {
				return auth.ErrTokenInvalid // purged while its expired rows wait for the next pass
			}
			return err
		}
		sess := old
		next, err := fn(&tok, &sess)
		if err != nil {
			return err
		}
		if sess.ID != old.ID || sess.UserID != old.UserID {
			return commerce.Errorf(commerce.EInvalid, "session_immutable", "store: a session's ID and user cannot change")
		}
		if err := putJSON(tx, refreshKey(hash), tok); err != nil {
			return err
		}
		if next != nil {
			if next.Row.SessionID != sess.ID || next.Row.UserID != sess.UserID || bytes.Equal(next.Hash, hash) {
				return commerce.Errorf(commerce.EInvalid, "session_mismatch", "store: next refresh token does not belong to the session")
			}
			if err := absent(tx, refreshKey(next.Hash)); err != nil {
				return err
			}
			if err := putJSON(tx, refreshKey(next.Hash), next.Row); err != nil {
				return err
			}
		}
		return putSession(tx, old, sess)
	})
}

// putSession writes sess and emits auth.session_revoked when it became revoked.
func putSession(tx *Tx, old, sess auth.Session) error {
	if err := putJSON(tx, sessionKey(sess.ID), sess); err != nil {
		return err
	}
	if sess.Revoked && !old.Revoked {
		ev, err := auth.SessionRevokedEvent(sess)
		if err != nil {
			return err
		}
		tx.Emit(ev)
	}
	return nil
}

// RevokeSession revokes the session with the given ID when fn allows it.
func (s *Sessions) RevokeSession(ctx context.Context, id string, at time.Time, reason string, fn func(*auth.Session) error) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var old auth.Session
		if err := readSession(tx, id, &old); err != nil {
			return err
		}
		sess := old
		if err := fn(&sess); err != nil {
			return err
		}
		if !sess.Revoke(at, reason) {
			return nil
		}
		return putSession(tx, old, sess)
	})
}

// RevokeUserSessions revokes every live session of the user in one update.
func (s *Sessions) RevokeUserSessions(ctx context.Context, userID string, at time.Time, reason string) ([]string, error) {
	var revoked []string
	err := s.db.Update(ctx, func(tx *Tx) error {
		revoked = revoked[:0]
		prefix := Key(prefixUserSession, userID, "")
		var ids []string
		if err := tx.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
			ids = append(ids, string(k[len(prefix):]))
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			var old auth.Session
			if err := readSession(tx, id, &old); errors.Is(err, auth.ErrSessionNotFound) {
				continue // purged
			} else if err != nil {
				return err
			}
			sess := old
			if !sess.Revoke(at, reason) {
				continue
			}
			if err := putSession(tx, old, sess); err != nil {
				return err
			}
			revoked = append(revoked, id)
		}
		return nil
	})
	return revoked, err
}

// PurgeExpired deletes refresh-token rows and sessions that expired before now, in updates
// of at most 1000 deletions, and returns how many rows it deleted. Rows go first: a session
// outlives all of its tokens (its expiry is its newest token's), so no live token loses its
// session. A revoked session is kept until it expires too, so its tokens keep answering
// "revoked" rather than "unknown".
func (s *Sessions) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for _, prefix := range []string{prefixRefresh, prefixSession} {
		n, err := purgeExpired(ctx, s.db, prefix, now, func(keys [][]byte) (int, error) {
			return s.deleteExpired(ctx, prefix, keys, now)
		})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// deleteExpired deletes the keys found expired by a scan, checking each again inside the
// update (a session's expiry moves forward when it is refreshed).
func (s *Sessions) deleteExpired(ctx context.Context, prefix string, keys [][]byte, now time.Time) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		n = 0
		for _, k := range keys {
			v, err := tx.Get(k)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if exp, err := expiryOf(v); err != nil || !exp.Before(now) {
				continue
			}
			if prefix == prefixSession {
				var sess auth.Session
				if err := decode(v, &sess); err != nil {
					return err
				}
				tx.Delete(userSessionKey(sess.UserID, sess.ID))
			}
			tx.Delete(k)
			n++
		}
		return nil
	})
	return n, err
}

var _ auth.SessionLister = (*Sessions)(nil)

// UserSessions returns every stored session of the user (revoked and expired ones too, until
// they are purged), oldest first, from the user's session list.
func (s *Sessions) UserSessions(ctx context.Context, userID string) ([]auth.Session, error) {
	prefix := Key(prefixUserSession, userID, "")
	var out []auth.Session
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
			var sess auth.Session
			if err := readSession(r, string(k[len(prefix):]), &sess); errors.Is(err, auth.ErrSessionNotFound) {
				return nil // purged
			} else if err != nil {
				return err
			}
			out = append(out, sess)
			return nil
		})
	})
	return out, err
}
