package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelp walks the command tree from the root's help, through every "Available Commands"
// list: each command's --help exits 0 with its usage on stdout. The walk has to reach every
// documented command.
func TestHelp(t *testing.T) {
	t.Parallel()
	documented := []string{
		"serve", "version", "config check", "config defaults", "admin user create", "admin user list",
		"snapshot create", "snapshot list", "snapshot prune", "backup", "restore", "verify",
		"index rebuild", "media put",
	}
	var visited []string
	var walk func(t *testing.T, path []string)
	walk = func(t *testing.T, path []string) {
		name := strings.Join(path, " ")
		visited = append(visited, name)
		r := ultramarket(t, append(slices.Clone(path), "--help")...)
		if r.code != 0 {
			t.Errorf("%q --help: want exit 0\n%s", name, r)
			return
		}
		if !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, strings.TrimSpace("ultramarket "+name)) {
			t.Errorf("%q --help: no usage naming the command on stdout\n%s", name, r)
		}
		for _, sub := range subcommands(r.stdout) {
			walk(t, append(slices.Clone(path), sub))
		}
	}
	walk(t, nil)
	for _, d := range documented {
		if !slices.Contains(visited, d) {
			t.Errorf("the help walk never reached %q (reached %q)", d, visited)
		}
	}
}

var commandLine = regexp.MustCompile(`^\s{2}(\S+)\s{2,}\S`)

// subcommands reads the "Available Commands:" section of a help text, without cobra's own
// help and completion commands.
func subcommands(help string) []string {
	_, section, ok := strings.Cut(help, "Available Commands:\n")
	if !ok {
		return nil
	}
	var out []string
	for line := range strings.Lines(section) {
		m := commandLine.FindStringSubmatch(line)
		if m == nil {
			break
		}
		if m[1] != "help" && m[1] != "completion" {
			out = append(out, m[1])
		}
	}
	return out
}

// TestVersion: version prints the version and commit stamped at build time and the Go
// version.
func TestVersion(t *testing.T) {
	t.Parallel()
	r := mustRun(t, "version")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(regexp.QuoteMeta(builtVersion)),
		regexp.MustCompile(regexp.QuoteMeta(builtCommit)),
		regexp.MustCompile(`\bgo1\.\d+`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("version output does not match %s\n%s", want, r)
		}
	}
}
