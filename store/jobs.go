package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Jobs keeps the records of background jobs (imports, exports, bulk changes) at
// jobs/job/<id>; it implements catalog.JobStore.
type Jobs struct{ db *DB }

// NewJobs returns the job repository on db.
func NewJobs(db *DB) *Jobs { return &Jobs{db: db} }

var _ catalog.JobStore = (*Jobs)(nil)

func jobKey(id string) []byte { return Key(prefixJob, id) }

// SaveJob writes j (created or replaced).
func (s *Jobs) SaveJob(ctx context.Context, j catalog.Job) error {
	return s.db.Update(ctx, func(tx *Tx) error { return putJSON(tx, jobKey(j.ID), j) })
}

// Job returns the job with the given ID, or catalog.ErrJobNotFound.
func (s *Jobs) Job(ctx context.Context, id string) (catalog.Job, error) {
	var j catalog.Job
	err := s.db.View(ctx, func(r *Reader) error {
		err := getJSON(r, jobKey(id), &j)
		if errors.Is(err, ErrNotFound) {
			return catalog.ErrJobNotFound
		}
		return err
	})
	return j, err
}

// FailInterrupted marks every queued or running job failed: at start no job runs yet, so
// such a job was cut short by a crash or a stop. It returns how many it marked.
func (s *Jobs) FailInterrupted(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		n = 0
		var stale []catalog.Job
		err := tx.Scan([]byte(prefixJob), PrefixEnd([]byte(prefixJob)), func(k, v []byte) error {
			var j catalog.Job
			if err := decode(v, &j); err != nil {
				return fmt.Errorf("store: job %s: %w", k[len(prefixJob):], err)
			}
			if !j.Done() {
				stale = append(stale, j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, j := range stale {
			j.Status, j.Error, j.FinishedAt = catalog.JobFailed, "interrupted: the server stopped while the job ran", &now
			if err := putJSON(tx, jobKey(j.ID), j); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}
