package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/store"
)

var quiet = slog.New(slog.DiscardHandler)

// env is a data dir with a real store, a real media store and a Manager over them.
type env struct {
	data  string
	db    *store.DB
	media *media.Store
	mgr   *Manager
	ids   []string   // products saved by seed
	blob  media.Meta // the image put by seed
}

func openEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{data: filepath.Join(t.TempDir(), "data")}
	db, err := store.Open(ctx, store.Config{Dir: filepath.Join(e.data, "kv"), DiskGuardOff: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ms, err := media.Open(ctx, media.Config{Dir: filepath.Join(e.data, "media"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(e.data, "snapshots")
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	mgr, err := New(cfg, StorePart(db), MediaPart(ms))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	e.db, e.media, e.mgr = db, ms, mgr
	return e
}

// seed saves n products (each with its outbox event) and puts one generated PNG.
func (e *env) seed(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	cat := store.NewCatalog(e.db)
	at := time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("p%04d", i)
		if err := cat.SaveProduct(ctx, catalog.Product{ID: id, Title: "Product " + id, Status: "active", CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		e.ids = append(e.ids, id)
	}
	// Noise does not compress: the archive spans several zstd blocks, so a cut lands inside an entry.
	m, err := e.media.Put(ctx, bytes.NewReader(pngBytes(t, 256, 256)), "seed")
	if err != nil {
		t.Fatal(err)
	}
	e.blob = m
}

// checkRestored opens the store and media restored into dataDir and checks they hold
// every product in ids and the blob.
func checkRestored(t *testing.T, dataDir string, ids []string, blob media.Meta) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Dir: filepath.Join(dataDir, "kv"), DiskGuardOff: true, Logger: quiet})
	if err != nil {
		t.Fatalf("open the restored store: %v", err)
	}
	defer db.Close()
	cat := store.NewCatalog(db)
	for _, id := range ids {
		if p, err := cat.Product(ctx, id); err != nil || p.ID != id {
			t.Errorf("restored product %s: %+v, %v", id, p, err)
		}
	}
	if blob.ID == "" {
		return
	}
	ms, err := media.Open(ctx, media.Config{Dir: filepath.Join(dataDir, "media"), Logger: quiet})
	if err != nil {
		t.Fatalf("open the restored media: %v", err)
	}
	defer ms.Close()
	if got, err := ms.Get(ctx, blob.ID); err != nil || got.Size != blob.Size {
		t.Errorf("restored media %s: %+v, %v", blob.ID, got, err)
	}
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			v := rng.Uint32()
			img.Set(x, y, color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// treeState maps every path under dir to its kind and content hash; a missing dir maps to nil.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			out = nil
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(a, b map[string]string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// noStaging fails when a restore left its staging directory next to dataDir.
func noStaging(t *testing.T, dataDir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), filepath.Base(dataDir)+".restore-") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
}

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// tarEntry is one entry of a hand-made archive.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

// writeTar writes entries as a zstd-compressed tar at p.
func writeTar(t testing.TB, p string, entries []tarEntry) {
	t.Helper()
	if err := os.WriteFile(p, tarBytes(t, entries), 0o640); err != nil {
		t.Fatal(err)
	}
}

// tarBytes returns entries as a zstd-compressed tar.
func tarBytes(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == tar.TypeReg || h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
			if h.Size == 0 {
				h.Size = int64(len(e.body))
			}
		}
		if h.Mode == 0 {
			h.Mode = 0o640
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if len(e.body) > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshotEntries returns a snapshot directory as archive entries, manifest first.
func snapshotEntries(t *testing.T, dir string) []tarEntry {
	t.Helper()
	man, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	out := []tarEntry{{hdr: tar.Header{Name: ManifestName}, body: raw}}
	for _, f := range man.Files {
		b, err := os.ReadFile(filePath(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr: tar.Header{Name: f.Path}, body: b})
	}
	return out
}

// fixedClock is a settable clock.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
