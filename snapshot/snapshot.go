// Package snapshot owns UltraMarket's snapshots, backups and restores. A snapshot is a
// directory under <data>/snapshots holding one consistent copy of each part (the Pebble
// store as "kv", the media store as "media", the search index as "index") and a
// manifest.json listing every file with its size and SHA-256. The Manager writes snapshots
// on demand and periodically, lists and prunes them, and streams online backups as one
// zstd-compressed tar whose first entry is the manifest. Restore and Verify check every
// byte against the manifest, and the store and media invariants, before trusting a snapshot
// or an archive; Restore writes nothing into the data dir until all of that has passed.
//
// The event bus (<data>/bus) is never snapshotted or restored: it is derived, and the
// outbox in the store refills it.
package snapshot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/store"
)

// Defaults applied to zero Config fields.
const DefaultKeep = 8

// Directory name prefixes inside Config.Dir. Entries starting with '.' are never snapshots.
const (
	tmpPrefix    = ".tmp-"    // a snapshot being written; renamed when complete
	backupPrefix = ".backup-" // a snapshot written for one Backup and removed after it
	delPrefix    = ".del-"    // a snapshot being removed by Prune
)

// nameLayout names snapshots by their UTC creation time, so names sort by age.
const nameLayout = "20060102T150405Z"

// Sentinel errors.
var (
	// ErrCorrupt is wrapped by errors reporting a snapshot or archive whose contents do not
	// match its manifest, or whose store or media fail verification.
	ErrCorrupt = errors.New("snapshot: corrupt")
	// ErrClosed is returned by a Manager's methods after Close.
	ErrClosed = errors.New("snapshot: manager closed")
)

// Part is one component written into every snapshot, under a directory named Name().
type Part interface {
	// Name is the part's directory in a snapshot and in the data dir: lower-case letters,
	// digits, '_' or '-', starting with a letter.
	Name() string
	// SnapshotTo writes a consistent, openable copy of the part into dir, which does not
	// exist yet. It must be safe to call while the part is in use.
	SnapshotTo(ctx context.Context, dir string) error
}

// StorePart returns the Pebble store as the part "kv", written by (*store.DB).Checkpoint.
func StorePart(db *store.DB) Part { return storePart{db: db} }

type storePart struct{ db *store.DB }

func (storePart) Name() string { return partKV }

func (p storePart) SnapshotTo(ctx context.Context, dir string) error {
	if err := p.db.Checkpoint(ctx, dir); err != nil {
		return err
	}
	// Pebble creates LOCK even when it opens read-only; shipping an empty one lets Verify
	// open the checkpoint in place without adding a file the manifest does not list.
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_WRONLY|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("snapshot: create %s: %w", filepath.Join(dir, "LOCK"), err)
	}
	return f.Close()
}

// MediaPart returns the media store as the part "media", written by (*media.Store).SnapshotTo.
func MediaPart(m *media.Store) Part { return mediaPart{m: m} }

type mediaPart struct{ m *media.Store }

func (mediaPart) Name() string { return partMedia }

func (p mediaPart) SnapshotTo(ctx context.Context, dir string) error { return p.m.SnapshotTo(ctx, dir) }

// Part names the data dir knows. Restore moves exactly these into the data dir.
const (
	partKV    = "kv"
	partMedia = "media"
	partIndex = "index"
)

// Config configures a Manager.
type Config struct {
	// Dir holds the snapshots, one directory each. Required; the app passes <data>/snapshots.
	// It is created when missing.
	Dir string

	// Keep is how many snapshots the periodic run keeps; older ones are removed. 0 = 8.
	Keep int

	// Interval is the time between periodic snapshots once Start is called.
	// 0 = no periodic snapshots (Start does nothing).
	Interval time.Duration

	// Clock dates and names snapshots. nil = commerce.SystemClock{}.
	Clock commerce.Clock

	// Logger receives the manager's logs. nil = slog.Default().
	Logger *slog.Logger

	// Observe, when set, is called after each periodic run with the snapshot written and
	// the run's error (from Create or Prune), for metrics. nil = not called.
	Observe func(Info, error)
}

func (c Config) withDefaults() Config {
	if c.Keep == 0 {
		c.Keep = DefaultKeep
	}
	c.Clock = commerce.OrSystemClock(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Dir == "":
		return errors.New("snapshot: Config.Dir is required")
	case c.Keep < 0:
		return fmt.Errorf("snapshot: Config.Keep is %d; it must be 0 (default %d) or more", c.Keep, DefaultKeep)
	case c.Interval < 0:
		return fmt.Errorf("snapshot: Config.Interval is %s; it must be 0 (off) or more", c.Interval)
	}
	return nil
}

// Info describes a finished snapshot.
type Info struct {
	Name          string    // directory name under Config.Dir, e.g. 20261125T203000Z
	Path          string    // full path of that directory
	Created       time.Time // UTC, from the manifest
	Files         int       // files listed in the manifest
	Bytes         int64     // their total size
	Parts         []string
	SchemaVersion uint64
}

