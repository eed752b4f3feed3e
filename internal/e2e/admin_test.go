package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/app"
)

// TestAdminUsersWithAndWithoutServer: `admin user create` works offline on a data dir no
// server holds, then through a running server's admin socket (mode 0600); both users are
// listed either way, and a weak password is a usage error (exit 2) that creates nothing.
func TestAdminUsersWithAndWithoutServer(t *testing.T) {
	t.Parallel()
	dir := emptyDataDir(t)
	create := func(email, password, role string) result {
		args := []string{"admin", "user", "create", "--data", dir, "--email", email, "--password", password}
		if role != "" {
			args = append(args, "--role", role)
		}
		return ultramarket(t, args...)
	}
	weak := func(email string) {
		t.Helper()
		r := create(email, "short", "")
		if r.code != 2 || !strings.Contains(r.stderr, "password") {
			t.Errorf("weak password: want exit 2 naming the password\n%s", r)
		}
	}

	// Offline: no server holds the data dir.
	if r := create("a@shop.example", strongPassword, "SUPER_ADMIN"); r.code != 0 || !strings.Contains(r.stdout, "a@shop.example") {
		t.Fatalf("offline create: want exit 0 naming the user\n%s", r)
	}
	weak("weak-offline@shop.example")

	s := serve(t, dir)
	sock := app.AdminSocketPath(dir)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatalf("admin socket: %v", err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket %s has mode %v, want a socket with 0600", sock, fi.Mode())
	}

	// Through the socket: the server holds the data dir, so the offline path cannot open it.
	if r := create("b@shop.example", strongPassword, ""); r.code != 0 || !strings.Contains(r.stdout, "b@shop.example") {
		t.Fatalf("create through the socket: want exit 0 naming the user\n%s", r)
	}
	weak("weak-online@shop.example")

	checkList := func(r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("admin user list: want exit 0\n%s", r)
		}
		lines := map[string]string{}
		for line := range strings.Lines(r.stdout) {
			if f := strings.Fields(line); len(f) > 1 {
				lines[f[1]] = line
			}
		}
		if !strings.Contains(lines["a@shop.example"], "SUPER_ADMIN") || !strings.Contains(lines["b@shop.example"], "CUSTOMER") {
			t.Errorf("admin user list: want a@shop.example SUPER_ADMIN and b@shop.example CUSTOMER\n%s", r)
		}
		for email := range lines {
			if strings.HasPrefix(email, "weak") {
				t.Errorf("a user with a weak password was created: %s\n%s", email, r)
			}
		}
	}
	checkList(ultramarket(t, "admin", "user", "list", "--data", dir))
	if users := s.userEmails(); len(users) != 2 {
		t.Errorf("the socket lists %d users, want 2: %v", len(users), users)
	}

	s.stop()
	checkList(ultramarket(t, "admin", "user", "list", "--data", dir)) // offline again
}

// TestFirstAdminOnFreshInstall creates the first administrator before the first start: the
// data dir does not exist yet and is created, and the server then starts on it.
func TestFirstAdminOnFreshInstall(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	r := ultramarket(t, "admin", "user", "create", "--data", dir, "--email", "owner@shop.example", "--password", strongPassword, "--role", "SUPER_ADMIN")
	if r.code != 0 {
		t.Fatalf("first admin on a fresh install: want exit 0\n%s", r)
	}
	// Other admin commands do not invent a data dir from a typo.
	missing := filepath.Join(t.TempDir(), "typo")
	if r := ultramarket(t, "snapshot", "list", "--data", missing); r.code != 1 || !strings.Contains(r.stderr, missing) {
		t.Errorf("snapshot list on a missing dir: want exit 1 naming it\n%s", r)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("%s was created", missing)
	}
	s := serve(t, dir)
	if u, ok := s.userEmails()["owner@shop.example"]; !ok || u.Role != "SUPER_ADMIN" {
		t.Errorf("first admin missing after start: %+v", s.userEmails())
	}
}
