package e2e

import (
	"strings"
	"testing"
)

// TestAdminUserCommands runs `admin user disable|enable|set-role|reset-2fa|list` on a data dir
// no server holds, then through a running server's admin socket: users are named by e-mail or
// ID, bad input is a usage error (exit 2), refused changes (the last SUPER_ADMIN) exit 1 and
// change nothing.
func TestAdminUserCommands(t *testing.T) {
	t.Parallel()
	dir := emptyDataDir(t)
	run := func(args ...string) result {
		return ultramarket(t, append(append([]string{"admin", "user"}, args...), "--data", dir)...)
	}
	ok := func(what string, r result, want ...string) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: want exit 0\n%s", what, r)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Fatalf("%s: want %q in the output\n%s", what, w, r)
			}
		}
	}
	fails := func(what string, r result, code int, want string) {
		t.Helper()
		if r.code != code || !strings.Contains(strings.ToLower(r.stderr), want) {
			t.Fatalf("%s: want exit %d saying %q\n%s", what, code, want, r)
		}
	}
	// emails returns the e-mails `admin user list args...` shows.
	emails := func(args ...string) []string {
		t.Helper()
		r := run(append([]string{"list"}, args...)...)
		ok("list", r)
		var out []string
		for line := range strings.Lines(r.stdout) {
			if f := strings.Fields(line); len(f) > 1 && f[0] != "ID" {
				out = append(out, f[1])
			}
		}
		return out
	}
	ok("create owner", run("create", "--email", "owner@shop.example", "--password", strongPassword, "--role", "SUPER_ADMIN"))
	ok("create customer", run("create", "--email", "cy@shop.example", "--password", strongPassword))
	ok("create admin", run("create", "--email", "clerk@shop.example", "--password", strongPassword, "--role", "ADMIN"))

	// Offline.
	ok("disable by e-mail", run("disable", "CY@shop.example"), "disabled", "cy@shop.example")
	if got := emails("--disabled", "true"); strings.Join(got, ",") != "cy@shop.example" {
		t.Fatalf("disabled users: %v", got)
	}
	fails("the last super admin steps down", run("set-role", "owner@shop.example", "ADMIN"), 1, "super_admin")
	fails("the last super admin is disabled", run("disable", "owner@shop.example"), 1, "super_admin")
	fails("an unknown role", run("set-role", "cy@shop.example", "ROOT"), 2, "role")
	fails("an unknown user", run("disable", "nobody@shop.example"), 1, "not found")
	fails("a missing argument", run("set-role", "cy@shop.example"), 2, "arg")
	ok("set-role", run("set-role", "cy@shop.example", "vendor"), "VENDOR")

	// Through the socket.
	s := serve(t, dir)
	ok("enable through the socket", run("enable", "cy@shop.example"), "enabled", "disabled false")
	if got := emails("--role", "VENDOR"); strings.Join(got, ",") != "cy@shop.example" {
		t.Fatalf("vendors: %v", got)
	}
	if got := emails("--email", "CL"); strings.Join(got, ",") != "clerk@shop.example" {
		t.Fatalf("e-mail prefix: %v", got)
	}
	ok("reset-2fa", run("reset-2fa", "cy@shop.example"), "reset 2FA")
	fails("the last super admin through the socket", run("set-role", "owner@shop.example", "CUSTOMER"), 1, "super_admin")
	ok("a second super admin", run("set-role", "clerk@shop.example", "SUPER_ADMIN"), "SUPER_ADMIN")
	ok("now the owner may step down", run("set-role", "owner@shop.example", "ADMIN"), "ADMIN")
	if u := s.userEmails()["owner@shop.example"]; u.Role != "ADMIN" {
		t.Fatalf("owner after stepping down: %+v", u)
	}
	fails("a bad --disabled", run("list", "--disabled", "maybe"), 2, "disabled")
}
