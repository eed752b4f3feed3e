package index

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/blevesearch/bleve/v2"
)

// SnapshotTo writes an openable copy of the index, with its high-water mark, into dir (which
// must not exist or be empty). Searches and event application go on while it copies: the copy
// reflects one consistent index snapshot.
func (ix *Index) SnapshotTo(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ix.usableLocked(); err != nil {
		return err
	}
	c, ok := ix.bi.(bleve.IndexCopyable)
	if !ok {
		return errors.New("index: this index cannot be copied online")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("index: snapshot to %s: %w", dir, err)
	}
	if err := c.CopyTo(bleve.FileSystemDirectory(dir)); err != nil {
		return fmt.Errorf("index: snapshot to %s: %w", dir, err)
	}
	return nil
}
