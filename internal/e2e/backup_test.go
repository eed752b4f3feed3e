package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupDuringWrites: `backup` through a running server while users are being created
// writes an archive that passes `verify`, restores into a new data dir, and serves there with
// every user acknowledged before the backup began. Snapshots taken meanwhile are listed and
// pruned.
func TestBackupDuringWrites(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	s := serve(t, dir)
	w := startUserWriters(t, s, 4, "backup")
	eventually(t, 60*time.Second, "10 users acknowledged", func() (bool, string) {
		return w.count() >= 10, fmt.Sprintf("%d acknowledged", w.count())
	})
	before := w.ackedSoFar()

	archive := filepath.Join(t.TempDir(), "shop.umbak")
	r := mustRun(t, "backup", "--data", dir, "--out", archive)
	if !strings.Contains(r.stdout, archive) {
		t.Errorf("backup output does not name the archive\n%s", r)
	}
	if _, err := os.Lstat(archive + ".partial"); !os.IsNotExist(err) {
		t.Errorf("%s.partial left behind (%v)", archive, err)
	}

	t.Run("snapshots while writing", func(t *testing.T) {
		older := snapshotName(t, mustRun(t, "snapshot", "create", "--data", dir).stdout)
		newer := snapshotName(t, mustRun(t, "snapshot", "create", "--data", dir).stdout)
		if got := snapshotList(t, dir); len(got) != 2 || got[0] != newer || got[1] != older {
			t.Fatalf("snapshot list: %q, want [%s %s] (newest first)", got, newer, older)
		}
		r := mustRun(t, "snapshot", "prune", "--data", dir, "--keep", "1")
		if !strings.Contains(r.stdout, "removed "+older) {
			t.Errorf("prune --keep 1 did not report removing %s\n%s", older, r)
		}
		if got := snapshotList(t, dir); len(got) != 1 || got[0] != newer {
			t.Errorf("snapshot list after prune --keep 1: %q, want [%s]", got, newer)
		}
		mustRun(t, "verify", "--data", dir, newer)
	})

	w.stop()
	w.check(t)
	s.stop()

	restored := newDataDir(t)
	mustRun(t, "restore", "--from", archive, "--data", restored)
	mustRun(t, "verify", archive)
	s2 := serve(t, restored)
	if lost := missing(before, s2.userEmails()); len(lost) > 0 {
		t.Errorf("%d of %d users acknowledged before the backup are not in the restored data dir: %v", len(lost), len(before), lost)
	}
	s2.stop()
}

// snapshotList returns the snapshot names `snapshot list` prints, in its order.
func snapshotList(t *testing.T, dir string) []string {
	t.Helper()
	r := mustRun(t, "snapshot", "list", "--data", dir)
	var names []string
	for i, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}
