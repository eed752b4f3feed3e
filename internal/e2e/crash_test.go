package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
)

// TestKill9KeepsAcknowledgedUsers: users are created through the admin socket from 8
// goroutines for about 2 s, then the server is killed with SIGKILL. A new serve starts on the
// same data dir (its stale admin socket and lock recovered) and lists every user whose create
// had been acknowledged.
func TestKill9KeepsAcknowledgedUsers(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	s := serve(t, dir)
	w := startUserWriters(t, s, 8, "crash")
	start := time.Now()
	eventually(t, 60*time.Second, "2 s of writes with at least 8 acknowledged", func() (bool, string) {
		return time.Since(start) >= 2*time.Second && w.count() >= 8, fmt.Sprintf("%d acknowledged", w.count())
	})
	w.expectFailures.Store(true)
	s.kill()
	w.stop()
	w.check(t)
	acked := w.ackedSoFar()
	t.Logf("%d users acknowledged before SIGKILL", len(acked))

	if _, err := os.Lstat(app.AdminSocketPath(dir)); err != nil {
		t.Errorf("no stale admin socket after SIGKILL (%v): the restart below proves less", err)
	}
	s2 := serve(t, dir)
	if lost := missing(acked, s2.userEmails()); len(lost) > 0 {
		t.Errorf("%d of %d acknowledged users lost after SIGKILL: %v", len(lost), len(acked), lost)
	}
	s2.stop()
}
