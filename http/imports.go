package http

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdhttp "net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// CatalogJobs are the catalog's background jobs and file transfers; the app implements them.
type CatalogJobs interface {
	// StartImport keeps the file and imports it in the background as an "import" job.
	StartImport(ctx context.Context, file io.Reader, opts ImportOptions) (catalog.Job, error)
	Job(ctx context.Context, id string) (catalog.Job, error)
	StartBulk(ctx context.Context, ids []string, set catalog.BulkSet) (catalog.Job, error)
	// ExportProducts writes every product as a Shopify CSV (classic header set).
	ExportProducts(ctx context.Context, w io.Writer) error
}

// ImportOptions say how to import a product file.
type ImportOptions struct {
	Format string `json:"format,omitempty"` // shopify or dummyjson; "" tells it from the content
	DryRun bool   `json:"dry_run,omitempty"`
	Atomic bool   `json:"atomic,omitempty"`
	Size   int64  `json:"size,omitempty"` // the file's size when known (progress)
}

// BulkRequest is the body of POST /api/v1/admin/products/bulk.
type BulkRequest struct {
	IDs []string        `json:"ids"`
	Set catalog.BulkSet `json:"set"`
}

var errNoJobs = unavailable("jobs")

func (s *Server) importRoutes() {
	limit := s.cfg.ImportMaxBytes
	if limit <= 0 {
		limit = 50 << 20
	}
	limit += multipartOverhead
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/imports", Tag: "catalog", Summary: "Import a product file as a background job (multipart)",
		Description: "multipart/form-data with the field file: a Shopify product CSV (either header set, columns by name) or a " +
			"DummyJSON catalog (a JSON array of products), at most catalog.import_max_bytes (413 beyond). Options as query " +
			"parameters or form fields sent before the file: format (shopify or dummyjson; default: told from the content), " +
			"dry_run (validate and report, write nothing), atomic (any error: nothing is written). Products are upserted by " +
			"handle, then SKU; categories are found or created by their name path. Answers 202 with the job; follow it with " +
			"GET /api/v1/admin/jobs/{id}: status queued, running, succeeded or failed, progress (bytes of the file read), and " +
			"the report {created, updated, unchanged, failed, errors: [{line, handle, field, message}]}.",
		Perm: auth.PermCatalogWrite, Response: catalog.Job{}, Status: stdhttp.StatusAccepted, BodyLimit: limit,
		Query: []Param{
			{Name: "format", Type: "string", Description: "shopify or dummyjson; default: told from the content"},
			{Name: "dry_run", Type: "boolean", Description: "validate and report only"},
			{Name: "atomic", Type: "boolean", Description: "write nothing unless every product is valid"},
		},
		Errors:  []int{stdhttp.StatusBadRequest, stdhttp.StatusUnprocessableEntity, stdhttp.StatusRequestEntityTooLarge},
		Handler: s.startImport})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/jobs/:id", Tag: "catalog", Summary: "A background job: status, progress and report",
		Description: "Import jobs carry report, bulk jobs results (one per product: id, ok, version or code and error). A job " +
			"the server was running when it stopped is failed.",
		Perm: auth.PermCatalogWrite, Response: catalog.Job{}, Errors: []int{stdhttp.StatusNotFound}, Handler: s.getJob})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/exports/products.csv", Tag: "catalog", Summary: "Export every product as a Shopify CSV",
		Description: "Streams the catalog as a Shopify product CSV in the classic header set (one row per variant, image rows " +
			"after), with the brand in a metafield column; importing it gives the same products.",
		Perm: auth.PermCatalogWrite, RawResponse: "text/csv", Handler: s.exportProducts})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/products/bulk", Tag: "catalog", Summary: "Change many products as a background job",
		Description: "Sets exactly one of status, price (every variant; the product's currency), stock (every variant) or " +
			"category_id (\"\" for none) on each product of ids (at most " + strconv.Itoa(catalog.MaxBulkProducts) + "), one " +
			"write per product. Answers 202 with the job; its results list each product's outcome.",
		Perm: auth.PermCatalogWrite, Request: BulkRequest{}, Response: catalog.Job{}, Status: stdhttp.StatusAccepted,
		Errors: []int{stdhttp.StatusUnprocessableEntity}, Handler: s.startBulk})
}

func (s *Server) startImport(c echo.Context) error {
	if s.deps.Jobs == nil {
		return errNoJobs
	}
	opts, err := importQuery(c.QueryParams())
	if err != nil {
		return err
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return commerce.Invalid(commerce.FieldError{Field: "file", Message: "must be sent as multipart/form-data"})
	}
	fields := url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return commerce.Invalid(commerce.FieldError{Field: "file", Message: "is required"})
		}
		if err != nil {
			return asBodyError(err)
		}
		if part.FormName() != "file" {
			b, err := io.ReadAll(io.LimitReader(part, 1<<10))
			if err != nil {
				return asBodyError(err)
			}
			fields.Set(part.FormName(), string(b))
			continue
		}
		for k, v := range fields {
			c.QueryParams()[k] = v
		}
		if opts, err = importQuery(c.QueryParams()); err != nil {
			return err
		}
		job, err := s.deps.Jobs.StartImport(c.Request().Context(), part, opts)
		if err != nil {
			return asBodyError(err)
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/jobs/"+job.ID)
		return c.JSON(stdhttp.StatusAccepted, job)
	}
}

// asBodyError turns a body cut off by the route's limit into 413.
func asBodyError(err error) error {
	var mbe *stdhttp.MaxBytesError
	if errors.As(err, &mbe) {
		return echo.NewHTTPError(stdhttp.StatusRequestEntityTooLarge, "the file is larger than catalog.import_max_bytes")
	}
	return err
}

