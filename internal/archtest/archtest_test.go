// Package archtest enforces the dependency direction of DESIGN.md: business domains under
// commerce/ import only the standard library and other commerce packages (and only
// commerce/checkout may import sibling domains).
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ultramarket/ultramarket"

type pkg struct {
	path    string
	imports []string
}

func listPackages(t *testing.T, pattern string) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			pkgs = append(pkgs, pkg{path: f[0], imports: f[1:]})
		}
	}
	return pkgs
}

// allowedInDomain reports whether a commerce package may import imp.
func allowedInDomain(from, imp string) (bool, string) {
	if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
		return true, "" // standard library
	}
	if imp == module+"/commerce" {
		return true, ""
	}
	if strings.HasPrefix(imp, module+"/commerce/") {
		if from == module+"/commerce" {
			return false, "the shared kernel must not import a domain"
		}
		if from == module+"/commerce/checkout" || strings.HasPrefix(from, imp) {
			return true, ""
		}
		return false, "only commerce/checkout may import another domain; use a bus subscriber wired in app"
	}
	if strings.HasPrefix(imp, module+"/") {
		return false, "a domain must not import an adapter package"
	}
	return false, "a domain must not import a third-party package (engines stay in adapters)"
}

func TestDomainsImportOnlyStdlibAndCommerce(t *testing.T) {
	pkgs := listPackages(t, module+"/commerce/...")
	if len(pkgs) == 0 {
		t.Fatal("no commerce packages found")
	}
	for _, p := range pkgs {
		for _, imp := range p.imports {
			if ok, why := allowedInDomain(p.path, imp); !ok {
				t.Errorf("%s imports %s: %s", p.path, imp, why)
			}
		}
	}
}

func TestRules(t *testing.T) {
	scenarios := []struct {
		from, imp string
		ok        bool
	}{
		{module + "/commerce/catalog", "context", true},
		{module + "/commerce/catalog", module + "/commerce", true},
		{module + "/commerce/catalog", "github.com/cockroachdb/pebble/v2", false},
		{module + "/commerce/catalog", "github.com/blevesearch/bleve/v2", false},
		{module + "/commerce/catalog", "github.com/nats-io/nats.go", false},
		{module + "/commerce/catalog", "github.com/labstack/echo/v4", false},
		{module + "/commerce/catalog", "go.etcd.io/bbolt", false},
		{module + "/commerce/catalog", module + "/store", false},
		{module + "/commerce/catalog", module + "/http", false},
		{module + "/commerce/cart", module + "/commerce/catalog", false},
		{module + "/commerce/checkout", module + "/commerce/catalog", true},
		{module + "/commerce", module + "/commerce/catalog", false},
	}
	for _, s := range scenarios {
		if ok, _ := allowedInDomain(s.from, s.imp); ok != s.ok {
			t.Errorf("%s -> %s: allowed=%v, want %v", s.from, s.imp, ok, s.ok)
		}
	}
}
