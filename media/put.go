package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // registers the GIF decoder
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/disintegration/imaging"
	"github.com/ultramarket/ultramarket/commerce"
	bolt "go.etcd.io/bbolt"
	_ "golang.org/x/image/webp" // registers the WebP decoder
)

// Stored content types.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// accepted maps a sniffed content type to the image format name its decoder registers.
// Other registered decoders (bmp, tiff through imaging) are not accepted.
var accepted = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// maxOwnerLen bounds Meta.Owner.
const maxOwnerLen = 200

// Put stores the image read from r on behalf of owner and returns its Meta. The content type
// is sniffed from the bytes; only JPEG, PNG, GIF and WebP images are accepted. The pixels are
// re-encoded (JPEG stays JPEG, PNG and GIF become PNG, WebP becomes JPEG or, with
// transparency, PNG; a GIF keeps its first frame) and the result is stored under the SHA-256
// of the encoded bytes, so the same upload twice yields the same ID and one file; the Meta
// of the first upload (its owner and time) is returned for both.
func (s *Store) Put(ctx context.Context, r io.Reader, owner string) (Meta, error) {
	var v commerce.Validator
	v.Check(len(owner) <= maxOwnerLen, "owner", fmt.Sprintf("at most %d bytes", maxOwnerLen))
	v.Check(utf8.ValidString(owner), "owner", "not valid UTF-8")
	if err := v.Err(); err != nil {
		return Meta{}, err
	}
	if err := s.enter(); err != nil {
		return Meta{}, err
	}
	defer s.leave()

	raw, err := io.ReadAll(io.LimitReader(ctxReader{ctx, r}, s.cfg.MaxUploadBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return Meta{}, ctx.Err()
		}
		return Meta{}, fmt.Errorf("media: read upload: %w", err)
	}
	if int64(len(raw)) > s.cfg.MaxUploadBytes {
		return Meta{}, commerce.Errorf(commerce.ETooLarge, ErrTooLarge.Code,
			"media: upload is over the limit of %d bytes", s.cfg.MaxUploadBytes).
			WithDetails(map[string]any{"max_bytes": s.cfg.MaxUploadBytes})
	}

	if err := s.acquire(ctx); err != nil {
		return Meta{}, err
	}
	data, ct, w, h, err := s.transcode(raw)
	s.release()
	if err != nil {
		return Meta{}, err
	}
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	m := Meta{ID: id, ContentType: ct, Size: int64(len(data)), Width: w, Height: h, Owner: owner,
		Created: s.cfg.Clock.Now().UTC(), Digest: id}

	s.gc.RLock()
	defer s.gc.RUnlock()
	if err := ctx.Err(); err != nil {
		return Meta{}, err
	}
	var existing Meta
	var found bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		existing, found, err = getMeta(tx, id)
		return err
	}); err != nil {
		return Meta{}, fmt.Errorf("media: put %s: %w", id, err)
	}
	if found {
		s.log.Debug("media deduplicated", "id", id, "owner", owner)
		return existing, nil
	}
	if err := s.writeFile(blobPath(id), data); err != nil {
		return Meta{}, fmt.Errorf("media: put %s: %w", id, err)
	}
	val, err := encodeMeta(m)
	if err != nil {
		return Meta{}, fmt.Errorf("media: put %s: %w", id, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		// A concurrent Put of the same image may have won; keep its record.
		if prev, ok, err := getMeta(tx, id); err != nil || ok {
			existing, found = prev, ok
			return err
		}
		return tx.Bucket(bucketBlobs).Put([]byte(id), val)
	})
	if err != nil {
		return Meta{}, fmt.Errorf("media: put %s: %w", id, err)
	}
	if found {
		return existing, nil
	}
	s.log.Info("media stored", "id", id, "owner", owner, "content_type", ct, "size", m.Size, "width", w, "height", h)
	return m, nil
}

// acquire takes a slot for decode/encode work, giving up when ctx ends.
func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) release() { <-s.sem }

// transcode checks raw is an accepted image within the limits and returns its re-encoding.
func (s *Store) transcode(raw []byte) (data []byte, contentType string, w, h int, err error) {
	format, err := s.check(raw)
	if err != nil {
		return nil, "", 0, 0, err
	}
	img, err := decode(raw, format)
	if err != nil {
		return nil, "", 0, 0, commerce.Errorf(commerce.EInvalid, ErrInvalidImage.Code, "media: cannot decode %s image: %w", format, err)
	}
	contentType = TypePNG
	switch format {
	case "jpeg":
		contentType = TypeJPEG
	case "webp":
		if opaque(img) {
			contentType = TypeJPEG
		}
	}
	data, err = encode(img, contentType, s.cfg.JPEGQuality)
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("media: encode %s: %w", contentType, err)
	}
	b := img.Bounds()
	return data, contentType, b.Dx(), b.Dy(), nil
}

// check sniffs raw and reads its header, refusing what is not an accepted image or is too
// large, without decoding any pixels. It returns the image format name.
func (s *Store) check(raw []byte) (string, error) {
	sniffed := http.DetectContentType(raw)
	format, ok := accepted[sniffed]
	if !ok {
		return "", commerce.Errorf(commerce.EInvalid, ErrUnsupported.Code,
			"media: unsupported media type %s: only JPEG, PNG, GIF and WebP images are accepted", sniffed).
			WithDetails(map[string]any{"content_type": sniffed})
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return "", commerce.Errorf(commerce.EInvalid, ErrInvalidImage.Code, "media: invalid %s image: %w", format, err)
	}
	if got != format {
		return "", commerce.Errorf(commerce.EInvalid, ErrInvalidImage.Code, "media: content looks like %s but decodes as %s", format, got)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", commerce.Errorf(commerce.EInvalid, ErrInvalidImage.Code, "media: image has no pixels (%dx%d)", cfg.Width, cfg.Height)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > s.cfg.MaxPixels || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return "", commerce.Errorf(commerce.ETooLarge, ErrImageTooLarge.Code,
			"media: image is %dx%d pixels, over the limit of %d pixels and %d per side",
			cfg.Width, cfg.Height, s.cfg.MaxPixels, MaxSide).
			WithDetails(map[string]any{"width": cfg.Width, "height": cfg.Height, "max_pixels": s.cfg.MaxPixels})
	}
	return format, nil
}

// decode decodes raw, turning a JPEG upright by its EXIF orientation (the EXIF itself is
// not kept, so the orientation has to be applied to the pixels).
func decode(raw []byte, format string) (image.Image, error) {
	if format == "jpeg" {
		return imaging.Decode(bytes.NewReader(raw), imaging.AutoOrientation(true))
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	return img, err
}

func encode(img image.Image, contentType string, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch contentType {
	case TypeJPEG:
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	case TypePNG:
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	default:
		err = fmt.Errorf("no encoder for %s", contentType)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// opaque reports whether img has no transparent or translucent pixel.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// ctxReader stops reading once ctx ends, so an abandoned upload stops being read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
