package catalog

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Job kinds: the catalog's long-running operations, run in the background by the server.
const (
	JobImport = "import" // a product file import (ImportReport)
	JobExport = "export"
	JobBulk   = "bulk" // one change to many products (BulkResult per product)
)

// Job statuses. A job found queued or running when the server starts was interrupted by a
// crash or a stop and is marked failed.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// Job is the durable record of a background operation: its status, progress and outcome.
type Job struct {
	ID         string        `json:"id"`
	Kind       string        `json:"kind"`
	Status     string        `json:"status"`
	Progress   JobProgress   `json:"progress"`
	Report     *ImportReport `json:"report,omitempty"`  // import jobs
	Results    []BulkResult  `json:"results,omitempty"` // bulk jobs
	Error      string        `json:"error,omitempty"`   // why a failed job failed
	ActorID    string        `json:"actor_id,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	StartedAt  *time.Time    `json:"started_at,omitempty"`
	FinishedAt *time.Time    `json:"finished_at,omitempty"`
}

// JobProgress counts a job's items (products) done, of Total when known (0 when not).
type JobProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// Done reports whether the job has ended.
func (j Job) Done() bool { return j.Status == JobSucceeded || j.Status == JobFailed }

// JobStore keeps job records; the store adapter implements it.
type JobStore interface {
	SaveJob(ctx context.Context, j Job) error
	Job(ctx context.Context, id string) (Job, error) // ErrJobNotFound when there is none
	// FailInterrupted marks every queued or running job failed (at start, before any runs).
	FailInterrupted(ctx context.Context, now time.Time) (int, error)
}

// ErrJobNotFound is returned for an unknown job ID.
var ErrJobNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "job_not_found", Message: "catalog: job not found"}
