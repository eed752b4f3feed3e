package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Archives are one zstd stream holding a tar: manifest.json first, then every file the
// manifest lists, in its order, as plain regular-file entries.

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Backup writes an online, consistent backup of the parts to w: a temporary snapshot
// (<Dir>/.backup-<id>, not listed and removed afterwards) streamed as one archive. Writes
// may continue meanwhile; the backup holds every update acknowledged before Backup was
// called. On error, what was written to w is incomplete and must be discarded.
func (m *Manager) Backup(ctx context.Context, w io.Writer) error {
	if err := m.enter(); err != nil {
		return err
	}
	defer m.leave()
	dir := filepath.Join(m.cfg.Dir, backupPrefix+randomID())
	defer os.RemoveAll(dir)
	if _, err := m.build(ctx, dir, false); err != nil {
		return err
	}
	return WriteArchive(ctx, w, dir)
}

// WriteArchive streams the snapshot in snapshotDir to w as one zstd-compressed tar whose
// first entry is its manifest. Every file is checked against the manifest as it is read,
// so a damaged snapshot fails (naming the file) instead of producing a damaged archive; on
// error, what was written to w must be discarded.
func WriteArchive(ctx context.Context, w io.Writer, snapshotDir string) error {
	man, err := readManifest(snapshotDir)
	if err != nil {
		return err
	}
	if err := compareTree(snapshotDir, &man); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(snapshotDir, ManifestName))
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	// One encoder goroutine: a backup runs beside a serving store on a small machine.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("snapshot: archive: %w", err)
	}
	defer zw.Close() // releases the encoder on an early return
	tw := tar.NewWriter(zw)
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{
			Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o640,
			ModTime: man.Created, Format: tar.FormatPAX,
		}
	}
	if err := tw.WriteHeader(hdr(ManifestName, int64(len(raw)))); err != nil {
		return fmt.Errorf("snapshot: archive: %w", err)
	}
	if _, err := tw.Write(raw); err != nil {
		return fmt.Errorf("snapshot: archive: %w", err)
	}
	for _, f := range man.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := tw.WriteHeader(hdr(f.Path, f.Size)); err != nil {
			return fmt.Errorf("snapshot: archive %s: %w", f.Path, err)
		}
		if err := copyChecked(tw, filePath(snapshotDir, f.Path), f); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("snapshot: archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("snapshot: archive: %w", err)
	}
	return nil
}

// copyChecked copies exactly f.Size bytes of the file at p to w and checks its SHA-256.
func copyChecked(w io.Writer, p string, f File) error {
	src, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer src.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(src, f.Size))
	if err != nil {
		return fmt.Errorf("snapshot: copy %s: %w", p, err)
	}
	var extra [1]byte
	if m, _ := src.Read(extra[:]); n != f.Size || m != 0 {
		return fmt.Errorf("%w: %s: size differs from the manifest's %d bytes", ErrCorrupt, p, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("%w: %s: sha256 %s, the manifest says %s", ErrCorrupt, p, sum, f.SHA256)
	}
	return nil
}

