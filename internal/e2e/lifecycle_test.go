package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
)

// TestServeStopsOnSignal: a ready server stopped with SIGTERM or SIGINT exits 0, removes its
// admin socket and releases the data dir, so an offline admin command can open it at once.
func TestServeStopsOnSignal(t *testing.T) {
	scenarios := []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGTERM", syscall.SIGTERM},
		{"SIGINT", syscall.SIGINT},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := newDataDir(t)
			s := serve(t, dir)
			if code, err := s.get("/healthz"); err != nil || code != http.StatusOK {
				t.Fatalf("/healthz: %d %v, want 200", code, err)
			}
			s.signal(sc.sig)
			if code := s.wait(); code != 0 {
				t.Fatalf("exit code %d after %v, want 0", code, sc.name)
			}
			if !strings.Contains(s.stderr.String(), "stopped") {
				t.Errorf("no \"stopped\" in the log after %v", sc.name)
			}
			if _, err := os.Lstat(app.AdminSocketPath(dir)); !os.IsNotExist(err) {
				t.Errorf("admin socket still there after a clean stop: %v", err)
			}
			mustRun(t, "admin", "user", "list", "--data", dir)
		})
	}
}

// TestServeDrainsInFlightRequest: a response being written when SIGTERM arrives is finished
// before the process exits 0, while new connections are already refused. The response is a
// 9 MB image read through a small receive buffer, so its handler is still writing when the
// signal comes.
func TestServeDrainsInFlightRequest(t *testing.T) {
	dir := emptyDataDir(t)
	img := noisePNG(t, 3000, 3000)
	put := mustRun(t, "media", "put", "--data", dir, img)
	id, _, _ := strings.Cut(put.stdout, " ")
	s := serve(t, dir)

	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET /api/v1/media/%s HTTP/1.1\r\nHost: x\r\n\r\n", id); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the response head: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength < 8<<20 {
		t.Fatalf("GET the image: status %d, length %d; want 200 and about 9 MB", resp.StatusCode, resp.ContentLength)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, resp.Body, 64<<10); err != nil {
		t.Fatalf("read the first bytes: %v", err)
	}

	s.signal(syscall.SIGTERM)
	eventually(t, 10*time.Second, "/readyz stops answering 200 after SIGTERM", func() (bool, string) {
		code, err := s.get("/readyz")
		if err != nil {
			return true, err.Error()
		}
		return code != http.StatusOK, fmt.Sprintf("status %d", code)
	})
	if s.exited() {
		t.Fatalf("exited with a response half written: %v", s.state)
	}

	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatalf("the in-flight response was cut after %d more bytes: %v", n, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != id || n+64<<10 != resp.ContentLength {
		t.Fatalf("in-flight response: %d bytes with sha256 %s, want %d bytes with sha256 %s", n+64<<10, got, resp.ContentLength, id)
	}
	if code := s.wait(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	// The access log line is written when a request ends: after the shutdown began.
	log := s.stderr.String()
	stopping, served := strings.Index(log, `msg="shutting down"`), strings.Index(log, "route=/api/v1/media/:id")
	if stopping < 0 || served < stopping {
		t.Errorf("the image request did not end after the shutdown began (log offsets %d and %d)", stopping, served)
	}
}

// TestSecondServeOnSameDataDir: a second serve on a data dir a server holds exits 1 within
// 2 s, naming the data dir, and leaves the first server serving, admin socket included.
func TestSecondServeOnSameDataDir(t *testing.T) {
	dir := newDataDir(t)
	s := serve(t, dir)

	r := ultramarketWithin(t, 20*time.Second, "serve", "--data", dir, "--listen", "127.0.0.1:0")
	if r.code != 1 {
		t.Fatalf("second serve: want exit 1\n%s", r)
	}
	if r.took > 2*time.Second {
		t.Errorf("second serve took %v to exit, want at most 2s\n%s", r.took, r)
	}
	if !strings.Contains(r.stderr, dir) {
		t.Errorf("second serve's stderr does not name the data dir %s\n%s", dir, r)
	}

	if code, err := s.get("/readyz"); err != nil || code != http.StatusOK {
		t.Fatalf("first server after the second one failed: /readyz %d %v", code, err)
	}
	s.userEmails() // the admin socket still answers
	s.stop()
}

// noisePNG writes a w×h grey PNG of random pixels, which does not compress, and returns its
// path.
func noisePNG(t testing.TB, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "noise.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}
