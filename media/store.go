// Package media owns UltraMarket's local media store: uploaded images, checked and re-encoded,
// kept on disk content-addressed by the SHA-256 of the stored bytes, their resized variants
// (made on first request and cached), and the bbolt file holding their metadata.
//
// Every file access goes through an os.Root opened on the store's directory, and every file
// name is derived from a SHA-256 hex digest or from configuration, never from client input, so
// no request can reach a path outside the directory. Uploads are sniffed from their bytes (a
// client's file name and content type are ignored), their pixel count is checked from the
// header before any pixel is decoded, and what is stored is a fresh encoding of the decoded
// pixels, which drops EXIF metadata and anything hidden after the image data.
//
// Layout of Dir:
//
//	meta.db                 bbolt: bucket "blobs" (ID -> Meta), bucket "variants" (ID/name -> variant)
//	blobs/ab/cdef...        originals; ab/cdef... is the ID, the SHA-256 hex of the file
//	variants/ab/<ID>-<name>-<digest prefix>.jpg|png   derived (watermarked when configured), may be deleted at any time
//	tmp/                    files being written; emptied at Open
package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	bolt "go.etcd.io/bbolt"
)

// Meta describes one stored image, or one variant of it (Variant set).
type Meta struct {
	ID          string    `json:"id"` // SHA-256 hex of the original's stored bytes
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Owner       string    `json:"owner,omitempty"` // who uploaded it first
	Created     time.Time `json:"created"`
	Variant     string    `json:"variant,omitempty"` // variant name; empty for the original
	Digest      string    `json:"digest"`            // SHA-256 hex of the bytes described; = ID for the original
}

// Expected failures. Errors returned by the store match these with errors.Is (by kind and
// code) while carrying a more specific message and details.
var (
	ErrInvalidID       = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_media_id", Message: "media: invalid media ID"}
	ErrNotFound        = &commerce.Error{Kind: commerce.ENotFound, Code: "media_not_found", Message: "media: not found"}
	ErrVariantNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "variant_not_found", Message: "media: unknown variant"}
	ErrTooLarge        = &commerce.Error{Kind: commerce.ETooLarge, Code: "media_too_large", Message: "media: upload too large"}
	ErrImageTooLarge   = &commerce.Error{Kind: commerce.ETooLarge, Code: "image_too_large", Message: "media: image has too many pixels"}
	ErrUnsupported     = &commerce.Error{Kind: commerce.EInvalid, Code: "unsupported_media_type", Message: "media: unsupported media type"}
	ErrInvalidImage    = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_image", Message: "media: invalid image"}
	ErrClosed          = &commerce.Error{Kind: commerce.EUnavailable, Code: "media_closed", Message: "media: store closed"}

	// ErrLocked is returned by Open when another process holds the store's metadata file.
	ErrLocked = errors.New("media: directory in use by another process")
)

var (
	bucketBlobs    = []byte("blobs")
	bucketVariants = []byte("variants")
	bucketInfo     = []byte("info")
	keySchema      = []byte("schema")
)

const (
	metaFile      = "meta.db"
	dirBlobs      = "blobs"
	dirVariants   = "variants"
	dirTmp        = "tmp"
	schemaVersion = 1
	codecVersion  = 1 // first byte of every stored value
)

// Store is the media store. It is safe for concurrent use.
type Store struct {
	cfg  Config
	dir  string
	root *os.Root
	db   *bolt.DB
	log  *slog.Logger
	sem  chan struct{} // bounds concurrent decode/encode work
	wm   *watermark    // drawn over variants; never nil

	// gc orders blob removal against blob use: Put, variant generation and SnapshotTo hold it
	// shared while they rely on a blob staying on disk; Delete holds it exclusively.
	gc sync.RWMutex

	flightMu sync.Mutex
	flights  map[string]*flight // variant generations in progress, by ID/name

	variantsMade atomic.Int64 // variant files generated; tests read it

	mu       sync.RWMutex
	closed   bool
	ops      sync.WaitGroup
	closeOne sync.Once
	closeErr error
}

