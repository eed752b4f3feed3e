package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var demoCredentials = regexp.MustCompile(`Demo administrator: (\S+)\s+password: (\S+)`)

// TestDemoShop: serve --demo on an empty data dir seeds the demo shop, prints the demo
// administrator's credentials on stdout once (and nowhere else), and indexes the products;
// a restart with --demo prints no credentials again.
func TestDemoShop(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	s := serve(t, dir, "--demo")
	out := s.stdout.String()
	m := demoCredentials.FindStringSubmatch(out)
	if m == nil || len(demoCredentials.FindAllString(out, -1)) != 1 {
		t.Fatalf("want the demo administrator's credentials once on stdout, got:\n%s", out)
	}
	email, password := m[1], m[2]
	if strings.Contains(s.stderr.String(), password) {
		t.Errorf("the demo password appears in the log")
	}
	if users := s.userEmails(); len(users) != 1 || users[email].Role != "SUPER_ADMIN" {
		t.Errorf("users after seeding: %v, want only %s as SUPER_ADMIN", users, email)
	}
	eventually(t, 60*time.Second, "ultramarket_index_documents > 0", func() (bool, string) {
		body, err := s.body("/metrics")
		if err != nil {
			return false, err.Error()
		}
		v, ok := metric(body, "ultramarket_index_documents")
		return ok && v > 0, fmt.Sprintf("ultramarket_index_documents %v (present %v)", v, ok)
	})
	s.stop()

	s2 := serve(t, dir, "--demo")
	s2.stop()
	if strings.Contains(s2.stdout.String(), "Demo administrator") || strings.Contains(s2.stdout.String(), password) {
		t.Errorf("a restart with --demo printed credentials again:\n%s", s2.stdout)
	}
}

// metric returns the value of the label-free series name in a Prometheus text exposition.
func metric(body, name string) (float64, bool) {
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(rest, &v); err == nil {
			return v, true
		}
	}
	return 0, false
}