func infoOf(name, dir string, m *Manifest) Info {
	return Info{
		Name: name, Path: dir, Created: m.Created, Files: len(m.Files), Bytes: m.Bytes(),
		Parts: slices.Clone(m.Parts), SchemaVersion: m.SchemaVersion,
	}
}

// Manager writes, lists and prunes the snapshots in one directory. It is safe for
// concurrent use. It assumes it is the only Manager on its directory, which the data-dir
// lock of the running process ensures.
type Manager struct {
	cfg   Config
	parts []Part
	log   *slog.Logger

	nameMu sync.Mutex // orders choosing a snapshot's name and renaming it, and pruning

	mu      sync.Mutex
	closed  bool
	started bool
	ops     sync.WaitGroup  // calls in progress and the periodic goroutine
	ctx     context.Context // cancelled by Close; periodic runs use it
	cancel  context.CancelFunc
}

// New validates cfg, creates cfg.Dir when missing and removes what an interrupted earlier
// run left in it (unfinished snapshots, backups and removals). Parts are written in the
// order given: pass the store before the media store, so the media copy, taken later,
// holds every blob the store copy references.
func New(cfg Config, parts ...Part) (*Manager, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, errors.New("snapshot: no parts to snapshot")
	}
	names := map[string]bool{}
	for _, p := range parts {
		if p == nil {
			return nil, errors.New("snapshot: nil part")
		}
		if n := p.Name(); !validPart(n) || names[n] {
			return nil, fmt.Errorf("snapshot: invalid or repeated part name %q", n)
		}
		names[p.Name()] = true
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("snapshot: create %s: %w", cfg.Dir, err)
	}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", cfg.Dir, err)
	}
	log := cfg.Logger.With("component", "snapshot")
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, tmpPrefix) || strings.HasPrefix(n, backupPrefix) || strings.HasPrefix(n, delPrefix) {
			p := filepath.Join(cfg.Dir, n)
			if err := os.RemoveAll(p); err != nil {
				return nil, fmt.Errorf("snapshot: remove leftover %s: %w", p, err)
			}
			log.Info("removed an interrupted snapshot's leftovers", "dir", p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg: cfg, parts: slices.Clone(parts), log: log,
		ctx: ctx, cancel: cancel,
	}, nil
}

// Dir returns the directory holding the snapshots.
func (m *Manager) Dir() string { return m.cfg.Dir }

func (m *Manager) enter() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.ops.Add(1)
	return nil
}

func (m *Manager) leave() { m.ops.Done() }

// Create writes a new snapshot: every part into <Dir>/.tmp-<id>/<part>/, then the manifest,
// fsyncs every file and directory, and renames the directory to <Dir>/<UTC time> (with a
// "-2", "-3"... suffix when that name is taken). On failure the temporary directory is
// removed and no snapshot appears.
func (m *Manager) Create(ctx context.Context) (Info, error) {
	if err := m.enter(); err != nil {
		return Info{}, err
	}
	defer m.leave()
	start := time.Now()
	tmp := filepath.Join(m.cfg.Dir, tmpPrefix+randomID())
	man, err := m.build(ctx, tmp, true)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return Info{}, err
	}

	m.nameMu.Lock()
	defer m.nameMu.Unlock()
	base := man.Created.Format(nameLayout)
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(m.cfg.Dir, name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = base + "-" + strconv.Itoa(i)
	}
	final := filepath.Join(m.cfg.Dir, name)
	if err := os.Rename(tmp, final); err != nil {
		_ = os.RemoveAll(tmp)
		return Info{}, fmt.Errorf("snapshot: rename %s to %s: %w", tmp, final, err)
	}
	if err := syncDir(m.cfg.Dir); err != nil {
		return Info{}, fmt.Errorf("snapshot: %w", err)
	}
	info := infoOf(name, final, &man)
	m.log.Info("snapshot written", "name", name, "files", info.Files, "bytes", info.Bytes, "took", time.Since(start))
	return info, nil
}