// Open opens (creating when missing) the store in cfg.Dir. A second Open of the same
// directory, from this process or another, fails after cfg.LockTimeout with ErrLocked.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("media: create %s: %w", cfg.Dir, err)
	}
	wm, err := loadWatermark(cfg.Watermark)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", cfg.Dir, err)
	}
	s := &Store{
		cfg:     cfg,
		dir:     cfg.Dir,
		root:    root,
		log:     cfg.Logger.With("component", "media"),
		sem:     make(chan struct{}, cfg.Concurrency),
		wm:      wm,
		flights: make(map[string]*flight),
	}
	if err := s.open(); err != nil {
		if s.db != nil {
			_ = s.db.Close()
		}
		_ = root.Close()
		return nil, err
	}
	s.log.Debug("media store open", "dir", cfg.Dir, "variants", s.VariantNames())
	return s, nil
}

func (s *Store) open() error {
	for _, d := range []string{dirBlobs, dirVariants, dirTmp} {
		if err := s.root.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("media: create %s/%s: %w", s.dir, d, err)
		}
	}
	db, err := openBolt(s.root, s.dir, s.cfg.LockTimeout, false)
	if err != nil {
		return err
	}
	s.db = db
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBlobs, bucketVariants, bucketInfo} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		info := tx.Bucket(bucketInfo)
		switch v := info.Get(keySchema); {
		case v == nil:
			return info.Put(keySchema, []byte{schemaVersion})
		case len(v) != 1 || v[0] > schemaVersion:
			return fmt.Errorf("meta.db schema %v is newer than this program understands (%d)", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("media: init %s/%s: %w", s.dir, metaFile, err)
	}
	// Only the lock holder gets here, so anything in tmp/ is left over from a crash.
	if err := s.root.RemoveAll(dirTmp); err != nil {
		return fmt.Errorf("media: clear %s/%s: %w", s.dir, dirTmp, err)
	}
	if err := s.root.MkdirAll(dirTmp, 0o750); err != nil {
		return fmt.Errorf("media: create %s/%s: %w", s.dir, dirTmp, err)
	}
	return nil
}

// openBolt opens dir/meta.db through root, waiting at most timeout for the file lock.
func openBolt(root *os.Root, dir string, timeout time.Duration, readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(metaFile, 0o640, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		OpenFile: root.OpenFile,
	})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("%w: %s/%s is locked (waited %s): %w", ErrLocked, dir, metaFile, timeout, err)
	case err != nil:
		return nil, fmt.Errorf("media: open %s/%s: %w", dir, metaFile, err)
	}
	return db, nil
}

// Close waits for calls in progress, then closes the store. It is idempotent. Readers
// returned by Open and Variant stay readable after Close.
func (s *Store) Close() error {
	s.closeOne.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.ops.Wait()
		s.closeErr = errors.Join(s.db.Close(), s.root.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("media: close %s: %w", s.dir, s.closeErr)
		}
	})
	return s.closeErr
}

// enter registers a call in progress; every exported method that touches disk calls it
// first and leave when done, so Close can wait for them.
func (s *Store) enter() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.ops.Add(1)
	return nil
}

func (s *Store) leave() { s.ops.Done() }

// ValidID reports whether id is a well-formed media ID: 64 lowercase hex digits.
func ValidID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if ValidID(id) {
		return nil
	}
	shown := id
	if len(shown) > 80 {
		shown = shown[:80] + "..."
	}
	return commerce.Errorf(commerce.EInvalid, ErrInvalidID.Code, "media: invalid media ID %q: want 64 lowercase hex digits", shown)
}

func notFound(id string) error {
	return commerce.Errorf(commerce.ENotFound, ErrNotFound.Code, "media: %s not found", id)
}

// blobPath is the root-relative path of an original; id must be valid.
func blobPath(id string) string { return dirBlobs + "/" + id[:2] + "/" + id[2:] }

// record is the stored form of an original's Meta (the ID is the key).
type record struct {
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Owner       string    `json:"owner,omitempty"`
	Created     time.Time `json:"created"`
}

func encodeValue(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{codecVersion}, b...), nil
}

func decodeValue(b []byte, v any) error {
	if len(b) == 0 || b[0] != codecVersion {
		return fmt.Errorf("media: unknown record codec version in %d bytes", len(b))
	}
	return json.Unmarshal(b[1:], v)
}

func encodeMeta(m Meta) ([]byte, error) {
	return encodeValue(record{ContentType: m.ContentType, Size: m.Size, Width: m.Width, Height: m.Height, Owner: m.Owner, Created: m.Created})
}

func decodeMeta(id string, b []byte) (Meta, error) {
	var r record
	if err := decodeValue(b, &r); err != nil {
		return Meta{}, fmt.Errorf("media: decode %s: %w", id, err)
	}
	return Meta{ID: id, ContentType: r.ContentType, Size: r.Size, Width: r.Width, Height: r.Height,
		Owner: r.Owner, Created: r.Created, Digest: id}, nil
}

