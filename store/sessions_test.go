package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

func sessionsTestHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func sessionsTestSession(userID string) (auth.Session, auth.NewRefreshRow) {
	s := auth.Session{ID: commerce.NewID(), UserID: userID, CreatedAt: usersTestTime, LastUsedAt: usersTestTime, ExpiresAt: usersTestTime.Add(time.Hour)}
	return s, auth.NewRefreshRow{Hash: sessionsTestHash(commerce.NewSecret(32)),
		Row: auth.RefreshToken{SessionID: s.ID, UserID: userID, IssuedAt: usersTestTime, ExpiresAt: s.ExpiresAt}}
}

// eventTypes returns the types of the outbox events after seq.
func eventTypes(t *testing.T, db *DB, after uint64) []string {
	t.Helper()
	evs, err := db.Outbox(context.Background(), after, 100)
	must(t, err)
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func TestSessionsCreateAndRead(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	ss := NewSessions(db)
	uid := commerce.NewID()
	s, first := sessionsTestSession(uid)
	before := db.LastSeq()
	must(t, ss.CreateSession(ctx, s, first))
	if got := eventTypes(t, db, before); len(got) != 1 || got[0] != auth.EventLoggedIn {
		t.Fatalf("events %v", got)
	}
	row, err := ss.RefreshToken(ctx, first.Hash)
	if err != nil || row != first.Row {
		t.Fatalf("row %+v, %v", row, err)
	}
	if _, err := ss.RefreshToken(ctx, sessionsTestHash("unknown")); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("unknown hash: %v", err)
	}

	other, otherFirst := sessionsTestSession(uid)
	mismatched := otherFirst
	mismatched.Row.SessionID = s.ID
	scenarios := []struct {
		name  string
		s     auth.Session
		first auth.NewRefreshRow
		kind  commerce.Kind
	}{
		{"same session again", s, auth.NewRefreshRow{Hash: otherFirst.Hash, Row: first.Row}, commerce.EConflict},
		{"same token hash again", other, auth.NewRefreshRow{Hash: first.Hash, Row: otherFirst.Row}, commerce.EConflict},
		{"token of another session", other, mismatched, commerce.EInvalid},
		{"no hash", other, auth.NewRefreshRow{Row: otherFirst.Row}, commerce.EInvalid},
		{"bad ID", auth.Session{ID: "x", UserID: uid}, otherFirst, commerce.EInvalid},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			seq := db.LastSeq()
			if err := ss.CreateSession(ctx, sc.s, sc.first); commerce.KindOf(err) != sc.kind {
				t.Fatalf("err %v, want kind %s", err, sc.kind)
			}
			if db.LastSeq() != seq {
				t.Fatal("a refused session emitted an event")
			}
		})
	}
	if _, err := ss.RefreshToken(ctx, otherFirst.Hash); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("refused session left its token: %v", err)
	}
}

