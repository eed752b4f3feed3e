package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// RebuildDir rebuilds the index at cfg.Dir from src while no Index has it open (the CLI uses
// it with the server stopped). It builds a fresh index in <Dir>.rebuild-<id>, then swaps it
// into place: the old directory is renamed away, the new one renamed in, the old one removed.
// A crash mid-way leaves either the old index, the new one, or no directory at all, and Open
// handles each.
//
// highWater becomes the index's high-water mark. The caller supplies it: it must be the
// store's current event (outbox) Seq read before the scan starts, so every event at or below it
// is reflected by the scan and later ones are applied when delivered.
//
// progress, when not nil, is called after each batch with the number of products indexed so
// far and the total, which is -1 unless src implements ProductCounter.
func RebuildDir(ctx context.Context, cfg Config, src catalog.Source, highWater uint64, progress func(done, total int)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if src == nil {
		return commerce.Invalid(commerce.FieldError{Field: "src", Message: "is required"})
	}
	cfg = cfg.withDefaults()
	cfg.Dir = filepath.Clean(cfg.Dir)
	if err := os.MkdirAll(filepath.Dir(cfg.Dir), 0o755); err != nil {
		return fmt.Errorf("index: create parent of %s: %w", cfg.Dir, err)
	}
	fresh, n, err := build(ctx, cfg, src, highWater, progress, nil)
	if err != nil {
		return err
	}
	old, err := swapIn(cfg.Dir, fresh)
	if err != nil {
		_ = os.RemoveAll(fresh)
		return err
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			cfg.Logger.Warn("index: remove old index", "dir", old, "err", err)
		}
	}
	cfg.Logger.Info("index: rebuilt", "dir", cfg.Dir, "docs", n, "high_water", highWater)
	return nil
}

// Rebuild rebuilds the open index from the store into a fresh directory and swaps it in.
// Searches keep using the old index until the swap, which blocks them only briefly; Apply
// waits until the rebuild ends. The new high-water mark is cfg.SourceSeq's answer, or the
// current mark when SourceSeq is nil. progress is as for RebuildDir. Close aborts a running
// Rebuild. Rebuild also repairs an index left unavailable by an earlier failed swap.
func (ix *Index) Rebuild(ctx context.Context, progress func(done, total int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(ix.stop, cancel)()

	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if ix.closed {
		return ErrClosed
	}
	hw := ix.hw.Load()
	if ix.cfg.SourceSeq != nil {
		s, err := ix.cfg.SourceSeq(ctx)
		if err != nil {
			return fmt.Errorf("index: read source seq: %w", err)
		}
		hw = s
	}
	start := time.Now()
	entries := suggestCollector{}
	docs := newDocTable()
	fresh, n, err := build(ctx, ix.cfg, ix.src, hw, progress, func(p catalog.Product, d map[string]any) {
		entries.add(p)
		docs.put(p.ID, d, fingerprint(d), true)
	})
	if err != nil {
		return err
	}
	ix.suggestFilled.Store(true)
	ix.suggest.replace(entries)
	if _, err := ix.loadCategoryNames(ctx); err != nil {
		ix.log.Warn("index: reload category names", "err", err)
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	// Close the old index before moving directories: Bleve keeps writing (merges) under the
	// path it was opened with.
	if ix.bi != nil {
		if err := ix.bi.Close(); err != nil {
			ix.log.Warn("index: close old index for swap", "err", err)
		}
		ix.bi = nil
	}
	old, err := swapIn(ix.cfg.Dir, fresh)
	if err != nil {
		// swapIn put the old directory back; keep serving from it.
		_ = os.RemoveAll(fresh)
		return errors.Join(err, ix.reopenLocked())
	}
	if err := ix.reopenLocked(); err != nil {
		ix.log.Error("index: rebuilt index does not open; restoring the old one", "err", err)
		if old != "" {
			failed := ix.cfg.Dir + ".rebuild-" + commerce.NewID()
			if os.Rename(ix.cfg.Dir, failed) == nil && os.Rename(old, ix.cfg.Dir) == nil {
				_ = os.RemoveAll(failed)
				err = errors.Join(err, ix.reopenLocked())
			}
		}
		return fmt.Errorf("index: open rebuilt index: %w", err)
	}
	docs.ready = true
	ix.docs.Store(docs) // exactly what the new index holds
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			ix.log.Warn("index: remove old index", "dir", old, "err", err)
		}
	}
	ix.log.Info("index: rebuilt", "dir", ix.cfg.Dir, "docs", n, "high_water", ix.hw.Load(), "took", time.Since(start))
	return nil
}

