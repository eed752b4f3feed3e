package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/disintegration/imaging"
	"github.com/ultramarket/ultramarket/commerce"
	bolt "go.etcd.io/bbolt"
)

// variantRecord is the stored description of a generated variant, keyed "<ID>/<name>". Its
// file name is derived from the ID, the name and the digest, never stored.
type variantRecord struct {
	Box         int    `json:"box"`     // box it was fitted into
	Quality     int    `json:"quality"` // JPEG quality it was encoded with
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Digest      string `json:"digest"` // SHA-256 hex of the variant's bytes; = ID when the original fits the box
	// Watermark is the fingerprint of the watermark drawn over it, "" for none: a variant
	// made with another watermark than the configured one is stale.
	Watermark string `json:"watermark,omitempty"`
}

// path returns the root-relative file of the variant, or false when the record is damaged.
// An original that already fits the box is served as is.
func (vr variantRecord) path(id, name string) (string, bool) {
	if !ValidID(id) || !ValidID(vr.Digest) || !validVariantName(name) {
		return "", false
	}
	if vr.Digest == id {
		return blobPath(id), true
	}
	ext := ".png"
	if vr.ContentType == TypeJPEG {
		ext = ".jpg"
	}
	return dirVariants + "/" + id[:2] + "/" + id + "-" + name + "-" + vr.Digest[:16] + ext, true
}

func (vr variantRecord) meta(orig Meta, name string) Meta {
	return Meta{ID: orig.ID, ContentType: vr.ContentType, Size: vr.Size, Width: vr.Width, Height: vr.Height,
		Owner: orig.Owner, Created: orig.Created, Variant: name, Digest: vr.Digest}
}

// flight is one variant generation in progress; concurrent requests for the same variant
// wait for it instead of generating it again.
type flight struct {
	done chan struct{}
	err  error
}

// VariantNames returns the configured variant names, smallest box first.
func (s *Store) VariantNames() []string {
	names := make([]string, 0, len(s.cfg.Variants))
	for n := range s.cfg.Variants {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		bi, bj := s.cfg.Variants[names[i]], s.cfg.Variants[names[j]]
		return bi < bj || bi == bj && names[i] < names[j]
	})
	return names
}

// Variant returns the named variant of the original with the given ID: the image fitted
// into the variant's box (keeping its aspect ratio, never enlarged, Lanczos filter), with the
// configured watermark drawn over it, in the original's format. It is made on the first request and cached on disk; concurrent first
// requests make it once. The returned Meta describes the variant (Variant and Digest set;
// ID, Owner and Created are the original's). The caller closes the reader.
func (s *Store) Variant(ctx context.Context, id, name string) (Meta, io.ReadSeekCloser, error) {
	if err := checkID(id); err != nil {
		return Meta{}, nil, err
	}
	box, ok := s.cfg.Variants[name]
	if !ok {
		shown := name
		if len(shown) > 40 {
			shown = shown[:40] + "..."
		}
		return Meta{}, nil, commerce.Errorf(commerce.ENotFound, ErrVariantNotFound.Code,
			"media: unknown variant %q (have %s)", shown, strings.Join(s.VariantNames(), ", "))
	}
	if err := s.enter(); err != nil {
		return Meta{}, nil, err
	}
	defer s.leave()

	// A cached file can vanish between lookup and open (Delete, or a regeneration after a
	// configuration change replacing it); a few tries settle that.
	for range 3 {
		if err := ctx.Err(); err != nil {
			return Meta{}, nil, err
		}
		m, f, err := s.cachedVariant(id, name, box)
		if err != nil || f != nil {
			return m, f, err
		}
		if err := s.makeVariant(ctx, id, name, box); err != nil {
			return Meta{}, nil, err
		}
	}
	return Meta{}, nil, fmt.Errorf("media: variant %s/%s keeps disappearing", id, name)
}

// lookupVariant reads the original's Meta and the variant record, and whether that record is
// current: made for box, with the store's JPEG quality and its watermark.
func (s *Store) lookupVariant(id, name string, box int) (orig Meta, vr variantRecord, current bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		if orig, ok, err = getMeta(tx, id); err != nil {
			return err
		} else if !ok {
			return notFound(id)
		}
		v := tx.Bucket(bucketVariants).Get([]byte(id + "/" + name))
		if v == nil || decodeValue(v, &vr) != nil {
			return nil
		}
		current = vr.Box == box && vr.Quality == s.cfg.JPEGQuality && vr.Watermark == s.wm.fingerprint
		return nil
	})
	return orig, vr, current, err
}