// readArchive reads the archive at name to its end, checking every entry against the
// manifest (first entry) and rejecting unsafe entries: absolute paths, "..", links, devices,
// directories, anything not listed. Files for which extract returns true are written under
// dst (which must exist); the rest are only hashed. Every error names the archive and,
// where there is one, the entry.
func readArchive(ctx context.Context, name, dst string, extract func(p string) bool) (Manifest, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("snapshot: archive %s: %s", name, fmt.Sprintf(format, args...))
	}
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: archive %s: %s", ErrCorrupt, name, fmt.Sprintf(format, args...))
	}
	f, err := os.Open(name)
	if err != nil {
		return Manifest{}, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if magic, err := br.Peek(len(zstdMagic)); err != nil || !bytes.Equal(magic, zstdMagic) {
		return Manifest{}, corrupt("not a zstd-compressed snapshot archive")
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return Manifest{}, fail("%v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)

	hdr, err := tr.Next()
	if err != nil {
		return Manifest{}, corrupt("reading the first entry: %s", readProblem(err))
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg || hdr.Size > maxManifestBytes {
		return Manifest{}, corrupt("the first entry is %q, not %s", hdr.Name, ManifestName)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return Manifest{}, corrupt("entry %s: %s", ManifestName, readProblem(err))
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return man, corrupt("entry %s: %v", ManifestName, err)
	}
	if err := man.validate(); err != nil {
		return man, corrupt("entry %s: %v", ManifestName, err)
	}

	var root *os.Root
	if dst != "" {
		if root, err = os.OpenRoot(dst); err != nil {
			return man, fmt.Errorf("snapshot: %w", err)
		}
		defer root.Close()
	}
	want := man.fileIndex()
	seen := make(map[string]bool, len(want))
	last := ManifestName
	for {
		if err := ctx.Err(); err != nil {
			return man, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return man, corrupt("after entry %s: %s", last, readProblem(err))
		}
		last = hdr.Name
		if hdr.Typeflag != tar.TypeReg {
			return man, corrupt("entry %q is not a regular file (type %q)", hdr.Name, hdr.Typeflag)
		}
		if !validFilePath(hdr.Name) {
			return man, corrupt("entry %q has an unsafe path", hdr.Name)
		}
		fm, ok := want[hdr.Name]
		switch {
		case !ok:
			return man, corrupt("entry %s is not in the manifest", hdr.Name)
		case seen[hdr.Name]:
			return man, corrupt("entry %s appears twice", hdr.Name)
		case hdr.Size != fm.Size:
			return man, corrupt("entry %s is %d bytes, the manifest says %d", hdr.Name, hdr.Size, fm.Size)
		}
		seen[hdr.Name] = true
		bad, err := readEntry(tr, root, fm, extract != nil && extract(fm.Path))
		if bad != "" {
			return man, corrupt("entry %s: %s", hdr.Name, bad)
		}
		if err != nil {
			return man, fail("entry %s: %v", hdr.Name, err)
		}
	}
	var missing []string
	for _, fm := range man.Files {
		if !seen[fm.Path] {
			missing = append(missing, fm.Path+": missing")
		}
	}
	if err := problemsError("archive "+name, missing); err != nil {
		return man, err
	}
	// Read the compressed stream to its end: a cut or damaged tail fails here even when the
	// tar's end marker was read.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return man, corrupt("after the last entry: %s", readProblem(err))
	}
	if _, err := br.Peek(1); !errors.Is(err, io.EOF) {
		return man, corrupt("unexpected data after the compressed stream")
	}
	return man, nil
}

// readEntry reads one entry, checking its size and SHA-256, and writes it under root when
// write is set. bad describes a damaged entry (including a read error from the archive);
// err is a failure to write the copy.
func readEntry(r io.Reader, root *os.Root, fm File, write bool) (bad string, err error) {
	h := sha256.New()
	var out io.Writer = h
	if write {
		if err := root.MkdirAll(path.Dir(fm.Path), 0o750); err != nil {
			return "", err
		}
		file, err := root.OpenFile(fm.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return "", err
		}
		defer func() {
			if err == nil && bad == "" {
				err = file.Sync()
			}
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}()
		out = io.MultiWriter(file, h)
	}
	src := &readTracker{r: r}
	n, err := io.Copy(out, src)
	if src.err != nil {
		return readProblem(src.err), nil
	}
	if err != nil {
		return "", err
	}
	if n != fm.Size {
		return fmt.Sprintf("%d bytes, the manifest says %d", n, fm.Size), nil
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != fm.SHA256 {
		return fmt.Sprintf("sha256 %s, the manifest says %s", sum, fm.SHA256), nil
	}
	return "", nil
}

// readTracker remembers a read error other than io.EOF, telling it apart from write errors.
type readTracker struct {
	r   io.Reader
	err error
}

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		t.err = err
	}
	return n, err
}

// readProblem describes an error reading an archive; a cut-off stream says so.
func readProblem(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of data: the archive is truncated"
	}
	return err.Error()
}
