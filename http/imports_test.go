package http_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// importBody is a multipart import upload: the fields first, then the file.
func importBody(t testing.TB, file []byte, fields map[string]string, token string) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", "products.csv")
		fw.Write(file)
	}
	w.Close()
	h := map[string]string{"Content-Type": w.FormDataContentType()}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return buf.Bytes(), h
}

func waitJob(t *testing.T, a *apptest.App, admin apptest.User, id string) catalog.Job {
	t.Helper()
	var j catalog.Job
	poll.Within(t, 30*time.Second, "job "+id+" to end", func() bool {
		res := a.Do(t, "GET", "/api/v1/admin/jobs/"+id, nil, admin.Bearer())
		if res.Status != 200 {
			t.Fatalf("GET job: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &j)
		return j.Done()
	})
	return j
}

// TestImportJobs: the real DummyJSON catalog through POST /admin/imports as a job (dry run
// first, which writes nothing), the export, a bulk change, and the refusals (401, 403,
// 422, 404).
func TestImportJobs(t *testing.T) {
	src := filepath.Join("..", "..", "shared", "data", "dummyjson-products.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)

	body, h := importBody(t, data, map[string]string{"dry_run": "true"}, admin.Token)
	res := a.Do(t, "POST", "/api/v1/admin/imports", body, h)
	if res.Status != 202 {
		t.Fatalf("dry run: %d %s", res.Status, res.Body)
	}
	var job catalog.Job
	res.JSON(t, &job)
	if job.Kind != catalog.JobImport || job.Status != catalog.JobQueued || res.Header.Get("Location") != "/api/v1/admin/jobs/"+job.ID {
		t.Fatalf("job %+v", job)
	}
	seq := a.DB.LastSeq()
	job = waitJob(t, a, admin, job.ID)
	if job.Status != catalog.JobSucceeded || job.Report == nil || job.Report.Created != 194 || job.Report.Written || a.DB.LastSeq() != seq {
		t.Fatalf("dry run job %+v report %+v", job, job.Report)
	}

	body, h = importBody(t, data, nil, admin.Token)
	res = a.Do(t, "POST", "/api/v1/admin/imports", body, h)
	res.JSON(t, &job)
	job = waitJob(t, a, admin, job.ID)
	if job.Status != catalog.JobSucceeded || job.Report.Created != 194 || job.Report.Categories != 24 || job.Progress.Done != len(data) {
		t.Fatalf("import job %+v report %+v", job, job.Report)
	}
	created := a.EventsAfter(t, seq, a.DB.LastSeq())
	products := 0
	for _, ev := range created {
		if ev.Type == catalog.EventProductCreated {
			products++
		}
	}
	if products != 194 {
		t.Errorf("%d product_created events, want 194", products)
	}

	// The export lists every product, one row per variant and image.
	res = a.Do(t, "GET", "/api/v1/admin/exports/products.csv", nil, admin.Bearer())
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.Status, res.Header)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	handles := map[string]bool{}
	for _, r := range rows[1:] {
		handles[r[0]] = true
	}
	if err != nil || len(handles) != 194 {
		t.Fatalf("export: %d handles, %v", len(handles), err)
	}

	// A bulk change: archive two products, one ID unknown.
	var list struct {
		Items []catalog.Product `json:"items"`
	}
	a.Do(t, "GET", "/api/v1/products?limit=2", nil, nil).JSON(t, &list)
	ids := []string{list.Items[0].ID, list.Items[1].ID, "01J0000000000000000000000Z"}
	res = a.Do(t, "POST", "/api/v1/admin/products/bulk", map[string]any{"ids": ids, "set": map[string]any{"status": "archived"}}, admin.Bearer())
	if res.Status != 202 {
		t.Fatalf("bulk: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &job)
	job = waitJob(t, a, admin, job.ID)
	if job.Status != catalog.JobSucceeded || len(job.Results) != 3 || !job.Results[0].OK || !job.Results[1].OK || job.Results[2].OK ||
		job.Results[2].Code != "product_not_found" || job.Progress.Done != 3 {
		t.Fatalf("bulk job %+v", job)
	}
	if p, err := a.Shop.Product(t.Context(), ids[0], true); err != nil || p.Status != catalog.StatusArchived {
		t.Errorf("bulk did not archive: %+v %v", p.Status, err)
	}

	badCSV := []byte("Handle,Title,Variant SKU,Variant Price\na,A,A-1,abc\n")
	body, h = importBody(t, badCSV, map[string]string{"atomic": "true"}, admin.Token)
	res = a.Do(t, "POST", "/api/v1/admin/imports", body, h)
	res.JSON(t, &job)
	job = waitJob(t, a, admin, job.ID)
	if job.Status != catalog.JobSucceeded || job.Report.Failed != 1 || job.Report.Errors[0].Line != 2 || job.Report.Written {
		t.Fatalf("atomic import with a bad price: %+v %+v", job, job.Report)
	}

	scenarios := []struct {
		name   string
		method string
		path   string
		body   any
		h      map[string]string
		status int
	}{
		{"anonymous import", "POST", "/api/v1/admin/imports", nil, nil, 401},
		{"customer import", "POST", "/api/v1/admin/imports", nil, customer.Bearer(), 403},
		{"customer job", "GET", "/api/v1/admin/jobs/" + job.ID, nil, customer.Bearer(), 403},
		{"customer export", "GET", "/api/v1/admin/exports/products.csv", nil, customer.Bearer(), 403},
		{"customer bulk", "POST", "/api/v1/admin/products/bulk", map[string]any{"ids": ids, "set": map[string]any{"stock": 1}}, customer.Bearer(), 403},
		{"unknown job", "GET", "/api/v1/admin/jobs/nope", nil, admin.Bearer(), 404},
		{"bulk with two fields", "POST", "/api/v1/admin/products/bulk", map[string]any{"ids": ids, "set": map[string]any{"stock": 1, "status": "draft"}}, admin.Bearer(), 422},
		{"bulk without ids", "POST", "/api/v1/admin/products/bulk", map[string]any{"ids": []string{}, "set": map[string]any{"stock": 1}}, admin.Bearer(), 422},
		{"import not multipart", "POST", "/api/v1/admin/imports", map[string]any{}, admin.Bearer(), 422},
	}
	for _, sc := range scenarios {
		if res := a.Do(t, sc.method, sc.path, sc.body, sc.h); res.Status != sc.status {
			t.Errorf("%s: %d %s, want %d", sc.name, res.Status, res.Body, sc.status)
		}
	}
	body, h = importBody(t, badCSV, map[string]string{"format": "xml"}, admin.Token)
	if res := a.Do(t, "POST", "/api/v1/admin/imports", body, h); res.Status != 422 || !strings.Contains(string(res.Body), "format") {
		t.Errorf("bad format: %d %s", res.Status, res.Body)
	}
	body, h = importBody(t, nil, nil, admin.Token)
	if res := a.Do(t, "POST", "/api/v1/admin/imports", body, h); res.Status != 422 || !strings.Contains(string(res.Body), "file") {
		t.Errorf("no file: %d %s", res.Status, res.Body)
	}
}
