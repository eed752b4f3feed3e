package media

import (
	"bytes"
	"context"
	"image/color"
	"image/jpeg"
	"testing"
)

// BenchmarkPut stores 1024×768 photos; "new" makes each one distinct (decode, re-encode,
// write, fsync), "duplicate" uploads the same one again (decode, re-encode, lookup).
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	img := picture(1024, 768, 1, false)
	encode := func(i int) []byte {
		img.SetNRGBA(i%1024, (i/1024)%768, color.NRGBA{R: uint8(i), G: uint8(i >> 8), B: uint8(i >> 16), A: 255})
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	b.Run("new", func(b *testing.B) {
		s := openTest(b, Config{})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			body := encode(i)
			b.SetBytes(int64(len(body)))
			b.StartTimer()
			if _, err := s.Put(ctx, bytes.NewReader(body), "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		s := openTest(b, Config{})
		body := encode(0)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Put(ctx, bytes.NewReader(body), "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVariant measures making a 480 px variant of a 1600×1200 photo, and serving it
// from the cache.
func BenchmarkVariant(b *testing.B) {
	ctx := context.Background()
	b.Run("make", func(b *testing.B) {
		s := openTest(b, Config{})
		img := picture(1600, 1200, 1, false)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			img.SetNRGBA(i%1600, 0, color.NRGBA{R: uint8(i), G: uint8(i >> 8), A: 255})
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, nil); err != nil {
				b.Fatal(err)
			}
			m, err := s.Put(ctx, &buf, "bench")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			_, rc, err := s.Variant(ctx, m.ID, "small")
			if err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	})
	b.Run("cached", func(b *testing.B) {
		s := openTest(b, Config{})
		m, err := s.Put(ctx, bytes.NewReader(jpegBytes(b, 1600, 1200, 1)), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, rc, err := s.Variant(ctx, m.ID, "small"); err != nil {
			b.Fatal(err)
		} else {
			rc.Close()
		}
		b.ReportAllocs()
		for b.Loop() {
			_, rc, err := s.Variant(ctx, m.ID, "small")
			if err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	})
}
