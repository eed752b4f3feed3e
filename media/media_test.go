package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestPut(t *testing.T) {
	s := openTest(t, Config{MaxUploadBytes: 1 << 20})
	ctx := context.Background()

	scenarios := []struct {
		name       string
		body       []byte
		wantCode   string
		wantKind   commerce.Kind
		wantType   string // "" = either stored type
		wantW      int
		wantH      int
		wantInText []string // substrings of the error message
	}{
		{name: "png", body: pngBytes(t, 64, 48, 1, false), wantType: TypePNG, wantW: 64, wantH: 48},
		{name: "png with alpha", body: pngBytes(t, 30, 20, 2, true), wantType: TypePNG, wantW: 30, wantH: 20},
		{name: "jpeg", body: jpegBytes(t, 64, 48, 1), wantType: TypeJPEG, wantW: 64, wantH: 48},
		{name: "gif becomes png", body: gifBytes(t, 20, 10), wantType: TypePNG, wantW: 20, wantH: 10},
		{name: "webp lossy becomes jpeg", body: readTestdata(t, "blue-purple-pink.lossy.webp"), wantType: TypeJPEG, wantW: 0},
		{name: "webp lossless", body: readTestdata(t, "gopher-doc.1bpp.lossless.webp"), wantW: 0},
		{name: "jpeg rotated by exif orientation", body: withEXIF(jpegBytes(t, 64, 48, 3), 6, "x"), wantType: TypeJPEG, wantW: 48, wantH: 64},
		{name: "text", body: []byte("hello, this is not an image\n"), wantCode: "unsupported_media_type", wantKind: commerce.EInvalid},
		{name: "html renamed .jpg", body: []byte("<html><script>alert(1)</script></html>"), wantCode: "unsupported_media_type", wantKind: commerce.EInvalid},
		{name: "empty", body: nil, wantCode: "unsupported_media_type", wantKind: commerce.EInvalid},
		{name: "pdf", body: []byte("%PDF-1.4\n1 0 obj\n"), wantCode: "unsupported_media_type", wantKind: commerce.EInvalid},
		{name: "truncated png", body: pngBytes(t, 64, 48, 1, false)[:60], wantCode: "invalid_image", wantKind: commerce.EInvalid},
		{name: "png signature then garbage", body: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...), wantCode: "invalid_image", wantKind: commerce.EInvalid},
		{name: "header claims 20000x20000", body: pngHeader(20000, 20000), wantCode: "image_too_large", wantKind: commerce.ETooLarge, wantInText: []string{"20000x20000"}},
		{name: "jpeg header claims 30000x30000", body: jpegClaiming(t, 30000, 30000), wantCode: "image_too_large", wantKind: commerce.ETooLarge, wantInText: []string{"30000x30000"}},
		{name: "gif header claims 20000x20000", body: gifClaiming(t, 20000, 20000), wantCode: "image_too_large", wantKind: commerce.ETooLarge, wantInText: []string{"20000x20000"}},
		{name: "header claims 70000x1", body: pngHeader(70000, 1), wantCode: "image_too_large", wantKind: commerce.ETooLarge, wantInText: []string{"70000x1"}},
		{name: "header claims zero width", body: pngHeader(0, 10), wantCode: "invalid_image", wantKind: commerce.EInvalid},
		{name: "over the upload limit", body: append(pngBytes(t, 8, 8, 0, false), make([]byte, 1<<20)...), wantCode: "media_too_large", wantKind: commerce.ETooLarge},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m, err := s.Put(ctx, bytes.NewReader(sc.body), "user-1")
			if sc.wantCode != "" {
				if err == nil {
					t.Fatalf("Put succeeded with %+v, want %s", m, sc.wantCode)
				}
				if codeOf(err) != sc.wantCode || commerce.KindOf(err) != sc.wantKind {
					t.Fatalf("err = %v (code %q kind %q), want code %q kind %q", err, codeOf(err), commerce.KindOf(err), sc.wantCode, sc.wantKind)
				}
				for _, s := range sc.wantInText {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if sc.wantType != "" && m.ContentType != sc.wantType {
				t.Errorf("ContentType = %q, want %q", m.ContentType, sc.wantType)
			}
			if sc.wantW != 0 && (m.Width != sc.wantW || m.Height != sc.wantH) {
				t.Errorf("size = %dx%d, want %dx%d", m.Width, m.Height, sc.wantW, sc.wantH)
			}
			if !ValidID(m.ID) || m.Digest != m.ID || m.Owner != "user-1" || !m.Created.Equal(testTime) {
				t.Errorf("meta = %+v", m)
			}
			got, err := s.Get(ctx, m.ID)
			if err != nil || got != m {
				t.Fatalf("Get = %+v, %v; want %+v", got, err, m)
			}
			_, rc, err := s.Open(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			data := readAllClose(t, rc)
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != m.ID || int64(len(data)) != m.Size {
				t.Errorf("stored bytes: hash/size do not match ID %s size %d", m.ID, m.Size)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.Width != m.Width || cfg.Height != m.Height || "image/"+format != m.ContentType {
				t.Errorf("stored image decodes as %s %dx%d (%v), meta %+v", format, cfg.Width, cfg.Height, err, m)
			}
		})
	}
}

// TestPutRefusesPixelBombsUndecoded checks that an image claiming a huge size is refused
// from its header: decoding 20000x20000 pixels would allocate over a gigabyte.
func TestPutRefusesPixelBombsUndecoded(t *testing.T) {
	s := openTest(t, Config{})
	ctx := context.Background()
	scenarios := []struct {
		name string
		body []byte
	}{
		{"png", pngHeader(20000, 20000)},
		{"jpeg", jpegClaiming(t, 20000, 20000)},
		{"gif", gifClaiming(t, 20000, 20000)},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := s.Put(ctx, bytes.NewReader(sc.body), "")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("Put = %v, want image_too_large", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
				t.Errorf("refusing a %d-byte upload allocated %d bytes", len(sc.body), n)
			}
		})
	}
}

