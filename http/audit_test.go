package http_test

import (
	"context"
	"net"
	stdhttp "net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
	uhttp "github.com/ultramarket/ultramarket/http"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/store"
)

type auditPage struct {
	Items []struct {
		Seq       uint64         `json:"seq"`
		Time      time.Time      `json:"time"`
		ActorID   string         `json:"actor_id"`
		UserID    string         `json:"user_id"`
		IP        string         `json:"ip"`
		RequestID string         `json:"request_id"`
		Action    string         `json:"action"`
		Target    string         `json:"target"`
		Data      map[string]any `json:"data"`
		PrevHash  string         `json:"prev_hash"`
		Hash      string         `json:"hash"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// emitAudited commits one event of type typ about target as actor.
func emitAudited(t testing.TB, db *store.DB, actor commerce.Actor, typ, target string) {
	t.Helper()
	ctx := commerce.WithActor(context.Background(), actor)
	err := db.Update(ctx, func(tx *store.Tx) error {
		ev, err := commerce.NewEvent(typ, target, time.Now(), map[string]bool{"test": true})
		if err != nil {
			return err
		}
		tx.Emit(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuditAPI(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	super := a.NewUser(t, auth.RoleSuperAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	vendor := a.NewUser(t, auth.RoleVendor)
	staff := commerce.Actor{ID: "user:" + admin.ID, UserID: admin.ID, Role: "ADMIN", Staff: true, IP: "192.0.2.1", RequestID: "req-1"}
	guest := commerce.Actor{ID: "anonymous", IP: "192.0.2.7"}
	emitAudited(t, a.DB, guest, "auth.audit_probe", "probe-1")
	emitAudited(t, a.DB, staff, "catalog.audit_probe", "probe-2") // staff write: audited
	emitAudited(t, a.DB, guest, "catalog.audit_probe", "probe-3") // anonymous write: not audited
	emitAudited(t, a.DB, guest, "auth.audit_probe", "probe-4")
	before := time.Now()

	none := map[string]int{}
	const path = "/api/v1/admin/audit"
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous", Method: "GET", URL: path, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "customer", Method: "GET", URL: path, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "vendor", Method: "GET", URL: path, Headers: vendor.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "super admin", Method: "GET", URL: path + "?action=auth.audit_probe", Headers: super.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"target":"probe-4"`, `"target":"probe-1"`}, ExpectedEvents: none},
		{Name: "admin, prefix filter, newest first", Method: "GET", URL: path + "?action=" + url.QueryEscape("auth.audit_*"), Headers: admin.Bearer(),
			ExpectedStatus: 200, After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var p auditPage
				r.JSON(t, &p)
				if len(p.Items) != 2 || p.Items[0].Target != "probe-4" || p.Items[1].Target != "probe-1" || p.NextCursor != "" {
					t.Fatalf("want probe-4 then probe-1 and no cursor, got %+v", p)
				}
				e := p.Items[1]
				if e.ActorID != "anonymous" || e.IP != "192.0.2.7" || e.Data["test"] != true || len(e.Hash) != 64 || e.Seq <= 0 {
					t.Errorf("entry does not carry its actor, data and hash: %+v", e)
				}
			}},
		{Name: "staff write by actor", Method: "GET", URL: path + "?actor=user:" + admin.ID + "&action=catalog.audit_probe", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"target":"probe-2"`, `"request_id":"req-1"`, `"role":"ADMIN"`},
			NotExpectedContent: []string{"probe-3"}},
		{Name: "user and target", Method: "GET", URL: path + "?user_id=" + admin.ID + "&target=probe-2", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"target":"probe-2"`}},
		{Name: "anonymous writes are not audited", Method: "GET", URL: path + "?target=probe-3", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`, `"next_cursor":""`}},
		{Name: "time window", Method: "GET", URL: path + "?action=auth.audit_probe&from=" + url.QueryEscape(before.Add(-time.Hour).Format(time.RFC3339)) +
			"&to=" + url.QueryEscape(before.Add(time.Second).Format(time.RFC3339Nano)), Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{"probe-1", "probe-4"}},
		{Name: "window in the future", Method: "GET", URL: path + "?action=auth.audit_probe&from=" + url.QueryEscape(before.Add(time.Hour).Format(time.RFC3339)),
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "bad filters are named", Method: "GET", URL: path + "?from=yesterday&action=a*b&limit=0", Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"from"`, `"field":"action"`, `"field":"limit"`}, ExpectedEvents: none},
		{Name: "to before from", Method: "GET", URL: path + "?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"to"`}},
		{Name: "bad cursor", Method: "GET", URL: path + "?cursor=***", Headers: admin.Bearer(), ExpectedStatus: 400,
			ExpectedContent: []string{"invalid_cursor"}},
	})

	t.Run("cursor pages through every entry once", func(t *testing.T) {
		seen := map[uint64]bool{}
		var last uint64
		cursor := ""
		for range 100 {
			r := a.Do(t, "GET", path+"?limit=2&cursor="+url.QueryEscape(cursor), nil, admin.Bearer())
			if r.Status != 200 {
				t.Fatalf("status %d\n%s", r.Status, r.Body)
			}
			var p auditPage
			r.JSON(t, &p)
			for _, e := range p.Items {
				if seen[e.Seq] || (last != 0 && e.Seq >= last) {
					t.Fatalf("entry #%d out of order or repeated (previous #%d)", e.Seq, last)
				}
				seen[e.Seq], last = true, e.Seq
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if last != 1 {
			t.Errorf("paging ended at #%d, want #1", last)
		}
		rep, err := a.DB.VerifyAudit(context.Background())
		if err != nil || !rep.OK || rep.Entries != uint64(len(seen)) {
			t.Errorf("paged %d entries; VerifyAudit = %+v, %v", len(seen), rep, err)
		}
	})
}

// TestAuditThroughAdminSocket: the CLI's path to a running server answers like the app.
func TestAuditThroughAdminSocket(t *testing.T) {
	a := apptest.New(t)
	emitAudited(t, a.DB, commerce.Actor{ID: "cli", Staff: true}, "catalog.audit_probe", "probe-s1")
	emitAudited(t, a.DB, commerce.Actor{ID: "anonymous"}, "auth.audit_probe", "probe-s2")
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &stdhttp.Server{Handler: uhttp.NewAdmin(a.App, nil)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	c, err := uhttp.DialAdmin(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	want, err := a.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.VerifyAudit(ctx)
	if err != nil || got != want || !got.OK || got.Entries < 2 {
		t.Fatalf("VerifyAudit through the socket = %+v, %v; the app says %+v", got, err, want)
	}
	l, err := c.ListAudit(ctx, audit.Filter{ActorID: "cli", Action: "catalog.*", From: time.Now().Add(-time.Hour)}, commerce.Page{Limit: 5})
	if err != nil || len(l.Items) != 1 || l.Items[0].Target != "probe-s1" {
		t.Fatalf("ListAudit through the socket = %+v, %v; want probe-s1 only", l, err)
	}
	if _, err := c.ListAudit(ctx, audit.Filter{Action: "a*b"}, commerce.Page{}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("a bad filter through the socket: %v, want invalid", err)
	}
}