func importQuery(q url.Values) (ImportOptions, error) {
	var v commerce.Validator
	o := ImportOptions{Format: q.Get("format")}
	flag := func(name string) bool {
		s := q.Get(name)
		if s == "" {
			return false
		}
		b, err := strconv.ParseBool(s)
		v.Check(err == nil, name, "must be true or false")
		return b
	}
	o.DryRun, o.Atomic = flag("dry_run"), flag("atomic")
	v.Check(o.Format == "" || o.Format == "shopify" || o.Format == "dummyjson", "format", "must be shopify or dummyjson")
	return o, v.Err()
}

func (s *Server) getJob(c echo.Context) error {
	if s.deps.Jobs == nil {
		return errNoJobs
	}
	j, err := s.deps.Jobs.Job(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(stdhttp.StatusOK, j)
}

func (s *Server) exportProducts(c echo.Context) error {
	if s.deps.Jobs == nil {
		return errNoJobs
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="products.csv"`)
	c.Response().WriteHeader(stdhttp.StatusOK)
	if err := s.deps.Jobs.ExportProducts(c.Request().Context(), c.Response()); err != nil {
		// Streaming has begun: the client sees a cut-off file.
		s.cfg.Logger.Error("product export failed while streaming", "err", err)
		panic(stdhttp.ErrAbortHandler)
	}
	return nil
}

func (s *Server) startBulk(c echo.Context) error {
	if s.deps.Jobs == nil {
		return errNoJobs
	}
	var in BulkRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	job, err := s.deps.Jobs.StartBulk(c.Request().Context(), in.IDs, in.Set)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/jobs/"+job.ID)
	return c.JSON(stdhttp.StatusAccepted, job)
}

// The admin socket's import and export (the CLI with a running server).

// ImportResult is the last line of the admin socket's import stream.
type ImportResult struct {
	Done   int                   `json:"done"`
	Total  int                   `json:"total"`
	Final  bool                  `json:"final,omitempty"`
	Error  string                `json:"error,omitempty"`
	Code   string                `json:"code,omitempty"`
	Report *catalog.ImportReport `json:"report,omitempty"`
}

// importAdminRoutes serves the CLI's import (the file as the body, progress as NDJSON,
// the report last) and export on the admin socket.
func importAdminRoutes(e *echo.Echo, ops AdminOps) {
	e.POST("/admin/catalog/import", func(c echo.Context) error {
		opts, err := importQuery(c.QueryParams())
		if err != nil {
			return err
		}
		opts.Size = c.Request().ContentLength
		// The body is read whole before the first progress line (the CLI sends it first).
		w := bufio.NewWriter(c.Response())
		enc := json.NewEncoder(w)
		started := false
		last := time.Time{}
		rep, err := ops.ImportProducts(c.Request().Context(), c.Request().Body, opts, func(done, total int) {
			if !started {
				started = true
				c.Response().Header().Set(echo.HeaderContentType, "application/x-ndjson")
				c.Response().WriteHeader(stdhttp.StatusOK)
			}
			if time.Since(last) < 100*time.Millisecond && done != total {
				return
			}
			last = time.Now()
			_ = enc.Encode(ImportResult{Done: done, Total: total})
			_ = w.Flush()
			c.Response().Flush()
		})
		if !started {
			c.Response().Header().Set(echo.HeaderContentType, "application/x-ndjson")
			c.Response().WriteHeader(stdhttp.StatusOK)
		}
		final := ImportResult{Final: true, Report: &rep}
		if err != nil {
			final.Error = err.Error()
			if ce := commerce.AsError(err); ce != nil {
				final.Code = string(ce.Kind)
			}
		}
		_ = enc.Encode(final)
		_ = w.Flush()
		c.Response().Flush()
		return nil
	})
	e.GET("/admin/catalog/export", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().WriteHeader(stdhttp.StatusOK)
		if err := ops.ExportProducts(c.Request().Context(), c.Response()); err != nil {
			panic(stdhttp.ErrAbortHandler)
		}
		return nil
	})
}

// ImportProducts implements AdminOps: the file goes to the server, which imports it and
// streams its progress and then the report.
func (c *AdminClient) ImportProducts(ctx context.Context, r io.Reader, opts ImportOptions, progress func(done, total int)) (catalog.ImportReport, error) {
	q := url.Values{}
	if opts.Format != "" {
		q.Set("format", opts.Format)
	}
	q.Set("dry_run", strconv.FormatBool(opts.DryRun))
	q.Set("atomic", strconv.FormatBool(opts.Atomic))
	resp, err := c.do(ctx, "POST", "/admin/catalog/import?"+q.Encode(), r, "application/octet-stream")
	if err != nil {
		return catalog.ImportReport{}, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // the report may list many errors
	for sc.Scan() {
		var p ImportResult
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return catalog.ImportReport{}, fmt.Errorf("admin socket: bad progress line: %w", err)
		}
		if p.Final {
			var rep catalog.ImportReport
			if p.Report != nil {
				rep = *p.Report
			}
			if p.Error != "" {
				if p.Code != "" {
					return rep, &commerce.Error{Kind: commerce.Kind(p.Code), Code: "import_failed", Message: p.Error}
				}
				return rep, errors.New(p.Error)
			}
			return rep, nil
		}
		if progress != nil {
			progress(p.Done, p.Total)
		}
	}
	if err := sc.Err(); err != nil {
		return catalog.ImportReport{}, err
	}
	return catalog.ImportReport{}, errors.New("admin socket: import ended without a result")
}

// ExportProducts implements AdminOps: the server streams the CSV.
func (c *AdminClient) ExportProducts(ctx context.Context, w io.Writer) error {
	resp, err := c.do(ctx, "GET", "/admin/catalog/export", nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("export stream cut short: %w", err)
	}
	return nil
}