// getMeta reads an original's Meta in tx; ok is false when there is none.
func getMeta(tx *bolt.Tx, id string) (m Meta, ok bool, err error) {
	v := tx.Bucket(bucketBlobs).Get([]byte(id))
	if v == nil {
		return Meta{}, false, nil
	}
	m, err = decodeMeta(id, v)
	return m, err == nil, err
}

// Get returns the Meta of the original with the given ID.
func (s *Store) Get(ctx context.Context, id string) (Meta, error) {
	if err := s.begin(ctx, id); err != nil {
		return Meta{}, err
	}
	defer s.leave()
	return lookup(s.db, id, getMeta)
}

// begin starts an operation on the blob id: id must be well formed, the store open (Close
// waits for the operation) and ctx not done. When it returns nil, the caller calls s.leave.
func (s *Store) begin(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		s.leave()
		return err
	}
	return nil
}

// lookup reads blob id's record with get in a read transaction; none is notFound(id).
func lookup[M any](db *bolt.DB, id string, get func(*bolt.Tx, string) (M, bool, error)) (M, error) {
	var m M
	err := db.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		if m, ok, err = get(tx, id); err == nil && !ok {
			err = notFound(id)
		}
		return err
	})
	return m, err
}

// openFile opens the file at path of blob id (what names it in an error). A missing file is
// notFound(id): the blob was deleted since it was looked up.
func (s *Store) openFile(path, id, what string) (*os.File, error) {
	f, err := s.root.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("media: open %s %s: %w", what, id, err)
	}
	return f, nil
}

// Open returns the Meta of the original with the given ID and a reader of its bytes (an
// *os.File, so it can be served with http.ServeContent). The caller closes the reader.
func (s *Store) Open(ctx context.Context, id string) (Meta, io.ReadSeekCloser, error) {
	m, err := s.Get(ctx, id)
	if err != nil {
		return Meta{}, nil, err
	}
	if err := s.enter(); err != nil {
		return Meta{}, nil, err
	}
	defer s.leave()
	f, err := s.openFile(blobPath(id), id, "blob")
	if err != nil {
		return Meta{}, nil, err
	}
	return m, f, nil
}

// Delete removes the original with the given ID, its metadata and its variants.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.begin(ctx, id); err != nil {
		return err
	}
	defer s.leave()
	s.gc.Lock()
	defer s.gc.Unlock()

	var files []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, ok, err := getMeta(tx, id); err != nil {
			return err
		} else if !ok {
			return notFound(id)
		}
		if err := tx.Bucket(bucketBlobs).Delete([]byte(id)); err != nil {
			return err
		}
		vb := tx.Bucket(bucketVariants)
		prefix := []byte(id + "/")
		var keys [][]byte
		c := vb.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
			var vr variantRecord
			if decodeValue(v, &vr) == nil {
				if p, ok := vr.path(id, string(k[len(prefix):])); ok && p != blobPath(id) {
					files = append(files, p)
				}
			}
		}
		for _, k := range keys {
			if err := vb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if commerce.AsError(err) != nil {
			return err
		}
		return fmt.Errorf("media: delete %s: %w", id, err)
	}
	// The metadata is gone, so the media is deleted; a crash before the files are removed
	// leaves unreferenced files, which nothing serves.
	files = append(files, blobPath(id))
	var errs []error
	for _, p := range files {
		if err := s.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		s.log.Warn("media files not removed", "id", id, "err", errors.Join(errs...))
	}
	s.log.Info("media deleted", "id", id)
	return nil
}

// List returns up to limit originals in ID order after the cursor after ("" = from the
// start), and the cursor of the next page ("" on the last page). limit is clamped like
// commerce.Page.
func (s *Store) List(ctx context.Context, after string, limit int) ([]Meta, string, error) {
	if after != "" {
		if err := checkID(after); err != nil {
			return nil, "", err
		}
	}
	limit = commerce.Page{Limit: limit}.Normalize().Limit
	if err := s.enter(); err != nil {
		return nil, "", err
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	items := make([]Meta, 0, limit)
	var next string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBlobs).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(items) == limit {
				next = items[len(items)-1].ID
				return nil
			}
			m, err := decodeMeta(string(k), v)
			if err != nil {
				return err
			}
			items = append(items, m)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("media: list: %w", err)
	}
	return items, next, nil
}
