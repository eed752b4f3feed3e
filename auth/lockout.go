package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Lockout: after SecurityConfig.LockoutThreshold failed sign-ins in a row (wrong password or
// wrong second factor) an account refuses every sign-in, even a right one, for
// LockoutDuration (ErrAccountLocked, with the seconds left). Locking starts the count again,
// so after the lock the account has the whole threshold again; a successful sign-in clears it.
//
// So that the answers do not tell which e-mails have accounts, failures for an e-mail that
// no account has are counted the same way, in memory (unknownFailures), and such an e-mail
// gets locked too.

// maxUnknownEmails bounds the e-mails without an account whose failures are remembered.
const maxUnknownEmails = 10000

// failed records one failed sign-in on u at now (inside the update that writes u) and
// returns the events to emit with it: auth.login_failed, and auth.account_locked when this
// failure reaches the threshold.
func (s *Service) failed(u *User, reason string, now time.Time) ([]commerce.Event, error) {
	u.FailedLogins++
	n := u.FailedLogins
	ev, err := commerce.NewEvent(EventLoginFailed, u.ID, now, LoginFailedData{UserID: u.ID, Email: u.Email, Reason: reason, Failures: n})
	if err != nil {
		return nil, err
	}
	evs := []commerce.Event{ev}
	if t := s.security.LockoutThreshold; t > 0 && n >= t {
		u.FailedLogins, u.LockedUntil = 0, now.Add(s.lockoutDuration())
		ev, err := commerce.NewEvent(EventAccountLocked, u.ID, now, AccountLockedData{UserID: u.ID, Until: u.LockedUntil})
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func (s *Service) lockoutDuration() time.Duration {
	if s.security.LockoutDuration <= 0 {
		return DefaultLockoutDuration
	}
	return s.security.LockoutDuration
}

// recordFailure records a failed sign-in of the user in its own atomic update. A failure
// that races with a lock by another request changes nothing more.
func (s *Service) recordFailure(ctx context.Context, userID, email, reason string) error {
	now := s.clock.Now().UTC()
	_, err := s.adminUpdate(ctx, userID, func(u *User) ([]commerce.Event, error) {
		if now.Before(u.LockedUntil) {
			return nil, lockedError(u.LockedUntil, now)
		}
		u.UpdatedAt = now
		return s.failed(u, reason, now)
	})
	return err
}

// unknownFailures counts failed sign-ins per e-mail that no account has, like User's
// FailedLogins and LockedUntil, in a bounded map.
type unknownFailures struct {
	mu sync.Mutex
	m  map[string]*unknownEntry
}

type unknownEntry struct {
	failures int
	locked   time.Time // locked until
	last     time.Time // last failure
}

// unknownKey is the e-mail as the user index compares it (case-insensitive), bounded.
func unknownKey(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > MaxEmailLen {
		email = email[:MaxEmailLen]
	}
	return email
}

// lockedUntil returns until when the e-mail is locked (zero if it is not).
func (f *unknownFailures) lockedUntil(email string, now time.Time) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.m[unknownKey(email)]; ok && now.Before(e.locked) {
		return e.locked
	}
	return time.Time{}
}

// fail counts one failure for the e-mail and returns the failures in a row (this one
// included) and, if this one locked it, until when.
func (f *unknownFailures) fail(email string, threshold int, d time.Duration, now time.Time) (int, time.Time) {
	k := unknownKey(email)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[string]*unknownEntry)
	}
	e, ok := f.m[k]
	if !ok {
		if len(f.m) >= maxUnknownEmails {
			f.prune(now, d)
		}
		e = &unknownEntry{}
		f.m[k] = e
	}
	e.failures++
	e.last = now
	n := e.failures
	if threshold > 0 && n >= threshold {
		e.failures, e.locked = 0, now.Add(d)
		return n, e.locked
	}
	return n, time.Time{}
}

// prune makes room: it drops entries neither locked nor failed within d, and if none, the
// one whose last failure is oldest. Caller holds mu.
func (f *unknownFailures) prune(now time.Time, d time.Duration) {
	var oldest string
	var oldestT time.Time
	for k, e := range f.m {
		if !now.Before(e.locked) && now.Sub(e.last) > d {
			delete(f.m, k)
			continue
		}
		if oldest == "" || e.last.Before(oldestT) {
			oldest, oldestT = k, e.last
		}
	}
	if len(f.m) >= maxUnknownEmails {
		delete(f.m, oldest)
	}
}

// failUnknown records a failed sign-in for an e-mail no account has: counted in memory,
// and an auth.login_failed event without a user ID is written, as for an account (which
// also costs one durable write, so both answer after the same work).
func (s *Service) failUnknown(ctx context.Context, email string) error {
	now := s.clock.Now().UTC()
	n, _ := s.unknown.fail(email, s.security.LockoutThreshold, s.lockoutDuration(), now)
	ev, err := commerce.NewEvent(EventLoginFailed, "", now, LoginFailedData{Email: unknownKey(email), Reason: FailUnknownEmail, Failures: n})
	if err != nil {
		return err
	}
	return s.emit(ctx, ev)
}
