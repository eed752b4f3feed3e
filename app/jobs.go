package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/catalog/dummyjson"
	"github.com/ultramarket/ultramarket/commerce/catalog/shopify"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/store"
)

// Import file formats.
const (
	FormatShopify   = "shopify"
	FormatDummyJSON = "dummyjson"
)

// jobs runs catalog jobs (imports, bulk changes) in the background and keeps their records.
type jobs struct {
	a     *App
	store *store.Jobs
	ctx   context.Context // cancelled at close: running jobs stop and are marked failed
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// openJobs sets up the job runner. When serving, jobs left queued or running by a crash or a
// stop are marked failed first: nothing runs them any more.
func (a *App) openJobs(ctx context.Context) error {
	j := &jobs{a: a, store: store.NewJobs(a.DB)}
	j.ctx, j.stop = context.WithCancel(context.Background())
	a.jobs = j
	a.onClose("jobs", func(context.Context) error { j.stop(); j.wg.Wait(); return nil })
	if a.opts.Offline {
		return nil
	}
	n, err := j.store.FailInterrupted(ctx, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if n > 0 {
		a.log.Warn("jobs interrupted by the last stop are marked failed", "jobs", n)
	}
	return nil
}

var _ uhttp.CatalogJobs = (*App)(nil)

// Job returns a background job's record.
func (a *App) Job(ctx context.Context, id string) (catalog.Job, error) {
	return a.jobs.store.Job(ctx, id)
}

// start records a queued job and runs fn in the background; fn's progress and outcome are
// written to the job's record. The file, when not "", is removed when the job ends.
func (j *jobs) start(ctx context.Context, kind, file string, fn func(ctx context.Context, job *catalog.Job, save func()) error) (catalog.Job, error) {
	now := time.Now().UTC()
	job := catalog.Job{ID: commerce.NewID(), Kind: kind, Status: catalog.JobQueued, CreatedAt: now}
	actor, _ := commerce.ActorFrom(ctx)
	job.ActorID = actor.ID
	if err := j.store.SaveJob(ctx, job); err != nil {
		return catalog.Job{}, err
	}
	queued := job
	// The job's writes are the requester's: keep the actor (audit), not the request's end.
	jctx := commerce.WithActor(j.ctx, actor)
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		if file != "" {
			defer os.Remove(file)
		}
		var mu sync.Mutex
		started := time.Now().UTC()
		job.Status, job.StartedAt = catalog.JobRunning, &started
		last := time.Time{}
		save := func() { // progress: at most a write a second
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < time.Second {
				return
			}
			last = time.Now()
			if err := j.store.SaveJob(jctx, job); err != nil {
				j.a.log.Warn("job progress not saved", "job", job.ID, "err", err)
			}
		}
		save()
		err := fn(jctx, &job, save)
		mu.Lock()
		defer mu.Unlock()
		done := time.Now().UTC()
		job.FinishedAt = &done
		job.Status = catalog.JobSucceeded
		if err != nil {
			job.Status, job.Error = catalog.JobFailed, err.Error()
			if commerce.KindOf(err) == commerce.EInternal {
				j.a.log.Error("job failed", "job", job.ID, "kind", job.Kind, "err", err)
				if ce := commerce.AsError(err); ce == nil {
					job.Error = "internal error"
				}
			}
		}
		// Saved even when the server is stopping (j.ctx is cancelled then).
		if err := j.store.SaveJob(context.WithoutCancel(jctx), job); err != nil {
			j.a.log.Error("job outcome not saved", "job", job.ID, "err", err)
		}
	}()
	return queued, nil
}

// StartImport keeps the uploaded file r (at most the configured import size) in the data
// dir and imports it in the background as an "import" job.
func (a *App) StartImport(ctx context.Context, r io.Reader, opts uhttp.ImportOptions) (catalog.Job, error) {
	f, err := a.spool(r)
	if err != nil {
		return catalog.Job{}, err
	}
	name := f.Name()
	// The format is checked now, so a file that is neither is refused before a job exists.
	format, err := detectFormat(f, opts.Format)
	if err != nil {
		f.Close()
		os.Remove(name)
		return catalog.Job{}, err
	}
	job, err := a.jobs.start(ctx, catalog.JobImport, name, func(ctx context.Context, job *catalog.Job, save func()) error {
		defer f.Close()
		size := fileSize(f)
		job.Progress.Total = int(size)
		rep, err := a.importFile(ctx, f, format, size, opts, func(done, _ int) { job.Progress.Done = done; save() })
		job.Report = &rep
		return err
	})
	if err != nil {
		f.Close()
		os.Remove(name)
	}
	return job, err
}

// spool copies r into a temporary file in the data dir, refusing more than the configured
// import size.
func (a *App) spool(r io.Reader) (*os.File, error) {
	dir := filepath.Join(a.Config.Data.Dir, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "import-*")
	if err != nil {
		return nil, err
	}
	limit := importMaxBytes(a)
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = commerce.Errorf(commerce.ETooLarge, "file_too_large", "catalog: the file is larger than catalog.import_max_bytes (%d bytes)", limit)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

func fileSize(f *os.File) int64 {
	if fi, err := f.Stat(); err == nil {
		return fi.Size()
	}
	return 0
}

// ImportProducts imports a product file now (the CLI, offline or through the admin socket),
// reporting progress in bytes of the file read.
func (a *App) ImportProducts(ctx context.Context, r io.Reader, opts uhttp.ImportOptions, progress func(done, total int)) (catalog.ImportReport, error) {
	f, ok := r.(*os.File)
	if !ok {
		var err error
		if f, err = a.spool(r); err != nil {
			return catalog.ImportReport{}, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
	}
	format, err := detectFormat(f, opts.Format)
	if err != nil {
		return catalog.ImportReport{}, err
	}
	return a.importFile(operator(ctx), f, format, fileSize(f), opts, progress)
}

// importFile runs the import of f (positioned at its start) in format.
func (a *App) importFile(ctx context.Context, f io.Reader, format string, size int64, opts uhttp.ImportOptions, progress func(done, total int)) (catalog.ImportReport, error) {
	cr := &countingReader{r: f}
	var rd catalog.ImportReader
	if format == FormatDummyJSON {
		rd = dummyjson.NewReader(cr, dummyjson.Options{})
	} else {
		rd = shopify.NewReader(cr, shopify.Options{})
	}
	o := catalog.ImportOptions{DryRun: opts.DryRun, Atomic: opts.Atomic}
	if progress != nil {
		o.Progress = func(int) { progress(int(cr.n), int(size)) }
	}
	rep, err := a.Shop.Import(ctx, rd, o)
	if err == nil && progress != nil {
		progress(int(size), int(size))
	}
	var ie *catalog.ImportError
	if errors.As(err, &ie) {
		// The file is not a product file at all: the report says where.
		rep.Errors = append(rep.Errors, *ie)
		rep.Failed++
		return rep, commerce.Errorf(commerce.EInvalid, "unreadable_file", "%s", ie.Error())
	}
	return rep, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// detectFormat returns format when given (shopify or dummyjson), else the format of f's
// content: JSON (an array or an object) is a DummyJSON catalog, anything else a Shopify
// CSV. It leaves f at its start.
func detectFormat(f io.ReadSeeker, format string) (string, error) {
	switch format {
	case FormatShopify, FormatDummyJSON:
		return format, nil
	case "":
	default:
		return "", commerce.Invalid(commerce.FieldError{Field: "format", Message: "must be shopify or dummyjson"})
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(bufio.NewReader(f), head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(head) > 0 && (head[0] == '[' || head[0] == '{') {
		return FormatDummyJSON, nil
	}
	return FormatShopify, nil
}

// ExportProducts writes every product as a Shopify product CSV (classic header set) to w.
func (a *App) ExportProducts(ctx context.Context, w io.Writer) error {
	cw := shopify.NewWriter(w, a.Config.Server.PublicURL)
	if err := a.Shop.ExportProducts(ctx, cw.Write); err != nil {
		return err
	}
	return cw.Flush()
}

// StartBulk checks a bulk change and runs it in the background as a "bulk" job with a
// result per product.
func (a *App) StartBulk(ctx context.Context, ids []string, set catalog.BulkSet) (catalog.Job, error) {
	if err := catalog.CheckBulk(ids, set); err != nil {
		return catalog.Job{}, err
	}
	ids = append([]string(nil), ids...)
	return a.jobs.start(ctx, catalog.JobBulk, "", func(ctx context.Context, job *catalog.Job, save func()) error {
		job.Progress.Total = len(ids)
		res, err := a.Shop.BulkUpdate(ctx, ids, set, func(done int) { job.Progress.Done = done; save() })
		job.Results = res
		return err
	})
}

// importMaxBytes is the largest import file: catalog.import_max_bytes.
func importMaxBytes(a *App) int64 { return int64(a.Config.Catalog.ImportMaxBytes) }
