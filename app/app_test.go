package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	stdhttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/config"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/internal/poll"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(t.TempDir(), "data")
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Store.MinFreeSpace = 0
	cfg.Server.ShutdownGrace = config.Dur(5 * time.Second)
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openApp(t *testing.T, cfg config.Config, opts Options) *App {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	a, err := Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	return a
}

func TestServeDemoIndexesAndCloses(t *testing.T) {
	cfg := testConfig(t)
	cfg.Demo.Enabled = true
	var out bytes.Buffer
	a := openApp(t, cfg, Options{Stdout: &out})
	if !strings.Contains(out.String(), "admin@demo.ultramarket.local") {
		t.Errorf("demo credentials not printed: %q", out.String())
	}
	base := "http://" + a.Addr().String()
	resp, err := stdhttp.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	n, err := a.Catalog.CountProducts(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("demo products: %d %v", n, err)
	}
	// Products reach the search index through outbox -> bus -> consumer.
	poll.Until(t, "index to hold every demo product", func() bool {
		c, _ := a.Index.DocCount()
		return c == uint64(n)
	})
	// The document count moves with Bleve's batch, the columns searches read right after it:
	// poll the search itself.
	poll.Until(t, "a search to find the demo teapots", func() bool {
		res, err := a.Index.Search(context.Background(), index.Query{Text: "teapot"})
		return err == nil && res.Total > 0
	})
	poll.Until(t, "outbox to drain", func() bool { n, _ := a.DB.OutboxBacklog(context.Background()); return n == 0 })
	resp, err = stdhttp.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"ultramarket_outbox_backlog 0", "ultramarket_outbox_rejected_total 0", "ultramarket_index_documents",
		"ultramarket_store_commit_duration_seconds_count", "ultramarket_store_commit_group_size_bucket", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	// A second instance on the same data dir is refused, naming the dir.
	_, err = Open(context.Background(), cfg, Options{Logger: quiet(), Stdout: io.Discard})
	if !errors.Is(err, ErrDirInUse) || !strings.Contains(err.Error(), cfg.Data.Dir) {
		t.Fatalf("second open: %v", err)
	}

	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := stdhttp.Get(base + "/healthz"); err == nil {
		t.Error("still serving after Close")
	}
	// Restart: demo is not seeded twice and the index is not rebuilt from scratch.
	out.Reset()
	b := openApp(t, cfg, Options{Stdout: &out})
	if out.Len() != 0 {
		t.Errorf("demo seeded twice: %q", out.String())
	}
	if m, _ := b.Catalog.CountProducts(context.Background()); m != n {
		t.Errorf("products after restart %d, want %d", m, n)
	}
	// The index follows every event, so its mark is the store's seq (demo categories,
	// products and admin).
	cats, _ := b.Catalog.Categories(context.Background())
	if want := uint64(len(cats) + n + 1); b.Index.HighWater() != b.DB.LastSeq() || b.DB.LastSeq() != want {
		t.Errorf("index mark %d, store seq %d, want %d", b.Index.HighWater(), b.DB.LastSeq(), want)
	}
}

func TestFailedStartReleasesEverything(t *testing.T) {
	cfg := testConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg.Server.Listen = ln.Addr().String() // taken: HTTP, the last step, fails
	if _, err := Open(context.Background(), cfg, Options{Logger: quiet(), Stdout: io.Discard}); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Open on a taken port: %v", err)
	}
	if _, err := os.Stat(AdminSocketPath(cfg.Data.Dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin socket left behind: %v", err)
	}
	// Everything was closed: the data dir opens again.
	cfg.Server.Listen = "127.0.0.1:0"
	openApp(t, cfg, Options{})
}

func TestDataDirProblems(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name, dir, want string
	}{
		{"a file", file, "is not a directory"},
		{"below a file", filepath.Join(file, "data"), "data dir"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Data.Dir = s.dir
			_, err := Open(context.Background(), cfg, Options{Logger: quiet()})
			if err == nil || !strings.Contains(err.Error(), s.want) || !strings.Contains(err.Error(), s.dir) {
				t.Fatalf("err %v, want one naming %s and saying %q", err, s.dir, s.want)
			}
		})
	}
}

