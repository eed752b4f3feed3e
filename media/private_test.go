package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

var docTypes = []string{"application/pdf", "image/png", "image/jpeg"}

func pdfBytes(extra string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + extra + "\n%%EOF\n")
}

func TestPutPrivate(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{MaxUploadBytes: 4096})
	png := pngBytes(t, 8, 8, 1, false)
	scenarios := []struct {
		name     string
		body     []byte
		wantType string // "" means refused
		wantCode string
	}{
		{"a PDF", pdfBytes("a"), "application/pdf", ""},
		{"a PNG, kept byte for byte", png, "image/png", ""},
		{"a JPEG", jpegBytes(t, 8, 8, 2), "image/jpeg", ""},
		{"HTML named like a PDF is refused", []byte("<html><script>alert(1)</script></html>"), "", ErrUnsupported.Code},
		{"plain text", []byte("hello"), "", ErrUnsupported.Code},
		{"a GIF is not a document type", gifBytes(t, 4, 4), "", ErrUnsupported.Code},
		{"empty", nil, "", ErrUnsupported.Code},
		{"over the upload limit", pdfBytes(strings.Repeat("x", 5000)), "", ErrTooLarge.Code},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m, err := s.PutPrivate(ctx, bytes.NewReader(sc.body), docTypes)
			if sc.wantType == "" {
				if codeOf(err) != sc.wantCode {
					t.Fatalf("PutPrivate = %+v, %v; want code %s", m, err, sc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutPrivate: %v", err)
			}
			if m.ContentType != sc.wantType || m.Size != int64(len(sc.body)) || !ValidID(m.ID) {
				t.Errorf("meta %+v, want %s of %d bytes", m, sc.wantType, len(sc.body))
			}
			got, f, err := s.OpenPrivate(ctx, m.ID)
			if err != nil {
				t.Fatalf("OpenPrivate: %v", err)
			}
			if b := readAllClose(t, f); !bytes.Equal(b, sc.body) || got != m {
				t.Errorf("OpenPrivate returned %d bytes and %+v, want the upload and %+v", len(b), got, m)
			}
			// Never visible to the public side of the store.
			if _, err := s.Get(ctx, m.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get of a private blob: %v, want not found", err)
			}
			if _, _, err := s.Open(ctx, m.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open of a private blob: %v, want not found", err)
			}
			if _, _, err := s.Variant(ctx, m.ID, "thumb"); err == nil {
				t.Error("Variant of a private blob succeeded")
			}
			list, _, err := s.List(ctx, "", 100)
			if err != nil || slices.ContainsFunc(list, func(x Meta) bool { return x.ID == m.ID }) {
				t.Errorf("List shows the private blob (%v)", err)
			}
		})
	}

	// The same bytes twice are one blob; the first Meta is kept.
	a, err := s.PutPrivate(ctx, bytes.NewReader(pdfBytes("same")), docTypes)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.PutPrivate(ctx, bytes.NewReader(pdfBytes("same")), nil)
	if err != nil || a != b {
		t.Errorf("second put = %+v, %v; want %+v", b, err, a)
	}
	if err := s.DeletePrivate(ctx, a.ID); err != nil {
		t.Fatalf("DeletePrivate: %v", err)
	}
	if _, _, err := s.OpenPrivate(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenPrivate after delete: %v", err)
	}
	if err := s.DeletePrivate(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeletePrivate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(privatePath(a.ID)))); !os.IsNotExist(err) {
		t.Errorf("the deleted blob's file is still there: %v", err)
	}
	for _, id := range []string{"", "../meta.db", strings.Repeat("A", 64)} {
		if _, _, err := s.OpenPrivate(ctx, id); commerce.KindOf(err) != commerce.EInvalid {
			t.Errorf("OpenPrivate(%q) = %v, want invalid", id, err)
		}
	}
	// A public image is not readable as private either.
	pub, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 6, 6, 3, false)), "u")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenPrivate(ctx, pub.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenPrivate of a public image: %v", err)
	}
}

func TestPrivateBlobsInSnapshots(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Config{})
	pub, err := s.Put(ctx, bytes.NewReader(pngBytes(t, 10, 10, 1, false)), "u")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := s.PutPrivate(ctx, bytes.NewReader(pdfBytes("kyc")), docTypes)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	if err := s.SnapshotTo(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if err := Verify(snap); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := []string{blobPath(pub.ID), metaFile, privatePath(priv.ID)}
	slices.Sort(want)
	if got := files(t, snap); !slices.Equal(got, want) {
		t.Errorf("snapshot files = %v, want %v", got, want)
	}
	restored := openTest(t, Config{Dir: snap})
	_, f, err := restored.OpenPrivate(ctx, priv.ID)
	if err != nil {
		t.Fatalf("restored OpenPrivate: %v", err)
	}
	if b := readAllClose(t, f); !bytes.Equal(b, pdfBytes("kyc")) {
		t.Error("restored private blob differs")
	}
	if err := restored.Close(); err != nil {
		t.Fatal(err)
	}

	// Verify notices a damaged or missing private blob.
	p := filepath.Join(snap, filepath.FromSlash(privatePath(priv.ID)))
	if err := os.WriteFile(p, []byte("%PDF-forged"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Verify(snap); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), privatePath(priv.ID)) {
		t.Errorf("Verify of a forged private blob: %v", err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := Verify(snap); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Verify of a missing private blob: %v", err)
	}
}
