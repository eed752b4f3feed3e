package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/store"
)

// Report is what Verify checked in a snapshot or archive that passed.
type Report struct {
	Path          string
	Archive       bool // Path is an archive file rather than a snapshot directory
	Created       time.Time
	SchemaVersion uint64
	Parts         []string
	Files         int                 // files checked against the manifest
	Bytes         int64               // their total size
	KV            *store.VerifyReport // store.Verify's report on the kv part; nil without one
	Media         bool                // the media part passed media.Verify
	Checked       []string            // one line per check, in the order run
}

// Verify checks, without changing it, the snapshot directory or archive file at path: the
// manifest; every file's presence, size and SHA-256 (missing and unlisted files are errors
// naming them); then store.Verify on the kv part and media.Verify on the media part. An
// archive is read as a stream; only its kv and media files are extracted, into a temporary
// directory under os.TempDir() that is removed afterwards, so the store can be opened. The
// index part is derived data: its checksums are checked, its contents are not.
func Verify(ctx context.Context, path string) (Report, error) {
	rep := Report{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return rep, fmt.Errorf("snapshot: verify: %w", err)
	}
	var man Manifest
	dir := path // where the kv and media parts are checked
	if fi.IsDir() {
		if man, err = readManifest(path); err != nil {
			return rep, err
		}
		rep.fill(&man)
		if err := compareTree(path, &man); err != nil {
			return rep, err
		}
		if err := checkFiles(ctx, path, &man); err != nil {
			return rep, err
		}
	} else {
		rep.Archive = true
		tmp, err := os.MkdirTemp("", "ultramarket-verify-")
		if err != nil {
			return rep, fmt.Errorf("snapshot: verify: %w", err)
		}
		defer os.RemoveAll(tmp)
		man, err = readArchive(ctx, path, tmp, func(p string) bool {
			top := topDir(p)
			return top == partKV || top == partMedia
		})
		if err != nil {
			return rep, err
		}
		rep.fill(&man)
		dir = tmp
	}
	rep.Checked = append(rep.Checked,
		fmt.Sprintf("%s: format %d, created %s, schema version %d, parts %s", ManifestName, man.Format, man.Created.Format(time.RFC3339), man.SchemaVersion, strings.Join(man.Parts, ", ")),
		fmt.Sprintf("files: all %d (%d bytes) present with the size and sha256 the manifest lists, none unlisted", rep.Files, rep.Bytes))
	if err := checkParts(ctx, dir, &man, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

func (r *Report) fill(m *Manifest) {
	r.Created, r.SchemaVersion, r.Parts = m.Created, m.SchemaVersion, m.Parts
	r.Files, r.Bytes = len(m.Files), m.Bytes()
}

// checkParts runs the store and media verifiers on the parts of the snapshot in dir.
func checkParts(ctx context.Context, dir string, man *Manifest, rep *Report) error {
	if man.hasPart(partKV) {
		kv := filepath.Join(dir, partKV)
		lock := filepath.Join(kv, "LOCK")
		_, statErr := os.Lstat(lock)
		vr, err := store.Verify(ctx, kv)
		if errors.Is(statErr, fs.ErrNotExist) {
			// Pebble creates LOCK even when opening read-only; leave the snapshot as found.
			_ = os.Remove(lock)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%w: part %s: %w", ErrCorrupt, partKV, err)
		}
		rep.KV = &vr
		rep.Checked = append(rep.Checked, fmt.Sprintf("%s: store.Verify passed: %d keys, schema version %d, outbox seq %d with %d pending events",
			partKV, vr.Keys, vr.SchemaVersion, vr.OutboxSeq, vr.OutboxRows))
	}
	if man.hasPart(partMedia) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := media.Verify(filepath.Join(dir, partMedia)); err != nil {
			return fmt.Errorf("%w: part %s: %w", ErrCorrupt, partMedia, err)
		}
		rep.Media = true
		rep.Checked = append(rep.Checked, partMedia+": media.Verify passed: every blob matches its metadata")
	}
	for _, p := range man.Parts {
		if p != partKV && p != partMedia {
			rep.Checked = append(rep.Checked, p+": checksums only (derived data, rebuilt when it does not open)")
		}
	}
	return nil
}