func TestAdminOpsOfflineAndThroughSocket(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	off := openApp(t, cfg, Options{Offline: true})
	if off.Addr() != nil || off.Bus != nil || off.Index != nil {
		t.Fatal("offline app must not serve, run the bus or the index")
	}
	if _, err := off.CreateUser(ctx, auth.CreateUserInput{Email: "owner@shop.example", Password: "a long passphrase 42", Role: auth.RoleSuperAdmin}); err != nil {
		t.Fatal(err)
	}
	_, err := off.CreateUser(ctx, auth.CreateUserInput{Email: "bad", Password: "short"})
	if commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("invalid user: %v", err)
	}
	if err := off.Close(ctx); err != nil {
		t.Fatal(err)
	}

	on := openApp(t, cfg, Options{})
	sock := AdminSocketPath(cfg.Data.Dir)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket %s: %v %v", sock, fi, err)
	}
	client, err := uhttp.DialAdmin(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateUser(ctx, auth.CreateUserInput{Email: "clerk@shop.example", Password: "another long passphrase", Role: auth.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateUser(ctx, auth.CreateUserInput{Email: "clerk@SHOP.example", Password: "another long passphrase"})
	if commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("duplicate through socket: %v", err)
	}
	_, err = client.CreateUser(ctx, auth.CreateUserInput{Email: "x@shop.example", Password: "password"})
	if e := commerce.AsError(err); e == nil || e.Kind != commerce.EInvalid || len(e.Fields) == 0 {
		t.Fatalf("weak password through socket: %v", err)
	}
	users, err := client.ListUsers(ctx, commerce.Page{})
	if err != nil || len(users.Items) != 2 {
		t.Fatalf("users: %+v %v", users, err)
	}
	for _, u := range users.Items {
		if u.PasswordHash != "" {
			t.Error("password hash crossed the socket")
		}
	}

	info, err := client.CreateSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := client.ListSnapshots(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("snapshots: %v %v", list, err)
	}
	removed, err := client.PruneSnapshots(ctx, 1)
	if err != nil || len(removed) != 1 || removed[0].Name != info.Name {
		t.Fatalf("prune: %v %v", removed, err)
	}
	var backup bytes.Buffer
	if err := client.Backup(ctx, &backup); err != nil || backup.Len() == 0 {
		t.Fatalf("backup: %d bytes, %v", backup.Len(), err)
	}
	var steps int
	if err := client.RebuildIndex(ctx, func(done, total int) { steps++ }); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if _, err := client.PutMedia(ctx, strings.NewReader("not an image"), "t"); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("media put of text: %v", err)
	}
	// Profiles are served on the admin socket only.
	hc := &stdhttp.Client{Transport: &stdhttp.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := hc.Get("http://admin/debug/pprof/heap")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("heap profile over the socket: %v %v", resp, err)
	}
	prof, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(prof) == 0 {
		t.Error("empty heap profile")
	}
	if resp, err := stdhttp.Get("http://" + on.Addr().String() + "/debug/pprof/heap"); err != nil || resp.StatusCode != 404 {
		t.Errorf("profiles must not be public: %v %v", resp, err)
	}
	if err := on.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := uhttp.DialAdmin(ctx, sock); !errors.Is(err, uhttp.ErrNoServer) {
		t.Errorf("socket still answers after Close: %v", err)
	}
}

func TestIndexNeedsRebuild(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	a := openApp(t, cfg, Options{Offline: true})
	// Five events; the first two have been relayed (acknowledged), three wait in the outbox.
	for i := range 5 {
		if _, err := a.CreateUser(ctx, auth.CreateUserInput{Email: "u" + string(rune('a'+i)) + "@shop.example", Password: "a long passphrase 42"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DB.AckOutbox(ctx, 2); err != nil {
		t.Fatal(err)
	}
	seq := a.DB.LastSeq()
	if seq != 5 {
		t.Fatalf("seq %d", seq)
	}
	scenarios := []struct {
		name     string
		hw       uint64
		busFresh bool
		want     bool
	}{
		{"caught up", 5, true, false},
		{"ahead of the store", 6, false, true},
		{"behind, stream kept", 0, false, false},
		{"behind, fresh stream, outbox covers the gap", 2, true, false},
		{"behind, fresh stream, gap already relayed", 1, true, true},
		{"behind, fresh stream, nothing pending", 0, true, true},
	}
	for _, s := range scenarios {
		got, err := indexNeedsRebuild(ctx, a.DB, s.hw, seq, s.busFresh)
		if err != nil || got != s.want {
			t.Errorf("%s: got %v %v, want %v", s.name, got, err, s.want)
		}
	}
}

func TestJWTSecretGeneratedOnceOrFromConfig(t *testing.T) {
	cfg := testConfig(t)
	a := openApp(t, cfg, Options{})
	first := append([]byte(nil), a.JWTSecret...)
	if len(first) != 32 {
		t.Fatalf("generated secret has %d bytes", len(first))
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := openApp(t, cfg, Options{})
	if !bytes.Equal(b.JWTSecret, first) {
		t.Error("the generated secret changed across a restart")
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Offline admin commands neither need nor write it.
	off := openApp(t, cfg, Options{Offline: true})
	if off.JWTSecret != nil {
		t.Error("an offline admin command loaded the signing secret")
	}
	if err := off.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Auth.JWTSecret = strings.Repeat("k", 40)
	c := openApp(t, cfg, Options{Offline: true})
	if string(c.JWTSecret) != cfg.Auth.JWTSecret {
		t.Error("auth.jwt_secret from the configuration is not used")
	}
}

func TestCheckConfigAppliesComponentLimits(t *testing.T) {
	scenarios := []struct {
		name   string
		change func(*config.Config)
		want   string
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"variant name too long", func(c *config.Config) { c.Media.Variants = map[string]int{strings.Repeat("v", 33): 100} }, "media: "},
		{"variant box too large", func(c *config.Config) { c.Media.Variants = map[string]int{"huge": 70000} }, "media: "},
		{"argon2 time too high", func(c *config.Config) { c.Auth.Argon2Time = 101 }, "auth: "},
		{"argon2 memory too high", func(c *config.Config) { c.Auth.Argon2Memory = 2 * config.GiB }, "auth: "},
	}
	for _, s := range scenarios {
		cfg := config.Default()
		s.change(&cfg)
		if cfg.Validate() != nil {
			t.Fatalf("%s: config.Validate already refuses it; the scenario tests nothing", s.name)
		}
		err := CheckConfig(cfg)
		if s.want == "" {
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), s.want) {
			t.Errorf("%s: %v, want an error starting %q", s.name, err, s.want)
		}
	}
}
