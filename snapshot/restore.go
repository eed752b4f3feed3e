package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ultramarket/ultramarket/internal/datadir"
)

// ignoredEntries may be in a data dir that counts as empty for Restore: the lock file,
// the snapshots (a restore often comes from one of them) and a running server's admin
// socket left by a crash.
var ignoredEntries = []string{datadir.LockName, "snapshots", "admin.sock"}

// replacedEntries are what a forced restore moves out of the data dir: the parts and the
// event bus, which is derived from the store and would disagree with the restored outbox.
var replacedEntries = []string{partKV, partMedia, partIndex, "bus"}

// ErrNotEmpty is returned by Restore for a data dir that already holds data, unless forced.
var ErrNotEmpty = errors.New("snapshot: the data dir is not empty")

// Restore puts the snapshot at from (a snapshot directory or an archive file, told apart by
// stat) into dataDir. It refuses a dataDir held by a running process (<dataDir>/LOCK is
// flocked) and, unless force is set, a dataDir holding anything but LOCK, snapshots/ and
// admin.sock.
//
// Everything is checked before dataDir is touched: the snapshot is copied or extracted
// into <dataDir>.restore-<id> next to it (an archive entry with an absolute path, "..", a
// link or any other non-regular type is refused), every file is checked against the
// manifest (size and SHA-256; missing and unlisted files are errors naming them), and the
// copy passes store.Verify and media.Verify. Only then are the parts (kv, media and index
// when present) renamed into dataDir, which is created when missing. With force, the old
// kv, media, index and bus are first moved aside into the staging directory, and removed
// after success or moved back on failure. A damaged or truncated source leaves dataDir
// unchanged (not even created). Only a crash during the final renames can leave a
// <dataDir>.restore-<id> directory behind; its old/ holds what force moved aside.
func Restore(ctx context.Context, from, dataDir string, force bool) (err error) {
	if dataDir == "" {
		return errors.New("snapshot: restore: no data dir given")
	}
	dataDir, err = filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("snapshot: restore: %w", err)
	}
	src, err := os.Stat(from)
	if err != nil {
		return fmt.Errorf("snapshot: restore: %w", err)
	}

	lock, err := datadir.Acquire(dataDir, false)
	if err != nil {
		return fmt.Errorf("snapshot: restore into %s: %w", dataDir, err)
	}
	defer func() { lock.Release() }()
	occupied, err := occupiedEntries(dataDir)
	if err != nil {
		return err
	}
	if len(occupied) > 0 && !force {
		return fmt.Errorf("%w: restore into %s: it holds %s; restoring with force replaces them",
			ErrNotEmpty, dataDir, strings.Join(occupied, ", "))
	}

	parent := filepath.Dir(dataDir)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("snapshot: restore: %w", err)
	}
	staging := dataDir + ".restore-" + randomID()
	newDir := filepath.Join(staging, "new")
	if err := os.MkdirAll(newDir, 0o750); err != nil {
		return fmt.Errorf("snapshot: restore: %w", err)
	}
	keepStaging := false
	defer func() {
		if !keepStaging {
			_ = os.RemoveAll(staging)
		}
	}()

	// Check everything before writing into dataDir.
	unchanged := func(err error) error {
		return fmt.Errorf("%w (nothing was written to %s)", err, dataDir)
	}
	var man Manifest
	if src.IsDir() {
		man, err = copySnapshot(ctx, from, newDir)
	} else {
		man, err = readArchive(ctx, from, newDir, func(string) bool { return true })
	}
	if err != nil {
		return unchanged(err)
	}
	if err := restorable(from, &man); err != nil {
		return unchanged(err)
	}
	if err := checkParts(ctx, newDir, &man, &Report{}); err != nil {
		return unchanged(err)
	}
	if err := syncTree(newDir); err != nil {
		return unchanged(err)
	}
	if err := ctx.Err(); err != nil {
		return unchanged(err)
	}

	// Install: from here on dataDir changes.
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("snapshot: restore: %w", err)
	}
	if lock == nil {
		// Keep a server from starting on the data dir while the parts move in.
		if lock, err = datadir.Acquire(dataDir, true); err != nil {
			return fmt.Errorf("snapshot: restore into %s: %w", dataDir, err)
		}
	}
	oldDir := filepath.Join(staging, "old")
	var aside, moved []string
	rollback := func(cause error) error {
		var errs []error
		for _, n := range slices.Backward(moved) {
			errs = append(errs, os.Rename(filepath.Join(dataDir, n), filepath.Join(newDir, n)))
		}
		for _, n := range slices.Backward(aside) {
			errs = append(errs, os.Rename(filepath.Join(oldDir, n), filepath.Join(dataDir, n)))
		}
		if rerr := errors.Join(errs...); rerr != nil {
			keepStaging = true
			return fmt.Errorf("snapshot: restore into %s: %w; putting the previous contents back failed too (they are in %s): %w", dataDir, cause, oldDir, rerr)
		}
		return fmt.Errorf("snapshot: restore into %s: %w (the previous contents were put back)", dataDir, cause)
	}
	if force {
		if err := os.Mkdir(oldDir, 0o750); err != nil {
			return fmt.Errorf("snapshot: restore: %w", err)
		}
		for _, n := range replacedEntries {
			p := filepath.Join(dataDir, n)
			if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err := os.Rename(p, filepath.Join(oldDir, n)); err != nil {
				return rollback(err)
			}
			aside = append(aside, n)
		}
	}
	for _, n := range man.Parts {
		if err := os.Rename(filepath.Join(newDir, n), filepath.Join(dataDir, n)); err != nil {
			return rollback(err)
		}
		moved = append(moved, n)
	}
	for _, d := range []string{dataDir, newDir, parent} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("snapshot: restore: %w", err)
		}
	}
	return nil
}