func TestSessionsUpdate(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	ss := NewSessions(db)
	s, first := sessionsTestSession(commerce.NewID())
	must(t, ss.CreateSession(ctx, s, first))
	next := auth.NewRefreshRow{Hash: sessionsTestHash("next"), Row: auth.RefreshToken{SessionID: s.ID, UserID: s.UserID, ExpiresAt: usersTestTime.Add(2 * time.Hour)}}

	// A failing fn writes nothing.
	boom := errors.New("boom")
	err := ss.UpdateSession(ctx, first.Hash, func(tok *auth.RefreshToken, sess *auth.Session) (*auth.NewRefreshRow, error) {
		tok.Rotated = true
		sess.Revoke(usersTestTime, auth.RevokeLogout)
		return &next, boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if row, _ := ss.RefreshToken(ctx, first.Hash); row.Rotated {
		t.Fatal("failed update rotated the token")
	}
	if _, err := ss.RefreshToken(ctx, next.Hash); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatal("failed update stored the next token")
	}

	// Rotation: old marked, next stored, session changed, no event.
	seq := db.LastSeq()
	must(t, ss.UpdateSession(ctx, first.Hash, func(tok *auth.RefreshToken, sess *auth.Session) (*auth.NewRefreshRow, error) {
		if *tok != first.Row || sess.ID != s.ID {
			t.Errorf("fn got %+v %+v", tok, sess)
		}
		tok.Rotated = true
		sess.ExpiresAt = next.Row.ExpiresAt
		return &next, nil
	}))
	if got := eventTypes(t, db, seq); len(got) != 0 {
		t.Fatalf("rotation emitted %v", got)
	}
	if row, _ := ss.RefreshToken(ctx, first.Hash); !row.Rotated {
		t.Fatal("old token not marked rotated")
	}
	if row, err := ss.RefreshToken(ctx, next.Hash); err != nil || row != next.Row {
		t.Fatalf("next %+v %v", row, err)
	}

	scenarios := []struct {
		name string
		hash []byte
		fn   func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error)
		kind commerce.Kind
	}{
		{"unknown token", sessionsTestHash("nope"), func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error) { return nil, nil }, commerce.EUnauthorized},
		{"next reuses an existing hash", next.Hash, func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error) {
			return &auth.NewRefreshRow{Hash: first.Hash, Row: next.Row}, nil
		}, commerce.EConflict},
		{"next is the same token", next.Hash, func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error) { return &next, nil }, commerce.EInvalid},
		{"next of another session", next.Hash, func(*auth.RefreshToken, *auth.Session) (*auth.NewRefreshRow, error) {
			r := next
			r.Hash, r.Row.SessionID = sessionsTestHash("x"), commerce.NewID()
			return &r, nil
		}, commerce.EInvalid},
		{"session moved to another user", next.Hash, func(_ *auth.RefreshToken, s *auth.Session) (*auth.NewRefreshRow, error) {
			s.UserID = commerce.NewID()
			return nil, nil
		}, commerce.EInvalid},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if err := ss.UpdateSession(ctx, sc.hash, sc.fn); commerce.KindOf(err) != sc.kind {
				t.Fatalf("err %v, want %s", err, sc.kind)
			}
		})
	}

	// Revoking emits one event; a second revocation none.
	for i, want := range []int{1, 0} {
		seq := db.LastSeq()
		must(t, ss.UpdateSession(ctx, next.Hash, func(_ *auth.RefreshToken, s *auth.Session) (*auth.NewRefreshRow, error) {
			s.Revoke(usersTestTime.Add(time.Minute), auth.RevokeReuse)
			return nil, nil
		}))
		if got := eventTypes(t, db, seq); len(got) != want || want == 1 && got[0] != auth.EventSessionRevoked {
			t.Fatalf("revocation %d emitted %v", i, got)
		}
	}
}

func TestSessionsRevoke(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	ss := NewSessions(db)
	ann, bob := commerce.NewID(), commerce.NewID()
	var annIDs []string
	for range 3 {
		s, first := sessionsTestSession(ann)
		must(t, ss.CreateSession(ctx, s, first))
		annIDs = append(annIDs, s.ID)
	}
	bobS, bobFirst := sessionsTestSession(bob)
	must(t, ss.CreateSession(ctx, bobS, bobFirst))

	no := errors.New("not allowed")
	if err := ss.RevokeSession(ctx, annIDs[0], usersTestTime, auth.RevokeLogout, func(*auth.Session) error { return no }); !errors.Is(err, no) {
		t.Fatal(err)
	}
	if err := ss.RevokeSession(ctx, commerce.NewID(), usersTestTime, auth.RevokeLogout, func(*auth.Session) error { return nil }); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Fatalf("missing session: %v", err)
	}
	seq := db.LastSeq()
	must(t, ss.RevokeSession(ctx, annIDs[0], usersTestTime, auth.RevokeLogout, func(*auth.Session) error { return nil }))
	must(t, ss.RevokeSession(ctx, annIDs[0], usersTestTime, auth.RevokeLogout, func(*auth.Session) error { return nil }))
	if got := eventTypes(t, db, seq); len(got) != 1 {
		t.Fatalf("events %v", got)
	}

	seq = db.LastSeq()
	ids, err := ss.RevokeUserSessions(ctx, ann, usersTestTime, auth.RevokeAll)
	must(t, err)
	if len(ids) != 2 || ids[0] != annIDs[1] || ids[1] != annIDs[2] {
		t.Fatalf("revoked %v, want the two live ones of %v", ids, annIDs)
	}
	if got := eventTypes(t, db, seq); len(got) != 2 {
		t.Fatalf("events %v", got)
	}
	// Bob's session is untouched.
	err = ss.UpdateSession(ctx, bobFirst.Hash, func(_ *auth.RefreshToken, s *auth.Session) (*auth.NewRefreshRow, error) {
		if s.Revoked {
			t.Error("another user's session was revoked")
		}
		return nil, nil
	})
	must(t, err)
	if ids, err := ss.RevokeUserSessions(ctx, ann, usersTestTime, auth.RevokeAll); err != nil || len(ids) != 0 {
		t.Fatalf("second sweep: %v %v", ids, err)
	}
}

