// Package index owns UltraMarket's full-text product search: the Bleve mapping and analyzers,
// queries with typo tolerance, filters and facets, applying catalog events, and rebuilding the
// whole index from the store. The index is derived state: Pebble is the system of record, and
// any index directory that is missing, unreadable or built with another mapping version is
// rebuilt from it at Open.
//
// The index keeps a high-water mark, the Seq of the last applied commerce.Event, inside Bleve
// (an internal key written in the same batch as the documents it covers), so after a crash the
// documents and the mark agree and redelivered events are skipped.
package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// DefaultBatchSize is the number of documents per Bleve batch during a rebuild. Batching is
// what makes rebuilds fast: about 7k docs/s at 1,000 per batch against about 120/s one by one.
const DefaultBatchSize = 1000

// Internal (non-document) keys kept inside the Bleve index.
var (
	keyHighWater      = []byte("um.high_water")
	keyMappingVersion = []byte("um.mapping_version")
)

// Errors returned by the index.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = &commerce.Error{Kind: commerce.EUnavailable, Code: "index_closed", Message: "index: closed"}
	// ErrUnavailable is returned when a rebuild could not reopen the index; the next Open
	// rebuilds it.
	ErrUnavailable = &commerce.Error{Kind: commerce.EUnavailable, Code: "index_unavailable", Message: "index: unavailable"}
)

var errDirMissing = errors.New("index directory missing")

// Config configures an Index. Zero values mean the documented default.
type Config struct {
	// Dir is the directory of the Bleve index (the app passes <data>/index). Required. Rebuilds
	// use sibling directories <Dir>.rebuild-<id> and <Dir>.old-<id>, so the parent directory
	// must be writable.
	Dir string
	// BatchSize is the number of documents per Bleve batch when rebuilding. 0 means
	// DefaultBatchSize (1000).
	BatchSize int
	// SourceSeq reports the Seq of the last event committed to the store (the outbox sequence).
	// A rebuild calls it before it scans the store and stores the answer as the new high-water
	// mark, so events already reflected by the scan are skipped when redelivered. nil means: keep
	// the current mark on Rebuild, and start from 0 on a rebuild at Open (replaying older
	// events is harmless because they carry whole products and converge in order).
	SourceSeq func(ctx context.Context) (uint64, error)
	// Logger receives rebuild and skipped-event messages. nil means slog.Default().
	Logger *slog.Logger
	// BackgroundRebuild makes Open return at once when the index must be rebuilt: an empty
	// index takes its place and the rebuild from the store runs in the background (searches
	// find nothing until it is swapped in). false means Open rebuilds before returning.
	BackgroundRebuild bool
	// Synonyms are the configured synonym groups ("tv, television"), always in force; see
	// Synonyms. nil means none.
	Synonyms []string
	// SynonymStore keeps the synonyms set through the admin API; nil means only the
	// configured ones apply (PutSynonyms answers EUnavailable).
	SynonymStore SynonymStore
}