// restorable checks the manifest describes something Restore can install.
func restorable(from string, m *Manifest) error {
	if !m.hasPart(partKV) {
		return fmt.Errorf("%w: %s has no %s part", ErrCorrupt, from, partKV)
	}
	for _, p := range m.Parts {
		if p != partKV && p != partMedia && p != partIndex {
			return fmt.Errorf("snapshot: %s holds part %q, which this build cannot restore; use a newer ultramarket", from, p)
		}
	}
	return nil
}

// copySnapshot copies the snapshot directory src into dst (which exists), checking every
// file against the manifest as it goes.
func copySnapshot(ctx context.Context, src, dst string) (Manifest, error) {
	man, err := readManifest(src)
	if err != nil {
		return man, err
	}
	if err := compareTree(src, &man); err != nil {
		return man, err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return man, fmt.Errorf("snapshot: %w", err)
	}
	defer root.Close()
	for _, f := range man.Files {
		if err := ctx.Err(); err != nil {
			return man, err
		}
		p := filePath(src, f.Path)
		in, err := os.Open(p)
		if err != nil {
			return man, fmt.Errorf("snapshot: %w", err)
		}
		bad, err := readEntry(in, root, f, true)
		in.Close()
		if bad != "" {
			return man, fmt.Errorf("%w: %s: %s", ErrCorrupt, p, bad)
		}
		if err != nil {
			return man, fmt.Errorf("snapshot: copy %s: %w", p, err)
		}
	}
	return man, nil
}

// syncTree fsyncs every directory under dir (files were synced as they were written).
func syncTree(dir string) error {
	_, dirs, err := walkFiles(dir)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := syncDir(filePath(dir, d)); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}

// occupiedEntries lists what dataDir holds besides ignoredEntries; a missing dataDir holds
// nothing.
func occupiedEntries(dataDir string) ([]string, error) {
	entries, err := os.ReadDir(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: restore into %s: %w", dataDir, err)
	}
	var out []string
	for _, e := range entries {
		if !slices.Contains(ignoredEntries, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