// build writes every part and the manifest into dir, which must not exist. With durable
// set every file and directory is fsynced before the manifest is written.
func (m *Manager) build(ctx context.Context, dir string, durable bool) (Manifest, error) {
	man := Manifest{
		Kind: manifestKind, Format: FormatVersion, Created: m.cfg.Clock.Now().UTC(),
		SchemaVersion: store.SchemaVersion(),
	}
	if err := ctx.Err(); err != nil {
		return man, err
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		return man, fmt.Errorf("snapshot: %w", err)
	}
	for _, p := range m.parts {
		if err := ctx.Err(); err != nil {
			return man, err
		}
		pdir := filepath.Join(dir, p.Name())
		if err := p.SnapshotTo(ctx, pdir); err != nil {
			return man, fmt.Errorf("snapshot: part %s into %s: %w", p.Name(), pdir, err)
		}
		if fi, err := os.Stat(pdir); err != nil || !fi.IsDir() {
			return man, fmt.Errorf("snapshot: part %s wrote no directory %s", p.Name(), pdir)
		}
		man.Parts = append(man.Parts, p.Name())
	}
	files, dirs, err := walkFiles(dir)
	if err != nil {
		return man, err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return man, err
		}
		n, sum, err := hashFile(filePath(dir, p), durable)
		if err != nil {
			return man, fmt.Errorf("snapshot: %w", err)
		}
		man.Files = append(man.Files, File{Path: p, Size: n, SHA256: sum})
	}
	if durable {
		for _, d := range dirs {
			if err := syncDir(filePath(dir, d)); err != nil {
				return man, fmt.Errorf("snapshot: %w", err)
			}
		}
	}
	if err := man.validate(); err != nil {
		return man, fmt.Errorf("snapshot: %s: %w", dir, err)
	}
	if err := writeManifest(dir, &man); err != nil {
		return man, err
	}
	if durable {
		if err := syncDir(dir); err != nil {
			return man, fmt.Errorf("snapshot: %w", err)
		}
	}
	return man, nil
}

// List returns the finished snapshots, newest first. A directory without a readable
// manifest is skipped with a warning.
func (m *Manager) List() ([]Info, error) {
	entries, err := os.ReadDir(m.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", m.cfg.Dir, err)
	}
	var out []Info
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(m.cfg.Dir, e.Name())
		man, err := readManifest(dir)
		if err != nil {
			m.log.Warn("skipping a directory that is not a valid snapshot", "dir", dir, "err", err)
			continue
		}
		out = append(out, infoOf(e.Name(), dir, &man))
	}
	slices.SortFunc(out, func(a, b Info) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		an, as := splitName(a.Name)
		bn, bs := splitName(b.Name)
		return cmp.Or(strings.Compare(bn, an), cmp.Compare(bs, as))
	})
	return out, nil
}

// splitName splits "20261125T203000Z-3" into its base and suffix number (1 without one).
func splitName(name string) (string, int) {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i], n
		}
	}
	return name, 1
}

// Prune removes all but the newest keep snapshots (keep must be at least 1) and returns
// the removed ones. Each is first renamed to a hidden name, so an interruption never leaves
// a half-removed snapshot that looks complete.
func (m *Manager) Prune(ctx context.Context, keep int) ([]Info, error) {
	if keep < 1 {
		return nil, fmt.Errorf("snapshot: prune: keep is %d; it must be at least 1", keep)
	}
	if err := m.enter(); err != nil {
		return nil, err
	}
	defer m.leave()
	return m.prune(ctx, keep)
}

// prune is Prune for a caller already counted in m.ops (the periodic loop), so it also
// completes while Close waits.
func (m *Manager) prune(ctx context.Context, keep int) ([]Info, error) {
	m.nameMu.Lock()
	defer m.nameMu.Unlock()
	list, err := m.List()
	if err != nil {
		return nil, err
	}
	var removed []Info
	for _, info := range list[min(keep, len(list)):] {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		hidden := filepath.Join(m.cfg.Dir, delPrefix+info.Name)
		if err := os.Rename(info.Path, hidden); err != nil {
			return removed, fmt.Errorf("snapshot: prune %s: %w", info.Path, err)
		}
		if err := os.RemoveAll(hidden); err != nil {
			return removed, fmt.Errorf("snapshot: prune %s: %w", hidden, err)
		}
		removed = append(removed, info)
		m.log.Info("snapshot removed", "name", info.Name)
	}
	if len(removed) > 0 {
		if err := syncDir(m.cfg.Dir); err != nil {
			return removed, fmt.Errorf("snapshot: %w", err)
		}
	}
	return removed, nil
}

// Start begins periodic snapshots: every Interval, Create then Prune(Keep), until Close.
// It does nothing when Interval is 0, when already started, or after Close.
func (m *Manager) Start() {
	if m.cfg.Interval <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.started {
		return
	}
	m.started = true
	m.ops.Add(1)
	go m.loop()
}

func (m *Manager) loop() {
	defer m.ops.Done()
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		info, err := m.Create(m.ctx)
		if err == nil {
			// Pruning is quick and keeps retention true even when Close arrives meanwhile.
			_, err = m.prune(context.WithoutCancel(m.ctx), m.cfg.Keep)
		}
		if m.ctx.Err() != nil {
			return // closing: an interrupted run is not a failure
		}
		if err != nil {
			m.log.Error("periodic snapshot failed", "err", err)
		}
		if m.cfg.Observe != nil {
			m.cfg.Observe(info, err)
		}
	}
}

// Close stops periodic snapshots, interrupting one in progress, and waits for every call
// in progress to return. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.ops.Wait()
	return nil
}

// randomID returns a short random hex string for temporary names.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