// TestSessionsWithService drives the real sign-in use cases on the Pebble store: concurrent
// refreshes of one token (exactly one wins, the rest are reuse and revoke the family), and a
// store that passes Verify afterwards.
func TestSessionsWithService(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kv")
	db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true, Logger: quietLogger()})
	must(t, err)
	hasher, err := auth.NewHasher(auth.HasherConfig{})
	must(t, err)
	svc := auth.NewService(NewUsers(db), hasher, nil)
	tokens, err := auth.NewTokens(auth.TokensConfig{Secret: []byte("0123456789abcdef0123456789abcdef")}, NewSessions(db))
	must(t, err)
	svc.UseTokens(tokens)

	_, err = svc.CreateUser(ctx, auth.CreateUserInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"})
	must(t, err)
	in, err := svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	must(t, err)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]auth.SignIn, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = svc.Refresh(ctx, in.RefreshToken)
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Fatalf("two refreshes of one token succeeded")
		case !errors.Is(err, auth.ErrTokenReused):
			t.Fatalf("refresh %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no refresh succeeded")
	}
	// The losers revoked the family, so even the winner's new token is dead.
	if _, err := svc.Refresh(ctx, outs[won].RefreshToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's token after reuse: %v", err)
	}
	if _, err := tokens.VerifyAccess(ctx, outs[won].AccessToken); !errors.Is(err, auth.ErrSessionRevoked) {
		t.Fatalf("winner's access token after reuse: %v", err)
	}
	_, err = svc.Login(ctx, "ann@example.com", "violet-harbor-917")
	must(t, err)
	must(t, db.Close())
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Keyspaces[prefixSession] != 2 || rep.Keyspaces[prefixRefresh] != 3 || rep.Keyspaces[prefixUserSession] != 2 {
		t.Fatalf("keyspaces %v", rep.Keyspaces)
	}
}

func TestSessionsPurgeExpired(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	ss := NewSessions(db)
	uid := commerce.NewID()
	// old: expired an hour before now, with a rotated row; live: expires after now, with an
	// expired rotated row of its own.
	now := usersTestTime.Add(10 * time.Hour)
	old, oldFirst := sessionsTestSession(uid)
	must(t, ss.CreateSession(ctx, old, oldFirst))
	live, liveFirst := sessionsTestSession(uid)
	must(t, ss.CreateSession(ctx, live, liveFirst))
	liveNext := auth.NewRefreshRow{Hash: sessionsTestHash("live next"), Row: auth.RefreshToken{SessionID: live.ID, UserID: uid, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}}
	must(t, ss.UpdateSession(ctx, liveFirst.Hash, func(tok *auth.RefreshToken, s *auth.Session) (*auth.NewRefreshRow, error) {
		tok.Rotated = true
		s.ExpiresAt = liveNext.Row.ExpiresAt
		return &liveNext, nil
	}))
	// Many expired rows, to cross a batch boundary.
	for i := range expiryPurgeBatch + 5 {
		must(t, ss.UpdateSession(ctx, oldFirst.Hash, func(_ *auth.RefreshToken, s *auth.Session) (*auth.NewRefreshRow, error) {
			return &auth.NewRefreshRow{Hash: sessionsTestHash(fmt.Sprint("old ", i)), Row: oldFirst.Row}, nil
		}))
	}

	n, err := ss.PurgeExpired(ctx, now)
	must(t, err)
	// Every row of old, the expired rotated row of live, and old's session.
	if want := 1 + expiryPurgeBatch + 5 + 1 + 1; n != want {
		t.Fatalf("purged %d, want %d", n, want)
	}
	if _, err := ss.RefreshToken(ctx, oldFirst.Hash); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("expired row kept: %v", err)
	}
	if _, err := ss.RefreshToken(ctx, liveFirst.Hash); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Fatalf("expired rotated row of a live session kept: %v", err)
	}
	if _, err := ss.RefreshToken(ctx, liveNext.Hash); err != nil {
		t.Fatalf("live row purged: %v", err)
	}
	ids, err := ss.RevokeUserSessions(ctx, uid, now, auth.RevokeAll)
	must(t, err)
	if len(ids) != 1 || ids[0] != live.ID {
		t.Fatalf("sessions left %v, want only %s", ids, live.ID)
	}
	var keys int
	must(t, db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixUserSession), PrefixEnd([]byte(prefixUserSession)), func(_, _ []byte) error { keys++; return nil })
	}))
	if keys != 1 {
		t.Fatalf("%d user index rows, want 1", keys)
	}
	if n, err := ss.PurgeExpired(ctx, now); err != nil || n != 0 {
		t.Fatalf("second purge: %d %v", n, err)
	}
}
