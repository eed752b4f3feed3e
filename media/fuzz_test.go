package media

import (
	"bytes"
	"context"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

// FuzzPut feeds arbitrary bytes through sniffing, header checks, decoding and re-encoding.
// Put must never panic; it either stores a valid image or fails with an expected kind.
func FuzzPut(f *testing.F) {
	f.Add(pngBytes(f, 8, 6, 1, false))
	f.Add(pngBytes(f, 5, 5, 2, true))
	f.Add(jpegBytes(f, 8, 6, 1))
	f.Add(withEXIF(jpegBytes(f, 8, 6, 2), 6, "secret"))
	f.Add(gifBytes(f, 4, 4))
	f.Add(readTestdata(f, "gopher-doc.1bpp.lossless.webp"))
	f.Add(readTestdata(f, "blue-purple-pink.lossy.webp"))
	f.Add(pngHeader(20000, 20000))
	f.Add(pngHeader(0, 0))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x02"))
	f.Add([]byte("hello"))

	// Small limits keep each input cheap to decode.
	s := openTest(f, Config{MaxUploadBytes: 1 << 20, MaxPixels: 1 << 20, Variants: map[string]int{"thumb": 16}})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := s.Put(ctx, bytes.NewReader(data), "fuzz")
		if err != nil {
			switch commerce.KindOf(err) {
			case commerce.EInvalid, commerce.ETooLarge:
				return
			default:
				t.Fatalf("Put: unexpected error kind: %v", err)
			}
		}
		if !ValidID(m.ID) || m.Width <= 0 || m.Height <= 0 || int64(m.Width)*int64(m.Height) > s.cfg.MaxPixels {
			t.Fatalf("Put stored %+v", m)
		}
		_, rc, err := s.Variant(ctx, m.ID, "thumb")
		if err != nil {
			t.Fatalf("Variant of a stored image: %v", err)
		}
		rc.Close()
	})
}
