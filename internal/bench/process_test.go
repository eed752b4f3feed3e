package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BinaryEnv names the environment variable holding the path of a built ultramarket binary.
const BinaryEnv = "ULTRAMARKET_BENCH_BINARY"

const (
	readyTimeout = 30 * time.Second     // process start to the first 200 from /readyz
	readyPoll    = 5 * time.Millisecond // how often /readyz is asked while starting
	stopTimeout  = 20 * time.Second     // SIGTERM to process exit
)

// ultramarketBinary returns the absolute path of the binary under test: ULTRAMARKET_BENCH_BINARY
// when set, otherwise one built now into a temporary directory the way `make build` builds it.
func ultramarketBinary(b *testing.B) string {
	b.Helper()
	return binary(b, BinaryEnv, "github.com/ultramarket/ultramarket/cmd/ultramarket")
}

// binary returns the absolute path held by the environment variable env when it is set,
// otherwise the command pkg built now into a temporary directory (skipping the benchmark
// when it cannot be built).
func binary(b *testing.B, env, pkg string) string {
	b.Helper()
	if p := os.Getenv(env); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			b.Fatalf("%s=%s: %v", env, p, err)
		}
		if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
			b.Fatalf("%s=%s is not a binary: %v", env, p, err)
		}
		return abs
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("%s is unset and the go tool is not on PATH to build the binary: %v", env, err)
	}
	out := filepath.Join(b.TempDir(), filepath.Base(pkg))
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	if output, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("%s is unset and building the binary failed (build it and set %s): %v\n%s", env, env, err, output)
	}
	return out
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// syncBuffer collects a process's output; the process writes it from other goroutines.
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

// server is one running `ultramarket serve` process.
type server struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	url    string
	start  time.Time // just before the process was started
	done   chan struct{}
	err    error // the result of Wait; valid once done is closed
	client *http.Client
}

// serveOptions are extra command-line arguments and environment variables of a server.
type serveOptions struct {
	args []string
	env  []string
}

// startServer starts `ultramarket serve` on dir and a free 127.0.0.1 port, with the demo
// shop off unless opts turn it on. The process is killed at the end of the benchmark if it is
// still running then.
func startServer(b *testing.B, bin, dir string, opts serveOptions) *server {
	b.Helper()
	addr := freeAddr(b)
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--listen", addr}, opts.args...)...)
	// The demo shop would turn an empty data dir into a seeded one.
	cmd.Env = append(append(os.Environ(), "ULTRAMARKET_DEMO_ENABLED=false"), opts.env...)
	s := &server{
		cmd:    cmd,
		out:    &syncBuffer{},
		url:    "http://" + addr,
		done:   make(chan struct{}),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	b.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// launch starts a server on dir and waits up to readyTimeout until /readyz answers 200. It
// returns the time from process start to that answer. A start that lost its port to another process between
// freeAddr and the bind is retried with a new port.
func launch(b *testing.B, bin, dir string) (*server, time.Duration) {
	b.Helper()
	return launchWithin(b, bin, dir, readyTimeout)
}

// launchWithin is launch with another bound on the wait for /readyz.
func launchWithin(b *testing.B, bin, dir string, timeout time.Duration) (*server, time.Duration) {
	b.Helper()
	return launchWith(b, bin, dir, timeout, serveOptions{})
}

// launchWith is launchWithin with extra arguments and environment for the server.
func launchWith(b *testing.B, bin, dir string, timeout time.Duration, opts serveOptions) (*server, time.Duration) {
	b.Helper()
	for attempt := 1; ; attempt++ {
		s := startServer(b, bin, dir, opts)
		d, err := s.waitReady(timeout)
		if err == nil {
			return s, d
		}
		if attempt < 3 && s.exited() && strings.Contains(s.out.String(), "address already in use") {
			continue
		}
		s.fatalf(b, "not ready: %v", err)
	}
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz every readyPoll until it answers 200 and returns the time since the
// process was started.
func (s *server) waitReady(timeout time.Duration) (time.Duration, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		resp, err := s.client.Get(s.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(s.start), nil
			}
		}
		select {
		case <-s.done:
			return 0, fmt.Errorf("process exited before it was ready: %v", s.err)
		case <-deadline.C:
			return 0, fmt.Errorf("/readyz did not answer 200 within %v (last error: %v)", timeout, err)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and waits up to stopTimeout for exit code 0; it returns how long the
// process took to exit. A process still running then is killed and the benchmark fails.
func (s *server) stop(b *testing.B) time.Duration {
	b.Helper()
	t0 := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !s.exited() {
		s.fatalf(b, "SIGTERM: %v", err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		s.fatalf(b, "did not exit within %v of SIGTERM; killed", stopTimeout)
	}
	d := time.Since(t0)
	if s.err != nil {
		s.fatalf(b, "exit after SIGTERM: %v (want exit code 0)", s.err)
	}
	return d
}

// fatalf fails the benchmark with the process's output so far.
func (s *server) fatalf(b *testing.B, format string, args ...any) {
	b.Helper()
	b.Fatalf("ultramarket serve (%s): %s\n--- output ---\n%s", s.url, fmt.Sprintf(format, args...), s.out.String())
}

// metrics fetches /metrics and returns the samples whose names are in names (label-free
// series only).
func (s *server) metrics(names ...string) (map[string]float64, error) {
	resp, err := s.client.Get(s.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body, names...)
}

// parseMetrics reads the Prometheus text format and returns the values of the named
// label-free series that appear.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok || !want[name] {
			continue
		}
		value, _, _ = strings.Cut(value, " ") // drop an optional timestamp
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", name, err)
		}
		out[name] = v
	}
	return out, sc.Err()
}

var readyLine = regexp.MustCompile(`ultramarket ready.*\btook=(\S+)`)

// openTook returns the duration the server logged for its own start ("ultramarket ready ...
// took=..."): the time spent inside the app's Open, without process start-up.
func openTook(output string) (time.Duration, bool) {
	m := readyLine.FindStringSubmatch(output)
	if m == nil {
		return 0, false
	}
	d, err := time.ParseDuration(strings.Trim(m[1], `"`))
	return d, err == nil
}

// procMemory reads VmRSS (resident now) and VmHWM (peak resident) of pid from /proc, in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseProcStatus(data)
}

func parseProcStatus(data []byte) (rss, hwm int64, err error) {
	field := func(name string) (int64, error) {
		for line := range strings.Lines(string(data)) {
			rest, ok := strings.CutPrefix(line, name+":")
			if !ok {
				continue
			}
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected %s line %q", name, strings.TrimSpace(line))
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
		return 0, fmt.Errorf("no %s in /proc status", name)
	}
	if rss, err = field("VmRSS"); err != nil {
		return 0, 0, err
	}
	if hwm, err = field("VmHWM"); err != nil {
		return 0, 0, err
	}
	return rss, hwm, nil
}

// stats accumulates durations for a mean and a maximum.
type stats struct {
	n   int
	sum time.Duration
	max time.Duration
}

func (st *stats) add(d time.Duration) {
	st.n++
	st.sum += d
	st.max = max(st.max, d)
}

func (st *stats) meanMS() float64 {
	if st.n == 0 {
		return 0
	}
	return ms(st.sum) / float64(st.n)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

const mib = 1 << 20