func TestPutContext(t *testing.T) {
	s := openTest(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 8, 8, 0, false)), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v", err)
	}
	if got := files(t, filepath.Join(s.dir, dirBlobs)); len(got) != 0 {
		t.Errorf("blobs = %v", got)
	}
}

// blockingReader hands out body after release is closed, signalling started on first Read.
type blockingReader struct {
	started chan struct{}
	release chan struct{}
	body    *bytes.Reader
	once    sync.Once
}

func (r *blockingReader) Read(p []byte) (int, error) {
	r.once.Do(func() { close(r.started) })
	<-r.release
	return r.body.Read(p)
}

// TestCloseWaitsForPut closes the store while a Put is reading its upload: the Put must
// still complete and be durable, because Close waits for it before closing the metadata.
func TestCloseWaitsForPut(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Config{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := &blockingReader{started: make(chan struct{}), release: make(chan struct{}), body: bytes.NewReader(pngBytes(t, 8, 8, 0, false))}
	type result struct {
		m   Meta
		err error
	}
	put := make(chan result)
	go func() {
		m, err := s.Put(ctx, r, "")
		put <- result{m, err}
	}()
	<-r.started // the Put is in progress
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	close(r.release)
	res := <-put
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if res.err != nil {
		t.Fatalf("Put in progress during Close: %v", res.err)
	}
	s = openTest(t, Config{Dir: dir})
	if _, err := s.Get(ctx, res.m.ID); err != nil {
		t.Errorf("Get after reopening: %v", err)
	}
}

func TestPutDeduplicates(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name string
		body []byte
	}{
		{"png", pngBytes(t, 50, 40, 9, false)},
		{"jpeg", jpegBytes(t, 50, 40, 9)},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := openTest(t, Config{})
			first, err := s.Put(ctx, bytes.NewReader(sc.body), "alice")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					m, err := s.Put(ctx, bytes.NewReader(sc.body), "bob")
					if err != nil || m != first {
						t.Errorf("second Put = %+v, %v; want %+v", m, err, first)
					}
				})
			}
			wg.Wait()
			blobs := files(t, filepath.Join(s.dir, dirBlobs))
			if len(blobs) != 1 || blobs[0] != first.ID[:2]+"/"+first.ID[2:] {
				t.Errorf("blobs = %v, want one named by %s", blobs, first.ID)
			}
			if tmp := files(t, filepath.Join(s.dir, dirTmp)); len(tmp) != 0 {
				t.Errorf("tmp holds %v", tmp)
			}
		})
	}
}

func TestPutDropsEXIFAndTrailingData(t *testing.T) {
	s := openTest(t, Config{})
	ctx := context.Background()
	const secret = "GPS 41.2995N 69.2401E owner=Jane"
	const trailer = "<?php system($_GET['c']); ?>"
	body := append(withEXIF(jpegBytes(t, 40, 30, 5), 1, secret), trailer...)
	if !bytes.Contains(body, []byte("Exif")) {
		t.Fatal("test upload has no EXIF")
	}
	m, err := s.Put(ctx, bytes.NewReader(body), "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(s.dir, "blobs", m.ID[:2], m.ID[2:]))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"Exif", secret, trailer, "php"} {
		if bytes.Contains(stored, []byte(bad)) {
			t.Errorf("stored bytes contain %q", bad)
		}
	}
	if bytes.Contains(stored, []byte{0xff, 0xe1}) {
		t.Error("stored bytes contain an APP1 marker")
	}
	if m.Width != 40 || m.Height != 30 {
		t.Errorf("size %dx%d", m.Width, m.Height)
	}
}

