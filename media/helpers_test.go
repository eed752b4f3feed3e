package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var testTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openTest opens a store in a fresh temporary directory (Dir left empty in cfg) and closes
// it when the test ends.
func openTest(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "media")
	}
	if cfg.Clock == nil {
		cfg.Clock = fixedClock{testTime}
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// picture returns a w×h image with smooth gradients (so JPEG behaves as with a photo);
// seed shifts the colours so different seeds give different images.
func picture(w, h, seed int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha {
				a = uint8(x * 255 / max(1, w-1))
			}
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x*255/max(1, w) + seed), G: uint8(y*255/max(1, h) + 3*seed), B: uint8((x + y + seed) % 256), A: a})
		}
	}
	return img
}

func pngBytes(t testing.TB, w, h, seed int, alpha bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, picture(w, h, seed, alpha)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, picture(w, h, seed, false), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gifBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, picture(w, h, 0, false), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readTestdata reads a sample image shipped with golang.org/x/image, the WebP decoder's own
// test data, from the module cache (the module is a dependency, so it is always there).
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		t.Fatalf("locate golang.org/x/image: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngHeader returns a PNG signature and a valid IHDR chunk (correct CRC) claiming w×h
// truecolour pixels, with no pixel data at all.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegClaiming returns a real JPEG whose SOF0 header is patched to claim w×h pixels.
func jpegClaiming(t testing.TB, w, h uint16) []byte {
	t.Helper()
	b := jpegBytes(t, 16, 16, 0)
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	// marker(2) length(2) precision(1) height(2) width(2)
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// gifClaiming returns a real GIF whose logical screen claims w×h pixels.
func gifClaiming(t testing.TB, w, h uint16) []byte {
	t.Helper()
	b := gifBytes(t, 4, 4)
	binary.LittleEndian.PutUint16(b[6:], w)
	binary.LittleEndian.PutUint16(b[8:], h)
	return b
}

// withEXIF inserts an APP1 EXIF segment right after the JPEG's SOI marker. It carries the
// given orientation (0 = none) and secret as the image description, as cameras store GPS
// positions and owner names.
func withEXIF(jpg []byte, orientation uint16, secret string) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8)) // IFD0 offset
	binary.Write(&tiff, binary.BigEndian, uint16(2)) // entries
	// Orientation, SHORT, count 1, value left-justified.
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{max(orientation, 1), 0})
	// ImageDescription, ASCII, stored after the IFD.
	dataOff := uint32(8 + 2 + 2*12 + 4)
	binary.Write(&tiff, binary.BigEndian, []uint16{0x010e, 2})
	binary.Write(&tiff, binary.BigEndian, uint32(len(secret)+1))
	binary.Write(&tiff, binary.BigEndian, dataOff)
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	tiff.WriteString(secret + "\x00")

	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2]) // SOI
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(jpg[2:])
	return out.Bytes()
}

func codeOf(err error) string {
	if e := commerce.AsError(err); e != nil {
		return e.Code
	}
	return ""
}

// files lists the regular files under dir, relative to it, with forward slashes.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readAllClose(t testing.TB, r io.ReadCloser) []byte {
	t.Helper()
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