// cachedVariant opens the cached variant; it returns a nil file when there is none yet.
func (s *Store) cachedVariant(id, name string, box int) (Meta, *os.File, error) {
	orig, vr, current, err := s.lookupVariant(id, name, box)
	if err != nil || !current {
		return Meta{}, nil, err
	}
	p, ok := vr.path(id, name)
	if !ok {
		return Meta{}, nil, nil
	}
	f, err := s.root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, nil, nil
	}
	if err != nil {
		return Meta{}, nil, fmt.Errorf("media: open variant %s/%s: %w", id, name, err)
	}
	return vr.meta(orig, name), f, nil
}

// makeVariant generates the variant unless another call is already doing so, in which case
// it waits for that call.
func (s *Store) makeVariant(ctx context.Context, id, name string, box int) error {
	key := id + "/" + name
	s.flightMu.Lock()
	if fl, ok := s.flights[key]; ok {
		s.flightMu.Unlock()
		select {
		case <-fl.done:
			return fl.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{})}
	s.flights[key] = fl
	s.flightMu.Unlock()

	// Other requests may be waiting on this generation: it must not stop when the request
	// that happened to start it goes away.
	fl.err = s.generate(context.WithoutCancel(ctx), id, name, box)

	s.flightMu.Lock()
	delete(s.flights, key)
	s.flightMu.Unlock()
	close(fl.done)
	return fl.err
}

// generate makes and records the variant, unless a current one is already on disk.
func (s *Store) generate(ctx context.Context, id, name string, box int) error {
	s.gc.RLock() // the original must stay while it is read and the record written
	defer s.gc.RUnlock()

	orig, old, current, err := s.lookupVariant(id, name, box)
	if err != nil {
		return err
	}
	oldPath, hadOld := old.path(id, name)
	if current && hadOld {
		if _, err := s.root.Stat(oldPath); err == nil {
			return nil // made by a call that finished just before this one started
		}
	}

	vr := variantRecord{Box: box, Quality: s.cfg.JPEGQuality, Watermark: s.wm.fingerprint}
	if orig.Width <= box && orig.Height <= box && vr.Watermark == "" {
		vr.ContentType, vr.Size, vr.Width, vr.Height, vr.Digest = orig.ContentType, orig.Size, orig.Width, orig.Height, id
	} else {
		data, w, h, err := s.resize(ctx, orig, box)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		vr.ContentType, vr.Size, vr.Width, vr.Height, vr.Digest = orig.ContentType, int64(len(data)), w, h, hex.EncodeToString(sum[:])
		p, _ := vr.path(id, name)
		if err := s.writeFile(p, data); err != nil {
			return fmt.Errorf("media: write variant %s/%s: %w", id, name, err)
		}
	}
	val, err := encodeValue(vr)
	if err != nil {
		return fmt.Errorf("media: encode variant %s/%s: %w", id, name, err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketVariants).Put([]byte(id+"/"+name), val)
	}); err != nil {
		return fmt.Errorf("media: record variant %s/%s: %w", id, name, err)
	}
	s.variantsMade.Add(1)
	if newPath, _ := vr.path(id, name); hadOld && oldPath != newPath && oldPath != blobPath(id) {
		if err := s.root.Remove(oldPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("stale variant not removed", "id", id, "variant", name, "err", err)
		}
	}
	s.log.Debug("media variant made", "id", id, "variant", name, "width", vr.Width, "height", vr.Height, "size", vr.Size)
	return nil
}

// resize decodes the original and returns it fitted into box, with the watermark drawn over
// it when one is configured, encoded like the original.
func (s *Store) resize(ctx context.Context, orig Meta, box int) ([]byte, int, int, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, 0, 0, err
	}
	defer s.release()
	raw, err := s.root.ReadFile(blobPath(orig.ID))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: read %s: %w", orig.ID, err)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: decode stored %s: %w", orig.ID, err)
	}
	b := img.Bounds()
	w, h := fitBox(b.Dx(), b.Dy(), box)
	dst := img
	if w != b.Dx() || h != b.Dy() {
		dst = imaging.Resize(img, w, h, imaging.Lanczos)
	}
	dst = s.wm.apply(dst)
	data, err := encode(dst, orig.ContentType, s.cfg.JPEGQuality)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: encode variant of %s: %w", orig.ID, err)
	}
	return data, w, h, nil
}

// fitBox returns w×h scaled to fit a box×box square, keeping the aspect ratio, at least one
// pixel on each side, never enlarged.
func fitBox(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, int((int64(h)*int64(box)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(box)+int64(h)/2)/int64(h))), box
}
