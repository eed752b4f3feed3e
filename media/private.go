package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	bolt "go.etcd.io/bbolt"
)

// Private blobs are files kept for the business, never for the public: a vendor's KYC
// documents. They are stored as uploaded (not re-encoded: a document must stay what was
// sent), content-addressed by the SHA-256 of their bytes, under private/ab/cdef... with
// their metadata in the bbolt bucket "private". Nothing that serves public media reads that
// bucket or directory (Get, Open, Variant and List look only at "blobs"), so a private ID
// asked for at /api/v1/media/<id> is not found; the domain that owns a private blob decides
// who may read it through OpenPrivate. Snapshots and Verify include them.

var bucketPrivate = []byte("private")

const dirPrivate = "private"

// PrivateMeta describes one private blob.
type PrivateMeta struct {
	ID          string    `json:"id"` // SHA-256 hex of the bytes
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Created     time.Time `json:"created"`
}

// privatePath is the root-relative path of a private blob; id must be valid.
func privatePath(id string) string { return dirPrivate + "/" + id[:2] + "/" + id[2:] }

type privateRecord struct {
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Created     time.Time `json:"created"`
}

func getPrivate(tx *bolt.Tx, id string) (PrivateMeta, bool, error) {
	b := tx.Bucket(bucketPrivate)
	if b == nil {
		return PrivateMeta{}, false, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return PrivateMeta{}, false, nil
	}
	var r privateRecord
	if err := decodeValue(v, &r); err != nil {
		return PrivateMeta{}, false, fmt.Errorf("media: decode private %s: %w", id, err)
	}
	return PrivateMeta{ID: id, ContentType: r.ContentType, Size: r.Size, Created: r.Created}, true, nil
}

// privateIDs lists the private blobs recorded in tx (for snapshots and Verify).
func privateIDs(tx *bolt.Tx) ([]string, error) {
	b := tx.Bucket(bucketPrivate)
	if b == nil {
		return nil, nil
	}
	var ids []string
	err := b.ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	return ids, err
}

// PutPrivate stores the bytes read from r as a private blob and returns its Meta. The
// content type is sniffed from the bytes (a client's file name and content type are
// ignored) and must be one of allowed (any sniffed type when allowed is empty); the size is
// bounded by Config.MaxUploadBytes. The same bytes twice yield the same blob.
func (s *Store) PutPrivate(ctx context.Context, r io.Reader, allowed []string) (PrivateMeta, error) {
	if err := s.enter(); err != nil {
		return PrivateMeta{}, err
	}
	defer s.leave()
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, r}, s.cfg.MaxUploadBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return PrivateMeta{}, ctx.Err()
		}
		return PrivateMeta{}, fmt.Errorf("media: read upload: %w", err)
	}
	if int64(len(data)) > s.cfg.MaxUploadBytes {
		return PrivateMeta{}, commerce.Errorf(commerce.ETooLarge, ErrTooLarge.Code,
			"media: upload is over the limit of %d bytes", s.cfg.MaxUploadBytes).
			WithDetails(map[string]any{"max_bytes": s.cfg.MaxUploadBytes})
	}
	if len(data) == 0 {
		return PrivateMeta{}, commerce.Errorf(commerce.EInvalid, ErrUnsupported.Code, "media: the upload is empty")
	}
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if len(allowed) > 0 && !slices.Contains(allowed, ct) {
		return PrivateMeta{}, commerce.Errorf(commerce.EInvalid, ErrUnsupported.Code,
			"media: the file is %s; accepted: %s", ct, strings.Join(allowed, ", ")).
			WithDetails(map[string]any{"accepted": allowed})
	}
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	m := PrivateMeta{ID: id, ContentType: ct, Size: int64(len(data)), Created: s.cfg.Clock.Now().UTC()}

	s.gc.RLock()
	defer s.gc.RUnlock()
	if err := ctx.Err(); err != nil {
		return PrivateMeta{}, err
	}
	var existing PrivateMeta
	var found bool
	if err := s.db.View(func(tx *bolt.Tx) (err error) {
		existing, found, err = getPrivate(tx, id)
		return err
	}); err != nil {
		return PrivateMeta{}, err
	}
	if found {
		return existing, nil
	}
	if err := s.writeFile(privatePath(id), data); err != nil {
		return PrivateMeta{}, fmt.Errorf("media: put private %s: %w", id, err)
	}
	val, err := encodeValue(privateRecord{ContentType: m.ContentType, Size: m.Size, Created: m.Created})
	if err != nil {
		return PrivateMeta{}, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if prev, ok, err := getPrivate(tx, id); err != nil || ok {
			existing, found = prev, ok
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketPrivate)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), val)
	})
	if err != nil {
		return PrivateMeta{}, fmt.Errorf("media: put private %s: %w", id, err)
	}
	if found {
		return existing, nil
	}
	s.log.Info("private media stored", "id", id, "content_type", ct, "size", m.Size)
	return m, nil
}

// MaxUploadBytes is the most bytes one upload (Put or PutPrivate) may have.
func (s *Store) MaxUploadBytes() int64 { return s.cfg.MaxUploadBytes }

// OpenPrivate returns a private blob's Meta and a reader of its bytes (an *os.File, for
// http.ServeContent). The caller closes the reader.
func (s *Store) OpenPrivate(ctx context.Context, id string) (PrivateMeta, io.ReadSeekCloser, error) {
	if err := s.begin(ctx, id); err != nil {
		return PrivateMeta{}, nil, err
	}
	defer s.leave()
	m, err := lookup(s.db, id, getPrivate)
	if err != nil {
		return PrivateMeta{}, nil, err
	}
	f, err := s.openFile(privatePath(id), id, "private")
	if err != nil {
		return PrivateMeta{}, nil, err
	}
	return m, f, nil
}

// DeletePrivate removes a private blob. Blobs are content-addressed, so the same bytes
// stored twice are one blob: a caller whose records may share one must not delete it while
// another record names it.
func (s *Store) DeletePrivate(ctx context.Context, id string) error {
	if err := s.begin(ctx, id); err != nil {
		return err
	}
	defer s.leave()
	s.gc.Lock()
	defer s.gc.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, ok, err := getPrivate(tx, id); err != nil {
			return err
		} else if !ok {
			return notFound(id)
		}
		return tx.Bucket(bucketPrivate).Delete([]byte(id))
	})
	if err != nil {
		return err
	}
	if err := s.root.Remove(privatePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("private media file not removed", "id", id, "err", err)
	}
	s.log.Info("private media deleted", "id", id)
	return nil
}
