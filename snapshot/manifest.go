package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ManifestName is the file at the root of every snapshot (and the first entry of every
// archive) that lists its parts and the size and SHA-256 of each of its files.
const ManifestName = "manifest.json"

// FormatVersion is the manifest format this build writes and the newest it reads.
const FormatVersion = 1

// manifestKind marks a manifest as ours, so a stray JSON file is not mistaken for one.
const manifestKind = "ultramarket-snapshot"

// maxManifestBytes bounds the manifest read from a directory or an archive.
const maxManifestBytes = 64 << 20

// Manifest describes one snapshot.
type Manifest struct {
	Kind          string    `json:"kind"`           // always "ultramarket-snapshot"
	Format        int       `json:"format"`         // FormatVersion when written
	Created       time.Time `json:"created"`        // UTC
	SchemaVersion uint64    `json:"schema_version"` // store.SchemaVersion() of the build that wrote it
	Parts         []string  `json:"parts"`          // top-level directories, one per Part
	Files         []File    `json:"files"`          // every file except the manifest, sorted by path
}

// File is one file of a snapshot.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the snapshot root
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// Bytes is the total size of the files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

var partNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// validPart reports whether name can be a part, i.e. a top-level directory of a snapshot.
func validPart(name string) bool { return partNameRE.MatchString(name) }

// validFilePath reports whether p is a clean, relative, slash-separated path inside a
// snapshot: no absolute path, no "." or ".." element, no backslash.
func validFilePath(p string) bool {
	return fs.ValidPath(p) && p != "." && !strings.Contains(p, `\`) && p != ManifestName
}

// validate checks m is a manifest this build can read and that its paths are safe.
func (m *Manifest) validate() error {
	if m.Kind != manifestKind {
		return fmt.Errorf("kind is %q, not %q", m.Kind, manifestKind)
	}
	if m.Format < 1 || m.Format > FormatVersion {
		return fmt.Errorf("format %d is not supported by this build (newest %d); use a newer ultramarket", m.Format, FormatVersion)
	}
	parts := map[string]bool{}
	for _, p := range m.Parts {
		if !validPart(p) || parts[p] {
			return fmt.Errorf("invalid or repeated part %q", p)
		}
		parts[p] = true
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !validFilePath(f.Path) {
			return fmt.Errorf("unsafe file path %q", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("file %q listed twice", f.Path)
		}
		seen[f.Path] = true
		if top, _, _ := strings.Cut(f.Path, "/"); !parts[top] || top == f.Path {
			return fmt.Errorf("file %q is not inside a part", f.Path)
		}
		if f.Size < 0 {
			return fmt.Errorf("file %q has negative size", f.Path)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("file %q has an invalid sha256 %q", f.Path, f.SHA256)
		}
	}
	return nil
}

// fileIndex maps each file's path to its entry.
func (m *Manifest) fileIndex() map[string]File {
	idx := make(map[string]File, len(m.Files))
	for _, f := range m.Files {
		idx[f.Path] = f
	}
	return idx
}

func (m *Manifest) hasPart(name string) bool { return slices.Contains(m.Parts, name) }

func (m *Manifest) hasFile(p string) bool {
	return slices.ContainsFunc(m.Files, func(f File) bool { return f.Path == p })
}

// parseManifest decodes and validates a manifest; name is used in errors.
func parseManifest(b []byte, name string) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("snapshot: %s: %w", name, err)
	}
	if err := m.validate(); err != nil {
		return m, fmt.Errorf("snapshot: %s: %w", name, err)
	}
	return m, nil
}

// readManifest reads and validates dir/manifest.json.
func readManifest(dir string) (Manifest, error) {
	p := filepath.Join(dir, ManifestName)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("snapshot: %s is not a snapshot: it has no %s: %w", dir, ManifestName, err)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return Manifest{}, fmt.Errorf("snapshot: read %s: %w", p, err)
	}
	if len(b) > maxManifestBytes {
		return Manifest{}, fmt.Errorf("snapshot: %s is larger than %d bytes", p, maxManifestBytes)
	}
	return parseManifest(b, p)
}

// writeManifest writes dir/manifest.json and syncs it.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("snapshot: encode manifest: %w", err)
	}
	p := filepath.Join(dir, ManifestName)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("snapshot: write %s: %w", p, err)
	}
	return nil
}

// walkFiles returns the size of every file under dir (except the root manifest) by
// slash-separated relative path, and the relative paths of its directories, deepest first.
// Anything that is neither a regular file nor a directory is an error naming it.
func walkFiles(dir string) (files map[string]int64, dirs []string, err error) {
	files = map[string]int64{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			dirs = append(dirs, rel)
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file (%s)", p, d.Type())
		case rel == ManifestName:
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		files[rel] = fi.Size()
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: list %s: %w", dir, err)
	}
	slices.Reverse(dirs) // WalkDir visits parents first
	return files, dirs, nil
}

// compareTree checks that the files under dir are exactly those of m with their sizes,
// naming every missing, extra or resized file.
func compareTree(dir string, m *Manifest) error {
	files, _, err := walkFiles(dir)
	if err != nil {
		return err
	}
	var problems []string
	for _, f := range m.Files {
		size, ok := files[f.Path]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing", f.Path))
		case size != f.Size:
			problems = append(problems, fmt.Sprintf("%s: %d bytes, the manifest says %d", f.Path, size, f.Size))
		}
		delete(files, f.Path)
	}
	for p := range files {
		problems = append(problems, fmt.Sprintf("%s: not in the manifest", p))
	}
	return problemsError(dir, problems)
}

// problemsError joins problems found in where into one error, or returns nil.
func problemsError(where string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	const most = 20
	msg := strings.Join(problems[:min(len(problems), most)], "; ")
	if len(problems) > most {
		msg += fmt.Sprintf("; and %d more", len(problems)-most)
	}
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, where, msg)
}

// hashFile returns the size and SHA-256 of the file at p, syncing it first when sync is set.
func hashFile(p string, sync bool) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if sync {
		if err := f.Sync(); err != nil {
			return 0, "", fmt.Errorf("sync %s: %w", p, err)
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", p, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// checkFiles re-reads every file of m under dir and compares size and SHA-256, naming each
// file that differs.
func checkFiles(ctx context.Context, dir string, m *Manifest) error {
	var problems []string
	for _, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)), false)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%s: missing", f.Path))
		case err != nil:
			return fmt.Errorf("snapshot: %w", err)
		case n != f.Size:
			problems = append(problems, fmt.Sprintf("%s: %d bytes, the manifest says %d", f.Path, n, f.Size))
		case sum != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s: sha256 %s, the manifest says %s", f.Path, sum, f.SHA256))
		}
	}
	return problemsError(dir, problems)
}

// syncDir fsyncs a directory so the entries created or renamed in it are durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// filePath joins a manifest path to a root directory.
func filePath(root, p string) string { return filepath.Join(root, filepath.FromSlash(p)) }

// topDir returns the first element of a slash-separated path.
func topDir(p string) string {
	top, _, _ := strings.Cut(p, "/")
	return top
}
