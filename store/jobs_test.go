package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func TestJobs(t *testing.T) {
	ctx := context.Background()
	jobs := NewJobs(openMem(t, vfs.NewMem()))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, j := range []catalog.Job{
		{ID: "a", Kind: catalog.JobImport, Status: catalog.JobQueued, CreatedAt: now},
		{ID: "b", Kind: catalog.JobBulk, Status: catalog.JobRunning, CreatedAt: now},
		{ID: "c", Kind: catalog.JobImport, Status: catalog.JobSucceeded, CreatedAt: now, Report: &catalog.ImportReport{Created: 3}},
	} {
		if err := jobs.SaveJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	n, err := jobs.FailInterrupted(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("FailInterrupted = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]string{"a": catalog.JobFailed, "b": catalog.JobFailed, "c": catalog.JobSucceeded} {
		j, err := jobs.Job(ctx, id)
		if err != nil || j.Status != want || (want == catalog.JobFailed && j.Error == "") {
			t.Errorf("job %s: %+v %v; want %s", id, j, err, want)
		}
	}
	if j, _ := jobs.Job(ctx, "c"); j.Report == nil || j.Report.Created != 3 {
		t.Errorf("report not kept: %+v", j)
	}
	if _, err := jobs.Job(ctx, "nope"); !errors.Is(err, catalog.ErrJobNotFound) {
		t.Errorf("missing job: %v", err)
	}
}
