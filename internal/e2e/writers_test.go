package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
)

// userWriters create users through a server's admin socket from several goroutines until
// stopped, and record every e-mail whose create call was acknowledged (returned nil).
type userWriters struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// expectFailures is set just before the server is killed: from then on a failed call
	// ends its goroutine quietly.
	expectFailures atomic.Bool

	mu     sync.Mutex
	acked  []string
	failed []error
}

func startUserWriters(t testing.TB, s *server, n int, prefix string) *userWriters {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &userWriters{cancel: cancel}
	for g := range n {
		client := s.admin()
		w.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("%s-%d-%d@shop.example", prefix, g, i)
				_, err := client.CreateUser(ctx, auth.CreateUserInput{Email: email, Password: strongPassword})
				w.mu.Lock()
				switch {
				case err == nil:
					w.acked = append(w.acked, email)
				case ctx.Err() == nil && !w.expectFailures.Load():
					w.failed = append(w.failed, fmt.Errorf("create %s: %w", email, err))
				}
				w.mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	t.Cleanup(w.stop)
	return w
}

// ackedSoFar returns the e-mails acknowledged until now.
func (w *userWriters) ackedSoFar() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked)
}

func (w *userWriters) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// stop ends the writers and waits for them.
func (w *userWriters) stop() {
	w.cancel()
	w.wg.Wait()
}

// check fails the test for every call that failed while it was not expected to.
func (w *userWriters) check(t testing.TB) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, err := range w.failed {
		t.Errorf("writer: %v", err)
	}
}

// missing returns the e-mails in want that are not in have.
func missing[V any](want []string, have map[string]V) []string {
	var out []string
	for _, e := range want {
		if _, ok := have[e]; !ok {
			out = append(out, e)
		}
	}
	return out
}