// reopenLocked opens cfg.Dir as the live index. The caller holds writeMu and mu. On failure
// the index stays unavailable (ErrUnavailable) until the next Open rebuilds it.
func (ix *Index) reopenLocked() error {
	bi, hw, err := openExisting(ix.cfg.Dir)
	if err != nil {
		return err
	}
	ix.bi = bi
	ix.hw.Store(hw)
	ix.gen.Add(1)
	return nil
}

// build writes every product of src into a new index in a fresh sibling of cfg.Dir, stores the
// mapping version and highWater with the last batch, closes it and returns its path.
//
// collect, when not nil, sees every product scanned and its document.
func build(ctx context.Context, cfg Config, src catalog.Source, highWater uint64, progress func(done, total int), collect func(catalog.Product, map[string]any)) (_ string, n int, err error) {
	im, err := newMapping()
	if err != nil {
		return "", 0, fmt.Errorf("index: mapping: %w", err)
	}
	catNames, err := listCategoryNames(ctx, src)
	if err != nil {
		return "", 0, err
	}
	names := namerOf(catNames)
	total := -1
	if c, ok := src.(ProductCounter); ok {
		if t, err := c.CountProducts(ctx); err == nil {
			total = t
		}
	}
	dir := cfg.Dir + ".rebuild-" + commerce.NewID()
	bi, err := bleve.NewUsing(dir, im, scorch.Name, bleve.Config.DefaultKVStore, nil)
	if err != nil {
		return "", 0, fmt.Errorf("index: create %s: %w", dir, err)
	}
	defer func() {
		if bi != nil {
			_ = bi.Close()
		}
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()

	b := bi.NewBatch()
	flush := func() error {
		if err := bi.Batch(b); err != nil {
			return fmt.Errorf("index: write batch: %w", err)
		}
		b.Reset()
		if progress != nil {
			progress(n, total)
		}
		return nil
	}
	err = src.ScanProducts(ctx, func(p catalog.Product) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.ID == "" {
			cfg.Logger.Warn("index: product without ID skipped during rebuild")
			return nil
		}
		d := toDocument(p, names)
		if collect != nil {
			collect(p, d)
		}
		if err := b.Index(p.ID, d); err != nil {
			return fmt.Errorf("index: product %s: %w", p.ID, err)
		}
		n++
		if b.Size() >= cfg.BatchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("index: rebuild scan: %w", err)
	}
	if err = ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("index: rebuild: %w", err)
	}
	b.SetInternal(keyMappingVersion, encodeUint(MappingVersion))
	b.SetInternal(keyHighWater, encodeUint(highWater))
	if err = flush(); err != nil {
		return "", 0, err
	}
	err = bi.Close()
	bi = nil
	if err != nil {
		return "", 0, fmt.Errorf("index: close rebuilt index: %w", err)
	}
	return dir, n, nil
}

// swapIn moves fresh to dir. An existing dir is first renamed to <dir>.old-<id>, whose path is
// returned for the caller to remove once the new index is in use.
func swapIn(dir, fresh string) (old string, err error) {
	if _, err := os.Lstat(dir); err == nil {
		old = dir + ".old-" + commerce.NewID()
		if err := os.Rename(dir, old); err != nil {
			return "", fmt.Errorf("index: move old index away: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("index: stat %s: %w", dir, err)
	}
	if err := os.Rename(fresh, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return "", fmt.Errorf("index: move rebuilt index in: %w", err)
	}
	syncDir(filepath.Dir(dir))
	return old, nil
}

// syncDir makes the renames in parent durable. Failure only risks a rebuild at the next Open.
func syncDir(parent string) {
	f, err := os.Open(parent)
	if err != nil {
		return
	}
	_ = f.Sync()
	_ = f.Close()
}
