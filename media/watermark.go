package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/disintegration/imaging"
)

// Watermark positions.
const (
	WatermarkTopLeft     = "top-left"
	WatermarkTopRight    = "top-right"
	WatermarkBottomLeft  = "bottom-left"
	WatermarkBottomRight = "bottom-right"
	WatermarkCenter      = "center"
)

// WatermarkPositions lists every accepted Watermark.Position.
var WatermarkPositions = []string{WatermarkTopLeft, WatermarkTopRight, WatermarkBottomLeft, WatermarkBottomRight, WatermarkCenter}

// Watermark defaults applied to zero fields.
const (
	DefaultWatermarkPosition = WatermarkBottomRight
	DefaultWatermarkOpacity  = 0.5
	DefaultWatermarkScale    = 0.25

	// maxWatermarkBytes and maxWatermarkSide bound the watermark file, which is decoded
	// once at Open and kept in memory.
	maxWatermarkBytes = 10 << 20
	maxWatermarkSide  = 4096
)

// Watermark is a PNG drawn over every variant the store makes (never over the stored
// original, which stays as uploaded). It is scaled to Scale of the variant's width, placed
// at Position with a margin of 2% of the variant's width, and blended with Opacity (the
// PNG's own transparency is kept). The zero value (no Image) draws nothing.
type Watermark struct {
	// Image is the PNG file's path, read at Open. The app resolves a relative path against
	// the data directory. "" = no watermark.
	Image string

	// Position is one of WatermarkPositions. "" = bottom-right.
	Position string

	// Opacity multiplies the watermark's alpha, 0 < Opacity <= 1. 0 = 0.5.
	Opacity float64

	// Scale is the watermark's width as a fraction of the variant's width, 0 < Scale <= 1.
	// 0 = 0.25.
	Scale float64
}

// Enabled reports whether w draws anything.
func (w Watermark) Enabled() bool { return w.Image != "" }

func (w Watermark) withDefaults() Watermark {
	if w.Position == "" {
		w.Position = DefaultWatermarkPosition
	}
	if w.Opacity == 0 {
		w.Opacity = DefaultWatermarkOpacity
	}
	if w.Scale == 0 {
		w.Scale = DefaultWatermarkScale
	}
	return w
}

// validate reports the invalid fields of a defaulted watermark (the file is read by load).
func (w Watermark) validate() []error {
	if !w.Enabled() {
		return nil
	}
	var errs []error
	known := false
	for _, p := range WatermarkPositions {
		known = known || p == w.Position
	}
	if !known {
		errs = append(errs, fmt.Errorf("Watermark.Position %q: want one of top-left, top-right, bottom-left, bottom-right, center", w.Position))
	}
	if !(w.Opacity > 0 && w.Opacity <= 1) {
		errs = append(errs, fmt.Errorf("Watermark.Opacity %v is outside (0, 1]", w.Opacity))
	}
	if !(w.Scale > 0 && w.Scale <= 1) {
		errs = append(errs, fmt.Errorf("Watermark.Scale %v is outside (0, 1]", w.Scale))
	}
	return errs
}

// watermark is a loaded Watermark: its decoded image and its fingerprint, which names the
// watermark's bytes and settings. Every variant record keeps the fingerprint it was made
// with, so a changed watermark (or none) makes the cached variants stale and they are made
// again on their next request.
type watermark struct {
	cfg         Watermark
	img         *image.NRGBA
	fingerprint string // "" when no watermark is configured
}

// loadWatermark reads and checks the configured PNG; with none configured it returns a
// watermark that draws nothing.
func loadWatermark(w Watermark) (*watermark, error) {
	if !w.Enabled() {
		return &watermark{cfg: w}, nil
	}
	f, err := os.Open(w.Image)
	if err != nil {
		return nil, fmt.Errorf("media: watermark: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxWatermarkBytes+1))
	if err != nil {
		return nil, fmt.Errorf("media: watermark %s: %w", w.Image, err)
	}
	if len(raw) > maxWatermarkBytes {
		return nil, fmt.Errorf("media: watermark %s is over %d bytes", w.Image, maxWatermarkBytes)
	}
	if ct := http.DetectContentType(raw); ct != TypePNG {
		return nil, fmt.Errorf("media: watermark %s is %s, not a PNG image", w.Image, ct)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("media: watermark %s: %w", w.Image, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxWatermarkSide || cfg.Height > maxWatermarkSide {
		return nil, fmt.Errorf("media: watermark %s is %dx%d pixels: want 1..%d per side", w.Image, cfg.Width, cfg.Height, maxWatermarkSide)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("media: watermark %s: %w", w.Image, err)
	}
	h := sha256.New()
	h.Write(raw)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s", w.Position,
		strconv.FormatFloat(w.Opacity, 'g', -1, 64), strconv.FormatFloat(w.Scale, 'g', -1, 64))
	return &watermark{cfg: w, img: imaging.Clone(img), fingerprint: hex.EncodeToString(h.Sum(nil))[:16]}, nil
}

// apply returns img with the watermark drawn over it, or img itself when there is none.
func (wm *watermark) apply(img image.Image) image.Image {
	if wm == nil || wm.img == nil {
		return img
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	ww := max(1, int(float64(W)*wm.cfg.Scale+0.5))
	mb := wm.img.Bounds()
	wh := max(1, int((int64(mb.Dy())*int64(ww)+int64(mb.Dx())/2)/int64(mb.Dx())))
	if wh > H { // a very wide image under a tall watermark: fit the height instead
		wh = H
		ww = max(1, int((int64(mb.Dx())*int64(wh)+int64(mb.Dy())/2)/int64(mb.Dy())))
	}
	mark := image.Image(wm.img)
	if ww != mb.Dx() || wh != mb.Dy() {
		mark = imaging.Resize(wm.img, ww, wh, imaging.Lanczos)
	}
	margin := int(float64(W) * 0.02)
	margin = min(margin, (W-ww)/2, (H-wh)/2)
	var x, y int
	switch wm.cfg.Position {
	case WatermarkTopLeft:
		x, y = margin, margin
	case WatermarkTopRight:
		x, y = W-ww-margin, margin
	case WatermarkBottomLeft:
		x, y = margin, H-wh-margin
	case WatermarkCenter:
		x, y = (W-ww)/2, (H-wh)/2
	default: // bottom-right
		x, y = W-ww-margin, H-wh-margin
	}
	return imaging.Overlay(img, mark, image.Pt(b.Min.X+x, b.Min.Y+y), wm.cfg.Opacity)
}

// WatermarkFingerprint returns the fingerprint of the configured watermark ("" for none):
// it changes whenever the watermark's file or settings do.
func (s *Store) WatermarkFingerprint() string { return s.wm.fingerprint }