func (c Config) withDefaults() Config {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every invalid field of c.
func (c Config) Validate() error {
	var v commerce.Validator
	v.Check(c.Dir != "", "dir", "is required")
	v.Check(c.BatchSize >= 0, "batch_size", "must not be negative")
	if _, err := ParseSynonyms("synonyms", c.Synonyms); err != nil {
		var ce *commerce.Error
		if errors.As(err, &ce) {
			for _, f := range ce.Fields {
				v.Add(f.Field, f.Message)
			}
		}
	}
	return v.Err()
}

// CategoryLister is optionally implemented by a catalog.Source that can list its categories;
// the index then holds category names as text and names the category facet's terms.
type CategoryLister interface {
	Categories(ctx context.Context) ([]catalog.Category, error)
}

// ProductCounter is optionally implemented by a catalog.Source that can count its products
// cheaply; rebuild progress then reports a known total instead of -1.
type ProductCounter interface {
	CountProducts(ctx context.Context) (int, error)
}

// Index is an open product search index. Its methods are safe for concurrent use. Searches
// run concurrently; Apply, Rebuild and Close are serialized.
type Index struct {
	cfg Config
	src catalog.Source
	log *slog.Logger

	// writeMu serializes writers (Apply, Rebuild, Close) so the high-water mark only moves
	// forward and a rebuild never loses a concurrent batch.
	writeMu sync.Mutex
	// mu guards bi: readers hold it shared while they use the index; a rebuild swap and Close
	// hold it exclusively.
	mu     sync.RWMutex
	bi     bleve.Index
	closed bool // guarded by writeMu and mu (both held to set it)

	hw atomic.Uint64
	// gen counts changes of the searchable content (applied batches, swapped rebuilds); the
	// result cache keeps answers of one generation only.
	gen   atomic.Uint64
	cache resultCache
	// productsVer counts applied batches that re-read products, whether or not searches see
	// the change (stock moves without selling out do not); see ProductsVersion.
	productsVer atomic.Uint64
	// docs holds each indexed document's fingerprint and filter/sort/facet columns.
	docs atomic.Pointer[docTable]

	// catNames maps category IDs to names (nil when the source lists none).
	catNames atomic.Pointer[map[string]string]
	// synonyms is the lookup in force; storedSyn and synVersion what the store holds.
	synonyms   atomic.Pointer[synonymSet]
	synMu      sync.Mutex
	storedSyn  []string
	synVersion int64
	synWrite   sync.Mutex // serializes PutSynonyms
	// suggest answers prefix autocompletion from memory.
	suggest       *suggester
	suggestFilled atomic.Bool // a fill or a rebuild of the suggestions has started

	// stop is canceled by Close so a running Rebuild gives up promptly.
	stop       context.Context
	cancelStop context.CancelFunc

	// bg tracks the background rebuild started by StartRebuild.
	bg        sync.WaitGroup
	bgMu      sync.Mutex
	bgRunning bool
	bgCancel  context.CancelFunc
}

// Open opens the index at cfg.Dir. When the directory is missing, cannot be opened, or was
// built with a mapping version other than MappingVersion, Open rebuilds it from
// src.ScanProducts into a fresh sibling directory and swaps it into place, logging why. src
// must not be nil.
func Open(ctx context.Context, cfg Config, src catalog.Source) (*Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, commerce.Invalid(commerce.FieldError{Field: "src", Message: "is required"})
	}
	cfg = cfg.withDefaults()
	cfg.Dir = filepath.Clean(cfg.Dir)
	if err := os.MkdirAll(filepath.Dir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("index: create parent of %s: %w", cfg.Dir, err)
	}
	removeLeftovers(cfg)

	bi, hw, reason := openExisting(cfg.Dir)
	if reason != nil {
		level := slog.LevelWarn
		if errors.Is(reason, errDirMissing) {
			level = slog.LevelInfo // a first start, not a fault
		}
		cfg.Logger.Log(ctx, level, "index: rebuilding from the store", "dir", cfg.Dir, "reason", reason.Error())
		// With BackgroundRebuild an empty placeholder goes in now and StartRebuild below
		// fills it (reading the source seq itself).
		var from catalog.Source = noProducts{}
		var seq uint64
		if !cfg.BackgroundRebuild {
			from = src
			if cfg.SourceSeq != nil {
				s, err := cfg.SourceSeq(ctx)
				if err != nil {
					return nil, fmt.Errorf("index: read source seq: %w", err)
				}
				seq = s
			}
		}
		if err := RebuildDir(ctx, cfg, from, seq, nil); err != nil {
			return nil, err
		}
		var err error
		bi, hw, err = openExisting(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("index: open rebuilt index: %w", err)
		}
	}

	stop, cancel := context.WithCancel(context.Background())
	ix := &Index{cfg: cfg, src: src, log: cfg.Logger, bi: bi, stop: stop, cancelStop: cancel, suggest: newSuggester()}
	ix.hw.Store(hw)
	ix.docs.Store(newDocTable())
	if _, err := ix.loadCategoryNames(ctx); err != nil {
		_ = bi.Close()
		cancel()
		return nil, err
	}
	if err := ix.loadSynonyms(ctx); err != nil {
		_ = bi.Close()
		cancel()
		return nil, err
	}
	if reason != nil && cfg.BackgroundRebuild {
		ix.StartRebuild() // fills the suggestions too
	}
	return ix, nil
}

// noProducts is an empty catalog, the source of the placeholder index of a background rebuild.
type noProducts struct{}

func (noProducts) Product(context.Context, string) (catalog.Product, error) {
	return catalog.Product{}, catalog.ErrProductNotFound
}

func (noProducts) ScanProducts(context.Context, func(catalog.Product) error) error { return nil }

// StartRebuild runs Rebuild in the background; Rebuilding reports true until it ends and
// Close waits for it. A failure is logged (the index keeps serving what it had).
func (ix *Index) StartRebuild() {
	ix.bgMu.Lock()
	defer ix.bgMu.Unlock()
	if ix.bgRunning {
		return
	}
	if ix.stop.Err() != nil {
		return
	}
	ix.bgRunning = true
	ix.suggestFilled.Store(true) // the rebuild fills the suggestions
	ctx, cancel := context.WithCancel(ix.stop)
	ix.bgCancel = cancel
	ix.bg.Add(1)
	go func() {
		defer ix.bg.Done()
		defer cancel()
		err := ix.Rebuild(ctx, nil)
		if err != nil && ctx.Err() == nil {
			ix.log.Error("index: background rebuild failed", "dir", ix.cfg.Dir, "err", err)
		}
		ix.bgMu.Lock()
		ix.bgRunning = false
		ix.bgMu.Unlock()
	}()
}

// StopRebuild cancels a background rebuild and waits for it to end; the index keeps what it
// had. The app calls it before draining consumers, whose Apply waits for a rebuild.
func (ix *Index) StopRebuild() {
	ix.bgMu.Lock()
	cancel := ix.bgCancel
	ix.bgMu.Unlock()
	if cancel != nil {
		cancel()
	}
	ix.bg.Wait()
}

