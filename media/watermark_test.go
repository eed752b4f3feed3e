package media

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// solid returns a w×h image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeMark writes a PNG watermark to a temporary file and returns its path.
func writeMark(t testing.TB, img image.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mark.png")
	if err := os.WriteFile(p, encodePNG(t, img), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeAt decodes a served image and returns the colour at each point.
func decodeAt(t testing.TB, data []byte, pts ...image.Point) []color.NRGBA {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]color.NRGBA, len(pts))
	for i, p := range pts {
		out[i] = color.NRGBAModel.Convert(img.At(p.X, p.Y)).(color.NRGBA)
	}
	return out
}

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
)

// blend is c over white at opacity a, as the watermark is drawn.
func overWhite(c color.NRGBA, a float64) color.NRGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v)*a + 255*(1-a) + 0.5) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

func variantBytes(t *testing.T, s *Store, id, name string) (Meta, []byte) {
	t.Helper()
	m, rc, err := s.Variant(context.Background(), id, name)
	if err != nil {
		t.Fatalf("Variant(%s): %v", name, err)
	}
	return m, readAllClose(t, rc)
}

// TestWatermarkPixels draws a red watermark over a white image and reads the served
// variant's pixels: inside the watermark they are red blended by the opacity, outside (and
// in the stored original) white.
func TestWatermarkPixels(t *testing.T) {
	ctx := context.Background()
	mark := writeMark(t, solid(100, 50, red))
	// The variant is 200×150; the watermark 50×25 (scale 0.25) with a margin of 4 (2%): the
	// points inside are the watermark's centres (away from its edges, which JPEG blurs).
	inside := map[string]image.Point{
		WatermarkTopLeft: {29, 16}, WatermarkTopRight: {171, 16}, WatermarkBottomLeft: {29, 133},
		WatermarkBottomRight: {171, 133}, WatermarkCenter: {100, 75},
	}
	far := map[string]image.Point{
		WatermarkTopLeft: {194, 144}, WatermarkTopRight: {6, 144}, WatermarkBottomLeft: {194, 6},
		WatermarkBottomRight: {6, 6}, WatermarkCenter: {6, 6},
	}
	scenarios := []struct {
		name     string
		position string
		opacity  float64
		jpeg     bool
		tol      int
	}{
		{"bottom-right by default, half opacity", "", 0.5, false, 1},
		{"top-left", WatermarkTopLeft, 0.5, false, 1},
		{"top-right", WatermarkTopRight, 0.3, false, 1},
		{"bottom-left", WatermarkBottomLeft, 0.8, false, 1},
		{"center, opaque", WatermarkCenter, 1, false, 1},
		{"jpeg original", WatermarkBottomRight, 0.5, true, 10},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := openTest(t, Config{Variants: map[string]int{"small": 200},
				Watermark: Watermark{Image: mark, Position: sc.position, Opacity: sc.opacity, Scale: 0.25}})
			orig := encodePNG(t, solid(400, 300, white))
			if sc.jpeg {
				var err error
				if orig, err = encode(solid(400, 300, white), TypeJPEG, 95); err != nil {
					t.Fatal(err)
				}
			}
			m, err := s.Put(ctx, bytes.NewReader(orig), "u")
			if err != nil {
				t.Fatal(err)
			}
			pos := sc.position
			if pos == "" {
				pos = WatermarkBottomRight
			}
			vm, data := variantBytes(t, s, m.ID, "small")
			if vm.Width != 200 || vm.Height != 150 {
				t.Fatalf("variant is %dx%d", vm.Width, vm.Height)
			}
			got := decodeAt(t, data, inside[pos], far[pos], image.Pt(199, 149), image.Pt(0, 0))
			want := overWhite(red, sc.opacity)
			if !near(got[0], want, sc.tol) {
				t.Errorf("pixel %v inside the watermark = %v, want %v", inside[pos], got[0], want)
			}
			for i, p := range []image.Point{far[pos], {199, 149}, {0, 0}} {
				if !near(got[i+1], white, sc.tol) {
					t.Errorf("pixel %v outside the watermark = %v, want white", p, got[i+1])
				}
			}
			// The stored original is untouched.
			_, rc, err := s.Open(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			o := decodeAt(t, readAllClose(t, rc), image.Pt(390, 290), image.Pt(200, 150), image.Pt(10, 10))
			for _, c := range o {
				if !near(c, white, sc.tol) {
					t.Errorf("original has %v, want white", c)
				}
			}
		})
	}
}

// TestWatermarkTransparency keeps the watermark's own alpha: its transparent half leaves
// the image as it was.
func TestWatermarkTransparency(t *testing.T) {
	m := solid(100, 50, red)
	for y := 0; y < 50; y++ {
		for x := 0; x < 50; x++ {
			m.SetNRGBA(x, y, color.NRGBA{})
		}
	}
	s := openTest(t, Config{Variants: map[string]int{"small": 200},
		Watermark: Watermark{Image: writeMark(t, m), Opacity: 1, Scale: 0.25}})
	orig, err := s.Put(context.Background(), bytes.NewReader(encodePNG(t, solid(400, 300, white))), "u")
	if err != nil {
		t.Fatal(err)
	}
	_, data := variantBytes(t, s, orig.ID, "small")
	// Watermark at x 146..196, y 121..146: left half transparent, right half red.
	got := decodeAt(t, data, image.Pt(150, 140), image.Pt(192, 140))
	if !near(got[0], white, 1) || !near(got[1], red, 1) {
		t.Errorf("transparent part %v (want white), opaque part %v (want red)", got[0], got[1])
	}
}

