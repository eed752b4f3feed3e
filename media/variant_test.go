package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

// readVariant fetches a variant and checks its bytes against its Meta.
func readVariant(t *testing.T, s *Store, id, name string) (Meta, image.Config) {
	t.Helper()
	m, rc, err := s.Variant(context.Background(), id, name)
	if err != nil {
		t.Fatalf("Variant(%s): %v", name, err)
	}
	data := readAllClose(t, rc)
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != m.Digest || int64(len(data)) != m.Size {
		t.Errorf("variant %s bytes do not match digest/size of %+v", name, m)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != m.Width || cfg.Height != m.Height || "image/"+format != m.ContentType {
		t.Errorf("variant %s decodes as %s %dx%d (%v), meta %+v", name, format, cfg.Width, cfg.Height, err, m)
	}
	return m, cfg
}

func TestVariant(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{Variants: map[string]int{"thumb": 160, "small": 480, "tiny": 4}})
	photo, err := s.Put(ctx, bytes.NewReader(jpegBytes(t, 800, 600, 1)), "u")
	if err != nil {
		t.Fatal(err)
	}
	tall, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 100, 300, 2, true)), "u")
	if err != nil {
		t.Fatal(err)
	}
	strip, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 1000, 2, 3, false)), "u")
	if err != nil {
		t.Fatal(err)
	}

	scenarios := []struct {
		name         string
		orig         Meta
		variant      string
		wantW, wantH int
		wantType     string
		wantOriginal bool // the original fits the box and is served as is
	}{
		{"jpeg thumb", photo, "thumb", 160, 120, TypeJPEG, false},
		{"jpeg small", photo, "small", 480, 360, TypeJPEG, false},
		{"png with alpha stays png", tall, "thumb", 53, 160, TypePNG, false},
		{"original fits the box", tall, "small", 100, 300, TypePNG, true},
		{"extreme aspect keeps one pixel", strip, "tiny", 4, 1, TypePNG, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			made := s.variantsMade.Load()
			m, cfg := readVariant(t, s, sc.orig.ID, sc.variant)
			if cfg.Width != sc.wantW || cfg.Height != sc.wantH || m.ContentType != sc.wantType {
				t.Errorf("variant is %s %dx%d, want %s %dx%d", m.ContentType, cfg.Width, cfg.Height, sc.wantType, sc.wantW, sc.wantH)
			}
			box := s.cfg.Variants[sc.variant]
			if cfg.Width > box || cfg.Height > box {
				t.Errorf("variant %dx%d does not fit the %d box", cfg.Width, cfg.Height, box)
			}
			if m.ID != sc.orig.ID || m.Variant != sc.variant || m.Owner != sc.orig.Owner || !m.Created.Equal(sc.orig.Created) {
				t.Errorf("meta = %+v", m)
			}
			if (m.Digest == m.ID) != sc.wantOriginal {
				t.Errorf("digest %s vs ID %s: served original = %v, want %v", m.Digest, m.ID, m.Digest == m.ID, sc.wantOriginal)
			}
			if got := s.variantsMade.Load() - made; got != 1 {
				t.Errorf("first request made %d variants, want 1", got)
			}
			again, _ := readVariant(t, s, sc.orig.ID, sc.variant)
			if again != m {
				t.Errorf("second request = %+v, want %+v", again, m)
			}
			if got := s.variantsMade.Load() - made; got != 1 {
				t.Errorf("second request was not served from the cache (%d made)", got)
			}
		})
	}

	// Only resized variants take disk space.
	if got := len(files(t, filepath.Join(s.dir, dirVariants))); got != 4 {
		t.Errorf("variant files = %d, want 4", got)
	}
	if _, _, err := s.Variant(ctx, photo.ID, "huge"); !errors.Is(err, ErrVariantNotFound) || commerce.KindOf(err) != commerce.ENotFound {
		t.Errorf("unknown variant: %v", err)
	}
	if names := s.VariantNames(); !slices.Equal(names, []string{"tiny", "thumb", "small"}) {
		t.Errorf("VariantNames = %v", names)
	}
}

func TestVariantConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	m, err := s.Put(ctx, bytes.NewReader(jpegBytes(t, 1200, 900, 4)), "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	digests := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			vm, rc, err := s.Variant(ctx, m.ID, "medium")
			if err != nil {
				t.Error(err)
				return
			}
			rc.Close()
			digests[i] = vm.Digest
		})
	}
	wg.Wait()
	if got := s.variantsMade.Load(); got != 1 {
		t.Errorf("%d concurrent requests made the variant %d times, want 1", n, got)
	}
	for _, d := range digests {
		if d != digests[0] {
			t.Fatalf("digests differ: %v", digests)
		}
	}
	if got := files(t, filepath.Join(s.dir, dirVariants)); len(got) != 1 {
		t.Errorf("variant files = %v", got)
	}
}

func TestVariantRemadeAfterReconfiguration(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "media")
	s, err := Open(ctx, Config{Dir: dir, Variants: map[string]int{"thumb": 100}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Put(ctx, bytes.NewReader(jpegBytes(t, 400, 200, 5)), "")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := readVariant(t, s, m.ID, "thumb")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, Config{Dir: dir, Variants: map[string]int{"thumb": 50}})
	second, cfg := readVariant(t, s, m.ID, "thumb")
	if cfg.Width != 50 || cfg.Height != 25 || second.Digest == first.Digest {
		t.Errorf("after reconfiguration: %dx%d digest %s (was %s)", cfg.Width, cfg.Height, second.Digest, first.Digest)
	}
	if ETag(first, "thumb") == ETag(second, "thumb") {
		t.Error("ETag did not change with the variant's bytes")
	}
	if got := files(t, filepath.Join(dir, dirVariants)); len(got) != 1 {
		t.Errorf("variant files = %v, want the stale one removed", got)
	}
}

func TestVariantFileLost(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	m, err := s.Put(ctx, bytes.NewReader(jpegBytes(t, 600, 400, 6)), "")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := readVariant(t, s, m.ID, "thumb")
	for _, f := range files(t, filepath.Join(s.dir, dirVariants)) {
		if err := s.root.Remove(dirVariants + "/" + f); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := readVariant(t, s, m.ID, "thumb")
	if after != before || s.variantsMade.Load() != 2 {
		t.Errorf("remade variant %+v (made %d), want %+v", after, s.variantsMade.Load(), before)
	}
}

func TestFitBox(t *testing.T) {
	scenarios := []struct{ w, h, box, wantW, wantH int }{
		{800, 600, 160, 160, 120},
		{600, 800, 160, 120, 160},
		{100, 100, 160, 100, 100},
		{161, 161, 160, 160, 160},
		{10000, 1, 160, 160, 1},
		{1, 10000, 160, 1, 160},
		{333, 1000, 100, 33, 100},
	}
	for _, sc := range scenarios {
		if w, h := fitBox(sc.w, sc.h, sc.box); w != sc.wantW || h != sc.wantH {
			t.Errorf("fitBox(%d, %d, %d) = %d, %d; want %d, %d", sc.w, sc.h, sc.box, w, h, sc.wantW, sc.wantH)
		}
	}
}
