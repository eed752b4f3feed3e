package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// The version and commit stamped into the binary under test, so `version` can be checked.
const (
	builtVersion = "v0.0.0-e2e"
	builtCommit  = "e2e1234"
)

const (
	cliTimeout   = 60 * time.Second // one CLI command, start to exit
	readyTimeout = 60 * time.Second // serve start to /readyz 200
	exitTimeout  = 30 * time.Second // a signal to the process's exit
	pollEvery    = 20 * time.Millisecond
)

// strongPassword passes the password policy for every e-mail the tests use.
const strongPassword = "Quiet-Harbor-Lantern-42"

// binPath is the ultramarket binary TestMain built.
var binPath string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ultramarket-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binPath, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build ultramarket:", err)
		return 1
	}
	return m.Run()
}

// build compiles ./cmd/ultramarket of the module this package belongs to into dir.
func build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	bin := filepath.Join(dir, "ultramarket")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+builtVersion+" -X main.commit="+builtCommit,
		"-o", bin, "./cmd/ultramarket")
	cmd.Dir = filepath.Dir(gomod)
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, output)
	}
	return bin, nil
}

// environ is the environment of every process under test: the caller's, without its
// ULTRAMARKET_ variables, with the demo shop off and text logs at info level (the address a
// server bound is read from its log), then extra.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ULTRAMARKET_") {
			env = append(env, kv)
		}
	}
	env = append(env, "ULTRAMARKET_DEMO_ENABLED=false", "ULTRAMARKET_LOG_FORMAT=text", "ULTRAMARKET_LOG_LEVEL=info")
	return append(env, extra...)
}

// result is the outcome of one CLI command run to its end.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
	took   time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("ultramarket %s: exit %d after %v\n--- stdout ---\n%s--- stderr ---\n%s",
		strings.Join(r.args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// output is stdout and stderr together.
func (r result) output() string { return r.stdout + r.stderr }

// ultramarket runs the binary with args to its end (at most cliTimeout) and returns what it did.
func ultramarket(t testing.TB, args ...string) result {
	t.Helper()
	return ultramarketWithin(t, cliTimeout, args...)
}

func ultramarketWithin(t testing.TB, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = environ()
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("still running after %v; killed\n%s", timeout, r)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run ultramarket %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs a command that has to succeed and returns its result.
func mustRun(t testing.TB, args ...string) result {
	t.Helper()
	r := ultramarket(t, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	return r
}

// eventually calls cond every pollEvery until it returns true and fails the test when that
// has not happened within timeout. cond describes the state it saw, for the failure message.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (last: %s)", what, timeout, state)
		}
		time.Sleep(pollEvery)
	}
}

// syncBuffer collects a process's output, written from other goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// server is one `ultramarket serve` process.
type server struct {
	t      testing.TB
	dir    string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	state  *os.ProcessState
	url    string // http://127.0.0.1:port, once ready
	client *http.Client
}

var readyLine = regexp.MustCompile(`msg="ultramarket ready" listen=(\S+)`)

// serve starts `ultramarket serve --data dir --listen 127.0.0.1:0 args...` and waits until
// /readyz answers 200. The port is the free one the kernel picked, read from the server's
// "ultramarket ready" log line. The process is killed when the test ends if it still runs,
// and its output is logged when the test failed.
func serve(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	s := spawn(t, dir, args...)
	s.waitReady()
	return s
}

// spawn starts serve on dir without waiting for it.
func spawn(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = environ()
	s := &server{
		t: t, dir: dir, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binPath, err)
	}
	go func() {
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		close(s.done)
	}()
	t.Cleanup(func() {
		if !s.exited() {
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("%s", s.output())
		}
	})
	return s
}

func (s *server) output() string {
	return fmt.Sprintf("--- serve --data %s: stdout ---\n%s--- stderr ---\n%s", s.dir, s.stdout, s.stderr)
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitReady waits for the ready log line, then for /readyz to answer 200.
func (s *server) waitReady() {
	s.t.Helper()
	eventually(s.t, readyTimeout, "serve ready", func() (bool, string) {
		if s.exited() {
			s.t.Fatalf("serve exited before it was ready: %v", s.state)
		}
		if s.url == "" {
			m := readyLine.FindStringSubmatch(s.stderr.String())
			if m == nil {
				return false, "no ready line logged yet"
			}
			s.url = "http://" + m[1]
		}
		code, err := s.get("/readyz")
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("/readyz %d", code)
	})
}

// get requests path on a new connection and returns the status code.
func (s *server) get(path string) (int, error) {
	resp, err := s.client.Get(s.url + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// body requests path and returns the body of a 200 answer.
func (s *server) body(path string) (string, error) {
	resp, err := s.client.Get(s.url + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	return string(b), nil
}

// signal sends sig to the process.
func (s *server) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("send %v: %v", sig, err)
	}
}

// wait waits at most exitTimeout for the process to exit and returns its exit code (-1 when
// a signal ended it).
func (s *server) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(exitTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("still running %v after it was asked to stop; killed", exitTimeout)
	}
	return s.state.ExitCode()
}

// stop sends SIGTERM and expects exit code 0.
func (s *server) stop() {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	if code := s.wait(); code != 0 {
		s.t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// kill ends the process with SIGKILL and waits for it.
func (s *server) kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
	s.wait()
}

// admin connects to the server's admin socket.
func (s *server) admin() *uhttp.AdminClient {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := uhttp.DialAdmin(ctx, app.AdminSocketPath(s.dir))
	if err != nil {
		s.t.Fatalf("dial the admin socket: %v", err)
	}
	return c
}

// allUsers pages through every user.
func allUsers(ctx context.Context, ops uhttp.AdminOps) ([]auth.User, error) {
	var out []auth.User
	page := commerce.Page{Limit: commerce.MaxPageLimit}
	for {
		l, err := ops.ListUsers(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.NextCursor == "" {
			return out, nil
		}
		page.Cursor = l.NextCursor
	}
}

// userEmails lists every user through the server's admin socket, keyed by e-mail.
func (s *server) userEmails() map[string]auth.User {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	users, err := allUsers(ctx, s.admin())
	if err != nil {
		s.t.Fatalf("list users: %v", err)
	}
	m := make(map[string]auth.User, len(users))
	for _, u := range users {
		m[u.Email] = u
	}
	return m
}

// tree describes everything under path (a file or a directory): for each entry its type,
// permissions, size and SHA-256, so two calls tell whether anything changed.
func tree(t testing.TB, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += fmt.Sprintf(" %d %s", len(b), hex.EncodeToString(sum[:8]))
		}
		out[rel] = desc
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("list %s: %v", path, err)
	}
	return out
}

// diffTrees describes how after differs from before; "" when equal.
func diffTrees(before, after map[string]string) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		switch a, ok := after[k]; {
		case !ok:
			lines = append(lines, "removed "+k)
		case a != before[k]:
			lines = append(lines, fmt.Sprintf("changed %s: %s -> %s", k, before[k], a))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			lines = append(lines, "added "+k)
		}
	}
	return strings.Join(lines, "\n")
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newDataDir returns a path for a data dir that does not exist yet.
func newDataDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data")
}

// emptyDataDir returns an existing, empty data dir (most offline admin commands open only
// directories that exist).
func emptyDataDir(t testing.TB) string {
	t.Helper()
	dir := newDataDir(t)
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return dir
}
