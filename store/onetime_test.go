package store

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/mailer"
)

// recoveryService is the auth Service on the Pebble user, session and recovery stores.
func recoveryService(t *testing.T, db *DB) (*auth.Service, *MailQueue) {
	t.Helper()
	hasher, err := auth.NewHasher(auth.HasherConfig{})
	must(t, err)
	svc := auth.NewService(NewUsers(db), hasher, nil)
	tokens, err := auth.NewTokens(auth.TokensConfig{Secret: []byte("0123456789abcdef0123456789abcdef")}, NewSessions(db))
	must(t, err)
	svc.UseTokens(tokens)
	q := NewMailQueue(db)
	svc.UseRecovery(NewRecovery(db, q), auth.RecoveryConfig{BaseURL: func() string { return "http://shop.test" }})
	return svc, q
}

var verifyTokenRE = regexp.MustCompile(`/api/v1/auth/verify-email/([A-Za-z0-9_-]{43})`)

// dueMails returns every mail due now.
func dueMails(t *testing.T, q *MailQueue) []mailer.Queued {
	t.Helper()
	due, _, err := q.Due(context.Background(), time.Now().Add(time.Second), 100)
	must(t, err)
	return due
}

func TestRegisterQueuesMailInTheUsersBatch(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	svc, q := recoveryService(t, db)
	before := db.LastSeq()
	must(t, svc.Register(ctx, auth.RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"}))
	// One update: the user's event and the mail share a commit, and the sender was woken.
	evs, err := db.Outbox(ctx, before, 10)
	must(t, err)
	if len(evs) != 1 || evs[0].Type != auth.EventUserCreated {
		t.Fatalf("events %+v", evs)
	}
	select {
	case <-q.Notify():
	default:
		t.Fatal("queueing a mail did not wake the sender")
	}
	due := dueMails(t, q)
	if len(due) != 1 || due[0].To != "ann@example.com" || !verifyTokenRE.MatchString(due[0].Text) {
		t.Fatalf("queue %+v", due)
	}
	var tokens int
	must(t, db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixOneTime), PrefixEnd([]byte(prefixOneTime)), func(k, _ []byte) error {
			tokens++
			if len(k) != len(prefixOneTime)+64 {
				t.Errorf("token key %q is not a hex SHA-256", k)
			}
			return nil
		})
	}))
	if tokens != 1 {
		t.Fatalf("%d tokens stored", tokens)
	}

	// A failed registration write leaves no mail or token behind.
	rec := NewRecovery(db, q)
	u := auth.User{ID: commerce.NewID(), Email: "ANN@example.com", Role: auth.RoleCustomer, Version: 1}
	err = rec.RegisterUser(ctx, u, auth.NewOneTimeToken{Hash: sessionsTestHash("x"), Row: auth.OneTimeToken{UserID: u.ID, Purpose: auth.PurposeVerify}},
		auth.Mail{To: u.Email, Subject: "s", Text: "t"})
	if !errors.Is(err, auth.ErrEmailTaken) {
		t.Fatalf("taken: %v", err)
	}
	if n := len(dueMails(t, q)); n != 1 {
		t.Fatalf("%d mails after a refused registration", n)
	}
	if _, err := rec.OneTimeToken(ctx, sessionsTestHash("x")); !errors.Is(err, auth.ErrOneTimeInvalid) {
		t.Fatalf("token of a refused registration: %v", err)
	}
}

// TestTokenIsSpentOnce spends one verification token from several goroutines: exactly one
// wins, the others are told it was used, and every refusal is in the outbox.
func TestTokenIsSpentOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kv")
	db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true, Logger: quietLogger()})
	must(t, err)
	svc, q := recoveryService(t, db)
	must(t, svc.Register(ctx, auth.RegisterInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"}))
	tok := verifyTokenRE.FindStringSubmatch(dueMails(t, q)[0].Text)[1]
	before := db.LastSeq()

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = svc.VerifyEmail(ctx, tok) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, auth.ErrOneTimeUsed):
			t.Fatalf("consumer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d consumers won, want 1", won)
	}
	counts := map[string]int{}
	for _, typ := range eventTypes(t, db, before) {
		counts[typ]++
	}
	if counts[auth.EventEmailVerified] != 1 || counts[auth.EventUserUpdated] != 1 || counts[auth.EventTokenRejected] != n-1 {
		t.Fatalf("events %v", counts)
	}
	u, err := NewUsers(db).UserByEmail(ctx, "ann@example.com")
	must(t, err)
	if !u.EmailVerified || u.Version != 2 {
		t.Fatalf("user %+v", u)
	}

	// Expired tokens are purged, live ones kept.
	must(t, svc.RequestPasswordReset(ctx, "ann@example.com"))
	rec := NewRecovery(db, q)
	if n, err := rec.PurgeExpired(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("purge now: %d, %v", n, err)
	}
	if n, err := rec.PurgeExpired(ctx, time.Now().Add(73*time.Hour)); err != nil || n != 2 {
		t.Fatalf("purge later: %d, %v (want the spent verification and the reset token)", n, err)
	}
	must(t, db.Close())
	if _, err := Verify(ctx, dir); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestMailQueueDeliveryState(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	q := NewMailQueue(db)
	rec := NewRecovery(db, q)
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		must(t, rec.Record(ctx, &auth.Mail{To: to, Subject: "hi", Text: "text"}))
	}
	if err := rec.Record(ctx, &auth.Mail{Subject: "nobody"}); err == nil {
		t.Fatal("a mail without a recipient was queued")
	}
	now := time.Now().Add(time.Second)
	due, next, err := q.Due(ctx, now, 2)
	must(t, err)
	if len(due) != 2 || due[0].To != "a@example.com" || due[1].To != "b@example.com" || !next.IsZero() {
		t.Fatalf("due %+v, next %v", due, next)
	}
	retry := now.Add(time.Minute)
	must(t, q.Failed(ctx, due[0].ID, 1, retry, "451 try later", false))
	must(t, q.Failed(ctx, due[1].ID, 8, retry, "550 no such user", true))
	due, next, err = q.Due(ctx, now, 10)
	must(t, err)
	if len(due) != 1 || due[0].To != "c@example.com" || !next.Equal(retry.UTC()) {
		t.Fatalf("due %+v, next %v", due, next)
	}
	must(t, q.Delivered(ctx, due[0].ID))
	due, _, err = q.Due(ctx, retry, 10)
	must(t, err)
	if len(due) != 1 || due[0].To != "a@example.com" || due[0].Attempts != 1 {
		t.Fatalf("after the retry time %+v", due)
	}
	all, err := q.Mails(ctx)
	must(t, err)
	if len(all) != 2 || !all[1].GaveUp || all[1].LastError != "550 no such user" {
		t.Fatalf("queue %+v", all)
	}
}
