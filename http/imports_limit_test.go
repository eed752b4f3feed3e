package http_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// TestImportFiftyMegabytes sends a 50 MB product file (catalog.import_max_bytes is 50 MiB by
// default): one product whose description fills almost all of it, between two small valid
// ones. The file is accepted and streamed; the huge product is a row error naming its line and
// field and is not written at all; the two others are. One byte more than the limit is 413
// and starts no job.
func TestImportFiftyMegabytes(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)

	const header = "Handle,Title,Body (HTML),Option1 Name,Option1 Value,Variant SKU,Variant Price\r\n"
	row := func(handle, body string) string {
		return fmt.Sprintf("%s,%s,%s,Title,Default Title,%s-1,9.99\r\n", handle, strings.ToUpper(handle[:1])+handle[1:], body, handle)
	}
	small1, small2 := row("small-one", "ok"), row("small-two", "ok")
	limit := 50 << 20
	fill := limit - len(header) - len(small1) - len(small2) - len(row("huge", "")) - 4096 // leave room for the multipart envelope
	file := header + small1 + row("huge", strings.Repeat("x", fill)) + small2
	if len(file) < 49<<20 {
		t.Fatalf("the test file is only %d bytes", len(file))
	}

	body, h := importBody(t, []byte(file), nil, admin.Token)
	res := a.Do(t, "POST", "/api/v1/admin/imports", body, h)
	if res.Status != 202 {
		t.Fatalf("50 MB import: %d %s", res.Status, res.Body[:min(len(res.Body), 500)])
	}
	var job catalog.Job
	res.JSON(t, &job)
	job = waitJob(t, a, admin, job.ID)
	if job.Status != catalog.JobSucceeded || job.Report == nil || job.Report.Created != 2 || job.Report.Failed != 1 {
		t.Fatalf("job %+v report %+v", job, job.Report)
	}
	found := false
	for _, e := range job.Report.Errors {
		if e.Line == 3 && e.Handle == "huge" && e.Field == "description" {
			found = true
		}
	}
	if !found {
		t.Errorf("no row error for line 3 huge description: %+v", job.Report.Errors)
	}
	for _, slug := range []string{"small-one", "small-two"} {
		if r := a.Do(t, "GET", "/api/v1/products/"+slug, nil, admin.Bearer()); r.Status != 200 {
			t.Errorf("%s: %d", slug, r.Status)
		}
	}
	if r := a.Do(t, "GET", "/api/v1/products/huge", nil, admin.Bearer()); r.Status != 404 {
		t.Errorf("the refused product was written: %d", r.Status)
	}

	// Over the limit: refused before any job starts.
	over := header + row("over", strings.Repeat("y", limit))
	body, h = importBody(t, []byte(over), nil, admin.Token)
	seq := a.DB.LastSeq()
	if r := a.Do(t, "POST", "/api/v1/admin/imports", body, h); r.Status != 413 || !bytes.Contains(r.Body, []byte("import_max_bytes")) && r.Status == 413 {
		t.Fatalf("over the limit: %d %s", r.Status, r.Body[:min(len(r.Body), 300)])
	}
	if a.DB.LastSeq() != seq {
		t.Error("a refused upload wrote events")
	}
}
