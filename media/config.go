package media

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxUploadBytes = 20 << 20   // 20 MiB
	DefaultMaxPixels      = 40_000_000 // 40 megapixels
	DefaultJPEGQuality    = 85
	DefaultLockTimeout    = time.Second

	// MaxSide bounds either side of a stored image and of a variant box: the JPEG format
	// cannot encode 65,536 pixels or more on a side.
	MaxSide = 65535
)

// DefaultVariants are the variant boxes used when Config.Variants is nil.
func DefaultVariants() map[string]int {
	return map[string]int{"thumb": 160, "small": 480, "medium": 960, "large": 1600}
}

// Config configures a Store. The zero value of every field except Dir means its default.
type Config struct {
	// Dir holds the store: blobs/, variants/, tmp/ and meta.db. Required; the app passes
	// <data>/media. It is created when missing.
	Dir string

	// MaxUploadBytes bounds one upload. 0 = 20 MiB.
	MaxUploadBytes int64

	// MaxPixels bounds width×height of an upload, checked from the header before any pixel
	// is decoded. 0 = 40 megapixels.
	MaxPixels int64

	// Variants maps a variant name (lowercase letters, digits, '_' or '-', at most 32
	// characters) to the box in pixels its width and height are fitted into.
	// nil = DefaultVariants(): thumb 160, small 480, medium 960, large 1600.
	Variants map[string]int

	// JPEGQuality is used when storing JPEG originals and variants, 1..100. 0 = 85.
	JPEGQuality int

	// Concurrency bounds how many images are decoded and encoded at once (uploads and
	// variant generation together), which bounds memory under an upload storm.
	// 0 = runtime.GOMAXPROCS(0).
	Concurrency int

	// LockTimeout is how long Open waits for the metadata file lock held by another
	// process before failing. 0 = 1 s.
	LockTimeout time.Duration

	// Watermark is drawn over every variant (not the originals) when its Image is set.
	Watermark Watermark

	// Clock stamps Meta.Created. nil = commerce.SystemClock{}.
	Clock commerce.Clock

	// Logger receives the store's logs. nil = slog.Default().
	Logger *slog.Logger
}

// withDefaults returns a copy of c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.Variants == nil {
		c.Variants = DefaultVariants()
	} else {
		v := make(map[string]int, len(c.Variants))
		for k, n := range c.Variants {
			v[k] = n
		}
		c.Variants = v
	}
	if c.JPEGQuality == 0 {
		c.JPEGQuality = DefaultJPEGQuality
	}
	if c.Concurrency == 0 {
		c.Concurrency = runtime.GOMAXPROCS(0)
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = DefaultLockTimeout
	}
	c.Watermark = c.Watermark.withDefaults()
	c.Clock = commerce.OrSystemClock(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every invalid field of c once defaults are applied, and a watermark file
// that cannot be used; Open runs the same checks.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return err
	}
	_, err := loadWatermark(c.Watermark)
	return err
}

// validate reports every invalid field of a defaulted config.
func (c Config) validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("Dir is required"))
	}
	if c.MaxUploadBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxUploadBytes %d is negative", c.MaxUploadBytes))
	}
	if c.MaxPixels < 0 {
		errs = append(errs, fmt.Errorf("MaxPixels %d is negative", c.MaxPixels))
	}
	if c.JPEGQuality < 1 || c.JPEGQuality > 100 {
		errs = append(errs, fmt.Errorf("JPEGQuality %d is outside 1..100", c.JPEGQuality))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("Concurrency %d is negative", c.Concurrency))
	}
	if c.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("LockTimeout %s is negative", c.LockTimeout))
	}
	for name, box := range c.Variants {
		if !validVariantName(name) {
			errs = append(errs, fmt.Errorf("variant name %q: want 1-32 of a-z, 0-9, '_', '-'", name))
		}
		if box < 1 || box > MaxSide {
			errs = append(errs, fmt.Errorf("variant %q box %d is outside 1..%d", name, box, MaxSide))
		}
	}
	errs = append(errs, c.Watermark.validate()...)
	if len(errs) > 0 {
		return fmt.Errorf("media: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

func validVariantName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
