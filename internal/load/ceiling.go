package load

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
)

// CeilingPath is the one route of the ceiling server.
const CeilingPath = "/ceiling"

// ceilingBody is the fixed answer of the ceiling server: a JSON object of exactly 1 KiB.
var ceilingBody = func() []byte {
	const size = 1024
	b, _ := json.Marshal(map[string]string{"id": "01JCEILING0000000000000000", "pad": ""})
	pad := strings.Repeat("x", size-len(b))
	b, _ = json.Marshal(map[string]string{"id": "01JCEILING0000000000000000", "pad": pad})
	return b
}()

// CeilingHandler returns a bare Echo server that answers GET /ceiling with a fixed 1 KiB JSON
// object and nothing else: no middleware, no storage. What it serves per second on this
// machine is the ceiling the storefront's reads are compared with.
func CeilingHandler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET(CeilingPath, func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, ceilingBody)
	})
	return e
}

// ServeCeiling serves CeilingHandler on addr until ctx ends. Once listening it writes
// "listening http://ADDR" on ready, so a parent process learns the port.
func ServeCeiling(ctx context.Context, addr string, ready io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: CeilingHandler(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(ready, "listening http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Ceiling is a ceiling server running in a child process.
type Ceiling struct {
	URL string // http://127.0.0.1:port/ceiling
	cmd *exec.Cmd
}

// StartCeiling runs `exe args...` (a program that calls ServeCeiling and prints its
// "listening" line on stdout) and waits up to 10 s for that line.
func StartCeiling(exe string, args ...string) (*Ceiling, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the ceiling server: %w", err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	c := &Ceiling{cmd: cmd}
	select {
	case l, ok := <-line:
		base, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			c.Stop()
			return nil, fmt.Errorf("ceiling server: unexpected first line %q", l)
		}
		c.URL = base + CeilingPath
		return c, nil
	case <-time.After(10 * time.Second):
		c.Stop()
		return nil, errors.New("ceiling server: not listening within 10s")
	}
}

// Stop ends the ceiling process (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (c *Ceiling) Stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
