package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/ultramarket/ultramarket/commerce"
	bolt "go.etcd.io/bbolt"
)

// ErrCorrupt is wrapped by Verify's error when a snapshot's blobs do not match its metadata.
var ErrCorrupt = errors.New("media: snapshot corrupt")

// SnapshotTo writes a consistent copy of the store into dir (created when missing; it must
// not already hold a snapshot): dir/meta.db, copied from one read transaction, and every
// original and private blob that copy references under dir/blobs/ and dir/private/, hard-linked when dir is on the same file
// system (blobs are never modified in place, so sharing them is safe) and copied otherwise.
// Variants are not copied: they are derived and remade on request after a restore.
// meta.db is put in place last, so a snapshot with a meta.db is complete. Puts may run
// during the snapshot; Deletes wait for it.
func (s *Store) SnapshotTo(ctx context.Context, dir string) (err error) {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	defer func() {
		if err != nil {
			err = fmt.Errorf("media: snapshot to %s: %w", dir, err)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if a, errA := os.Stat(dir); errA == nil {
		if b, errB := os.Stat(s.dir); errB == nil && os.SameFile(a, b) {
			return errors.New("the snapshot directory is the store's own directory")
		}
	}
	dst, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer dst.Close()
	if _, err := dst.Stat(metaFile); err == nil {
		return errors.New("it already holds a snapshot")
	}
	if err := dst.MkdirAll(dirTmp, 0o750); err != nil {
		return err
	}

	s.gc.RLock() // no blob referenced by the copied metadata may be deleted meanwhile
	defer s.gc.RUnlock()

	tmpMeta := dirTmp + "/" + commerce.NewSecret(12) + ".db"
	defer func() { _ = dst.Remove(tmpMeta) }()
	var ids, private []string
	err = s.db.View(func(tx *bolt.Tx) error {
		f, err := dst.OpenFile(tmpMeta, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return err
		}
		_, err = tx.WriteTo(f)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", metaFile, err)
		}
		if private, err = privateIDs(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}

	dirs := map[string]bool{}
	var linked, copied int
	paths := make([]string, 0, len(ids)+len(private))
	for i, id := range append(ids, private...) {
		if !ValidID(id) {
			return fmt.Errorf("metadata holds an invalid media ID %q", id)
		}
		if i < len(ids) {
			paths = append(paths, blobPath(id))
		} else {
			paths = append(paths, privatePath(id))
		}
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := mkdirAllSynced(dst, path.Dir(p)); err != nil {
			return err
		}
		dirs[path.Dir(p)] = true
		if _, err := dst.Lstat(p); err == nil {
			continue // left by an interrupted earlier attempt; Verify checks it
		}
		// Both paths are built from a validated hex ID under directories the store and the
		// caller chose; os.Root cannot link across two roots.
		err := os.Link(filepath.Join(s.dir, filepath.FromSlash(p)), filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil {
			linked++
			continue
		}
		if err := copyBlob(s.root, dst, p); err != nil {
			return fmt.Errorf("copy blob %s: %w", p, err)
		}
		copied++
	}
	for d := range dirs {
		if err := syncDir(dst, d); err != nil {
			return err
		}
	}
	if err := dst.Rename(tmpMeta, metaFile); err != nil {
		return err
	}
	if err := syncDir(dst, "."); err != nil {
		return err
	}
	_ = dst.Remove(dirTmp) // only when empty; its absence matters to nobody
	s.log.Info("media snapshot written", "dir", dir, "blobs", len(ids), "private", len(private), "linked", linked, "copied", copied)
	return nil
}

func copyBlob(src, dst *os.Root, p string) error {
	f, err := src.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeAtomic(dst, p, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// Verify checks the media snapshot (or closed store) in dir: every original and private
// blob its meta.db references must exist with the recorded size and a SHA-256 equal to its ID. The error
// wraps ErrCorrupt and names every bad blob.
func Verify(dir string) (err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("media: verify %s: %w", dir, err)
	}
	defer root.Close()
	db, err := openBolt(root, dir, DefaultLockTimeout, true)
	if err != nil {
		return fmt.Errorf("media: verify %s: %w", dir, err)
	}
	defer db.Close()

	var problems []error
	var total int
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		if b == nil {
			return fmt.Errorf("%s has no %q bucket", metaFile, bucketBlobs)
		}
		err := b.ForEach(func(k, v []byte) error {
			total++
			id := string(k)
			if !ValidID(id) {
				problems = append(problems, fmt.Errorf("invalid media ID %q in %s", id, metaFile))
				return nil
			}
			m, err := decodeMeta(id, v)
			if err != nil {
				problems = append(problems, err)
				return nil
			}
			if err := verifyBlob(root, blobPath(id), m.ID, m.Size); err != nil {
				problems = append(problems, fmt.Errorf("blob %s: %w", blobPath(id), err))
			}
			return nil
		})
		if err != nil {
			return err
		}
		private, err := privateIDs(tx)
		for _, id := range private {
			total++
			m, ok, err := getPrivate(tx, id)
			switch {
			case !ValidID(id):
				problems = append(problems, fmt.Errorf("invalid private media ID %q in %s", id, metaFile))
			case err != nil || !ok:
				problems = append(problems, fmt.Errorf("private %s: %v", id, err))
			default:
				if err := verifyBlob(root, privatePath(id), id, m.Size); err != nil {
					problems = append(problems, fmt.Errorf("blob %s: %w", privatePath(id), err))
				}
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("media: verify %s: %w", dir, err)
	}
	if len(problems) > 0 {
		sort.Slice(problems, func(i, j int) bool { return problems[i].Error() < problems[j].Error() })
		return fmt.Errorf("%w: %s: %d of %d blobs bad: %w", ErrCorrupt, dir, len(problems), total, errors.Join(problems...))
	}
	return nil
}

// verifyBlob checks that the file at p has the given size and a SHA-256 equal to id.
func verifyBlob(root *os.Root, p, id string, size int64) error {
	f, err := root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != id {
		return fmt.Errorf("content hash is %s", got)
	}
	if n != size {
		return fmt.Errorf("size is %d, recorded %d", n, size)
	}
	return nil
}