// TestWatermarkSmallOriginal watermarks an image that already fits the box: the variant is
// a new file, not the original.
func TestWatermarkSmallOriginal(t *testing.T) {
	s := openTest(t, Config{Variants: map[string]int{"thumb": 160},
		Watermark: Watermark{Image: writeMark(t, solid(10, 10, red)), Opacity: 1, Scale: 0.5, Position: WatermarkCenter}})
	orig, err := s.Put(context.Background(), bytes.NewReader(encodePNG(t, solid(100, 80, white))), "u")
	if err != nil {
		t.Fatal(err)
	}
	vm, data := variantBytes(t, s, orig.ID, "thumb")
	if vm.Digest == orig.ID || vm.Width != 100 || vm.Height != 80 {
		t.Fatalf("variant %+v is the original or resized", vm)
	}
	if got := decodeAt(t, data, image.Pt(50, 40), image.Pt(2, 2)); !near(got[0], red, 1) || !near(got[1], white, 1) {
		t.Errorf("centre %v (want red), corner %v (want white)", got[0], got[1])
	}
}

// TestWatermarkChangeRemakesVariants reopens a store with another watermark, then with
// none: each time the cached variant is stale and made again, never served as it was.
func TestWatermarkChangeRemakesVariants(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "media")
	redMark, blueMark := writeMark(t, solid(100, 50, red)), writeMark(t, solid(100, 50, blue))
	cfg := func(w Watermark) Config {
		return Config{Dir: dir, Variants: map[string]int{"small": 200}, Watermark: w, Clock: fixedClock{testTime}, Logger: quiet}
	}
	steps := []struct {
		name   string
		mark   Watermark
		want   color.NRGBA // at (194, 144)
		remade bool
	}{
		{"red", Watermark{Image: redMark, Opacity: 1}, red, true},
		{"red again: cached", Watermark{Image: redMark, Opacity: 1}, red, false},
		{"blue", Watermark{Image: blueMark, Opacity: 1}, blue, true},
		{"blue at half opacity", Watermark{Image: blueMark, Opacity: 0.5}, overWhite(blue, 0.5), true},
		{"none", Watermark{}, white, true},
		{"none again: cached", Watermark{}, white, false},
	}
	var id string
	var fingerprints []string
	for _, st := range steps {
		s, err := Open(ctx, cfg(st.mark))
		if err != nil {
			t.Fatalf("%s: Open: %v", st.name, err)
		}
		if id == "" {
			m, err := s.Put(ctx, bytes.NewReader(encodePNG(t, solid(400, 300, white))), "u")
			if err != nil {
				t.Fatal(err)
			}
			id = m.ID
		}
		_, data := variantBytes(t, s, id, "small")
		if got := decodeAt(t, data, image.Pt(194, 144))[0]; !near(got, st.want, 1) {
			t.Errorf("%s: pixel %v, want %v", st.name, got, st.want)
		}
		if made := s.variantsMade.Load() == 1; made != st.remade {
			t.Errorf("%s: variant made again = %v, want %v", st.name, made, st.remade)
		}
		fingerprints = append(fingerprints, s.WatermarkFingerprint())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if fingerprints[0] != fingerprints[1] || fingerprints[1] == fingerprints[2] || fingerprints[2] == fingerprints[3] || fingerprints[4] != "" {
		t.Errorf("fingerprints %q: want equal for the same watermark, different otherwise, empty for none", fingerprints)
	}
	// Only the current variant file is left.
	var variants []string
	for _, f := range files(t, dir) {
		if strings.HasPrefix(f, "variants/") {
			variants = append(variants, f)
		}
	}
	if len(variants) != 1 { // the stale ones were removed as they were replaced
		t.Errorf("variant files %q, want one", variants)
	}
}

func TestWatermarkConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeMark(t, solid(4, 4, red))
	notPNG := filepath.Join(dir, "mark.jpg")
	data, err := encode(solid(4, 4, red), TypeJPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPNG, data, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(huge, pngHeader(maxWatermarkSide+1, 4), 0o600); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name string
		w    Watermark
		want string // in the error; "" = valid
	}{
		{"none", Watermark{}, ""},
		{"none ignores the other fields", Watermark{Position: "nowhere", Opacity: 7}, ""},
		{"defaults", Watermark{Image: good}, ""},
		{"every field", Watermark{Image: good, Position: WatermarkCenter, Opacity: 1, Scale: 1}, ""},
		{"unknown position", Watermark{Image: good, Position: "middle"}, "Position"},
		{"opacity above 1", Watermark{Image: good, Opacity: 1.5}, "Opacity"},
		{"negative opacity", Watermark{Image: good, Opacity: -0.1}, "Opacity"},
		{"scale above 1", Watermark{Image: good, Scale: 2}, "Scale"},
		{"negative scale", Watermark{Image: good, Scale: -1}, "Scale"},
		{"missing file", Watermark{Image: filepath.Join(dir, "nope.png")}, "no such file"},
		{"not a PNG", Watermark{Image: notPNG}, "not a PNG"},
		{"too many pixels", Watermark{Image: huge}, "pixels"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			cfg := Config{Dir: filepath.Join(t.TempDir(), "m"), Watermark: sc.w, Logger: quiet}
			err := cfg.Validate()
			s, openErr := Open(context.Background(), cfg)
			if openErr == nil {
				s.Close()
			}
			for _, e := range []error{err, openErr} {
				switch {
				case sc.want == "" && e != nil:
					t.Errorf("unexpected error: %v", e)
				case sc.want != "" && (e == nil || !strings.Contains(e.Error(), sc.want)):
					t.Errorf("error %v, want one mentioning %q", e, sc.want)
				}
			}
		})
	}
}