// Rebuilding reports whether a background rebuild is running.
func (ix *Index) Rebuilding() bool {
	ix.bgMu.Lock()
	defer ix.bgMu.Unlock()
	return ix.bgRunning
}

// openExisting opens the index at dir and checks it is usable. The error says why it is not;
// the caller then rebuilds.
func openExisting(dir string) (bi bleve.Index, hw uint64, err error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, 0, errDirMissing
	case err != nil:
		return nil, 0, fmt.Errorf("stat index directory: %w", err)
	case !fi.IsDir():
		return nil, 0, errors.New("index path is not a directory")
	}
	defer func() {
		// A damaged segment can make Bleve panic instead of returning an error. The index is
		// derived data, so treat that as unreadable and rebuild.
		if r := recover(); r != nil {
			if bi != nil {
				_ = bi.Close()
			}
			bi, hw, err = nil, 0, fmt.Errorf("open index: panic: %v", r)
		}
	}()
	bi, err = bleve.Open(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("open index: %w", err)
	}
	fail := func(e error) (bleve.Index, uint64, error) {
		_ = bi.Close()
		return nil, 0, e
	}
	raw, err := bi.GetInternal(keyMappingVersion)
	if err != nil {
		return fail(fmt.Errorf("read mapping version: %w", err))
	}
	if v, ok := decodeUint(raw); !ok || v != MappingVersion {
		return fail(fmt.Errorf("mapping version %s, want %d", describeUint(raw), MappingVersion))
	}
	raw, err = bi.GetInternal(keyHighWater)
	if err != nil {
		return fail(fmt.Errorf("read high-water mark: %w", err))
	}
	hw, ok := decodeUint(raw)
	if !ok {
		return fail(fmt.Errorf("high-water mark unreadable (%d bytes)", len(raw)))
	}
	// Touch the segments: a search reads them, so damage shows up here rather than later.
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1, 0, false)
	if _, err := bi.Search(req); err != nil {
		return fail(fmt.Errorf("probe search: %w", err))
	}
	return bi, hw, nil
}

// removeLeftovers deletes rebuild and swap directories left behind by a crash.
func removeLeftovers(cfg Config) {
	parent, base := filepath.Split(cfg.Dir)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, base+".rebuild-") || strings.HasPrefix(name, base+".old-") {
			p := filepath.Join(parent, name)
			if err := os.RemoveAll(p); err != nil {
				cfg.Logger.Warn("index: remove leftover directory", "dir", p, "err", err)
			} else {
				cfg.Logger.Info("index: removed leftover directory", "dir", p)
			}
		}
	}
}

// Generation returns a number that changes whenever the searchable content changes (an
// applied batch that touched products, a rebuild swapped in). Callers may keep what they
// derived from search results until it changes.
func (ix *Index) Generation() uint64 { return ix.gen.Load() }

// ProductsVersion returns a number that changes whenever the index applies a change of a
// product, visible to searches or not (Generation changes only for the visible ones, such as
// an order that sells a product out, but not one that only moves its stock); it changes with
// Generation too (synonyms, rebuilds). Callers that keep product data along with search
// results (whole responses) may keep them until it changes.
func (ix *Index) ProductsVersion() uint64 { return ix.gen.Load() + ix.productsVer.Load() }

// HighWater returns the Seq of the last applied event (or the mark a rebuild set).
func (ix *Index) HighWater() uint64 { return ix.hw.Load() }

// DocCount returns the number of documents in the index, every status included.
func (ix *Index) DocCount() (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ix.usableLocked(); err != nil {
		return 0, err
	}
	n, err := ix.bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("index: doc count: %w", err)
	}
	return n, nil
}

// Close closes the index, aborting a running Rebuild first. It is idempotent.
func (ix *Index) Close() error {
	ix.cancelStop()
	err := ix.closeIndex()
	// A background start checks stop under bgMu before it joins bg: after this no new one
	// can join, so Wait sees every one.
	ix.bgMu.Lock()
	ix.bgMu.Unlock() //nolint:staticcheck // an empty critical section on purpose
	ix.bg.Wait()
	return err
}

func (ix *Index) closeIndex() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	bi := ix.bi
	ix.bi = nil
	if bi == nil {
		return nil
	}
	if err := bi.Close(); err != nil {
		return fmt.Errorf("index: close: %w", err)
	}
	return nil
}

// usableLocked reports why ix.bi cannot be used, if it cannot. The caller holds mu or writeMu.
func (ix *Index) usableLocked() error {
	switch {
	case ix.closed:
		return ErrClosed
	case ix.bi == nil:
		return ErrUnavailable
	}
	return nil
}

func encodeUint(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func decodeUint(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

func describeUint(b []byte) string {
	if v, ok := decodeUint(b); ok {
		return fmt.Sprint(v)
	}
	if len(b) == 0 {
		return "missing"
	}
	return fmt.Sprintf("unreadable (%d bytes)", len(b))
}