func TestBadIDs(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside.txt")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, Config{Dir: filepath.Join(parent, "media")})
	ctx := context.Background()
	m, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 10, 10, 0, false)), "")
	if err != nil {
		t.Fatal(err)
	}
	before := files(t, parent)

	scenarios := []struct {
		name     string
		id       string
		wantKind commerce.Kind
	}{
		{"parent traversal", "../../etc/passwd", commerce.EInvalid},
		{"traversal inside hex", "ab/../..", commerce.EInvalid},
		{"absolute", "/etc/passwd", commerce.EInvalid},
		{"uppercase hex", strings.ToUpper(m.ID), commerce.EInvalid},
		{"too short", m.ID[:63], commerce.EInvalid},
		{"too long", m.ID + "0", commerce.EInvalid},
		{"with slash", m.ID[:2] + "/" + m.ID[3:], commerce.EInvalid},
		{"escaped traversal", "..%2f..%2f" + m.ID[:54], commerce.EInvalid},
		{"nul byte", m.ID[:63] + "\x00", commerce.EInvalid},
		{"empty", "", commerce.EInvalid},
		{"well formed, absent", strings.Repeat("0", 64), commerce.ENotFound},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if commerce.KindOf(err) != sc.wantKind {
					t.Errorf("%s(%q) = %v, want kind %s", op, sc.id, err, sc.wantKind)
				}
			}
			_, err := s.Get(ctx, sc.id)
			check("Get", err)
			_, rc, err := s.Open(ctx, sc.id)
			check("Open", err)
			if rc != nil {
				rc.Close()
			}
			_, rc, err = s.Variant(ctx, sc.id, "thumb")
			check("Variant", err)
			if rc != nil {
				rc.Close()
			}
			check("Delete", s.Delete(ctx, sc.id))
			if sc.wantKind == commerce.EInvalid && sc.id != "" {
				_, _, err := s.List(ctx, sc.id, 10)
				check("List", err)
			}
		})
	}
	if after := files(t, parent); !slices.Equal(before, after) {
		t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep" {
		t.Errorf("outside file: %q, %v", b, err)
	}
	if _, err := s.Get(ctx, m.ID); err != nil {
		t.Errorf("real media lost: %v", err)
	}
}

func TestListAndDelete(t *testing.T) {
	s := openTest(t, Config{})
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		m, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 8+i, 8, i, false)), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := s.List(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if pages > 5 {
			t.Fatal("List does not end")
		}
		for _, m := range items {
			got = append(got, m.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("listed %v, want %v", got, ids)
	}

	victim := ids[2]
	if _, rc, err := s.Variant(ctx, victim, "thumb"); err != nil {
		t.Fatal(err)
	} else {
		rc.Close()
	}
	if err := s.Delete(ctx, victim); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, victim); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if err := s.Delete(ctx, victim); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	for _, f := range append(files(t, filepath.Join(s.dir, dirBlobs)), files(t, filepath.Join(s.dir, dirVariants))...) {
		if strings.Contains(strings.ReplaceAll(f, "/", ""), victim) {
			t.Errorf("file %s left after Delete", f)
		}
	}
	items, next, err := s.List(ctx, "", 0)
	if err != nil || len(items) != 4 || next != "" {
		t.Errorf("List after Delete: %d items, next %q, %v", len(items), next, err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	s, err := Open(context.Background(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := s.Get(context.Background(), strings.Repeat("a", 64)); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := s.Put(context.Background(), bytes.NewReader(nil), ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
}

func TestSecondOpenFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	ctx := context.Background()
	first, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(ctx, Config{Dir: dir, LockTimeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held directory succeeded")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("err = %v; want ErrLocked naming %s", err, dir)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	third.Close()
}

func TestOpenValidates(t *testing.T) {
	dir := t.TempDir()
	scenarios := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dir", Config{}, "Dir is required"},
		{"quality", Config{Dir: dir, JPEGQuality: 101}, "JPEGQuality"},
		{"negative upload limit", Config{Dir: dir, MaxUploadBytes: -1}, "MaxUploadBytes"},
		{"variant name", Config{Dir: dir, Variants: map[string]int{"../x": 10}}, "variant name"},
		{"variant box", Config{Dir: dir, Variants: map[string]int{"thumb": 0}}, "box 0"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s, err := Open(context.Background(), sc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), sc.want) {
				t.Errorf("err = %v, want it to mention %q", err, sc.want)
			}
		})
	}
}

func TestOpenClearsTmp(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, dirTmp), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, dirTmp, "half.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	openTest(t, Config{Dir: dir})
	if left := files(t, filepath.Join(dir, dirTmp)); len(left) != 0 {
		t.Errorf("tmp holds %v after Open", left)
	}
}

func TestETag(t *testing.T) {
	id := strings.Repeat("ab", 32)
	digest := strings.Repeat("cd", 32)
	scenarios := []struct {
		name    string
		m       Meta
		variant string
		want    string
	}{
		{"original", Meta{ID: id, Digest: id}, "", `"` + id + `"`},
		{"variant", Meta{ID: id, Variant: "thumb", Digest: digest}, "thumb", `"` + id + "-thumb-cdcdcdcdcdcdcdcd" + `"`},
		{"variant name only", Meta{ID: id, Digest: id}, "thumb", `"` + id + "-thumb" + `"`},
		{"hostile name", Meta{ID: id}, "a\"\r\nX: y", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := ETag(sc.m, sc.variant)
			if sc.want != "" && got != sc.want {
				t.Errorf("ETag = %s, want %s", got, sc.want)
			}
			if strings.Count(got, `"`) != 2 || strings.ContainsAny(got, "\r\n ") || !strings.HasPrefix(got, `"`) {
				t.Errorf("ETag %q is not a strong entity tag", got)
			}
		})
	}
}
