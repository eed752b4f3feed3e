package store

import (
	"context"
	"errors"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/index"
)

// searchSynonyms is the stored value of keySearchSynonyms: the synonym groups an
// administrator set, applied by the search at query time.
type searchSynonyms struct {
	Groups    []string  `json:"groups"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrSynonymsVersion is returned by SetSearchSynonyms when If-Match names another version.
var ErrSynonymsVersion = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "search: the stored synonyms' version differs from If-Match"}

var _ index.SynonymStore = (*DB)(nil)

func readSynonyms(r getter) (searchSynonyms, error) {
	var s searchSynonyms
	err := getJSON(r, []byte(keySearchSynonyms), &s)
	if errors.Is(err, ErrNotFound) {
		return searchSynonyms{}, nil
	}
	return s, err
}

// SearchSynonyms returns the stored synonym groups and their version (0 when never set).
func (db *DB) SearchSynonyms(ctx context.Context) ([]string, int64, error) {
	var s searchSynonyms
	err := db.View(ctx, func(r *Reader) (err error) { s, err = readSynonyms(r); return err })
	return s.Groups, s.Version, err
}

// SetSearchSynonyms replaces the stored synonym groups in one update with their
// search.synonyms_updated event (audited when a staff member makes it). ifVersion, when not
// nil, must be the stored version.
func (db *DB) SetSearchSynonyms(ctx context.Context, groups []string, ifVersion *int64) (int64, error) {
	var version int64
	err := db.Update(ctx, func(tx *Tx) error {
		cur, err := readSynonyms(tx)
		if err != nil {
			return err
		}
		if ifVersion != nil && *ifVersion != cur.Version {
			return ErrSynonymsVersion
		}
		now := time.Now().UTC()
		next := searchSynonyms{Groups: append([]string{}, groups...), Version: cur.Version + 1, UpdatedAt: now}
		if err := putJSON(tx, []byte(keySearchSynonyms), next); err != nil {
			return err
		}
		ev, err := commerce.NewEvent(index.EventSynonymsUpdated, "search", now, map[string]any{"synonyms": next.Groups, "version": next.Version})
		if err != nil {
			return err
		}
		tx.Emit(ev)
		version = next.Version
		return nil
	})
	return version, err
}
