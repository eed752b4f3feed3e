package http

import (
	"context"
	"encoding/json"
	stdhttp "net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
)

// AuditLog reads the audit log. The store implements it.
type AuditLog interface {
	AuditEntries(ctx context.Context, f audit.Filter, page commerce.Page) (commerce.List[audit.Entry], error)
}

// auditEntryResponse is one audit log entry.
type auditEntryResponse struct {
	Seq       uint64          `json:"seq"`
	Time      time.Time       `json:"time"`
	ActorID   string          `json:"actor_id"`
	UserID    string          `json:"user_id,omitempty"`
	Role      string          `json:"role,omitempty"`
	IP        string          `json:"ip,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	Action    string          `json:"action"`
	Target    string          `json:"target,omitempty"`
	EventID   string          `json:"event_id"`
	Data      json.RawMessage `json:"data,omitempty"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

type auditListResponse struct {
	Items      []auditEntryResponse `json:"items"`
	NextCursor string               `json:"next_cursor"`
}

func auditEntryOut(e audit.Entry) auditEntryResponse {
	return auditEntryResponse(e)
}

// auditFilterOf reads the filter query parameters, reporting every bad one by name.
func auditFilterOf(c echo.Context) (audit.Filter, error) {
	f := audit.Filter{ActorID: c.QueryParam("actor"), UserID: c.QueryParam("user_id"), Action: c.QueryParam("action"), Target: c.QueryParam("target")}
	var v commerce.Validator
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		s := c.QueryParam(p.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.Add(p.name, "must be an RFC 3339 time such as 2025-03-01T12:00:00Z")
			continue
		}
		*p.t = t
	}
	return f, joinInvalid(v.Err(), f.Validate())
}

func (s *Server) auditRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/audit", Tag: "admin", Summary: "Read the audit log, newest first",
		Description: "The tamper-evident audit log: every security event (auth.*, vendors.*) and every write by staff, each " +
			"appended in the same atomic write as its action and chained by SHA-256 to the one before it " +
			"(`ultramarket audit verify` checks the chain). Filters combine: actor (exact actor id such as user:<id>, cli, anonymous), " +
			"user_id, action (an event type, or a prefix such as auth.*), target (the entity acted on), from (inclusive) and " +
			"to (exclusive) as RFC 3339 times. A bad filter is 422 naming it. A page reads at most 10,000 entries: with a " +
			"narrow filter it may hold fewer items than limit while next_cursor continues the search; an empty next_cursor " +
			"means the log is exhausted.",
		Perm: auth.PermAuditRead, Response: auditListResponse{},
		Query: []Param{
			{Name: "actor", Type: "string", Description: "actor id, e.g. user:<id>, cli, anonymous, system"},
			{Name: "user_id", Type: "string", Description: "the signed-in user the action was made by"},
			{Name: "action", Type: "string", Description: "event type (auth.login_failed) or prefix ending in * (auth.*)"},
			{Name: "target", Type: "string", Description: "the entity acted on (the event's aggregate)"},
			{Name: "from", Type: "string", Description: "RFC 3339 time; entries at or after it"},
			{Name: "to", Type: "string", Description: "RFC 3339 time; entries before it"},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"},
			{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
		},
		Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			if s.deps.Audit == nil {
				return unavailable("audit")
			}
			f, ferr := auditFilterOf(c)
			page, perr := pageOf(c)
			if err := joinInvalid(ferr, perr); err != nil {
				return err
			}
			l, err := s.deps.Audit.AuditEntries(c.Request().Context(), f, page)
			if err != nil {
				return err
			}
			out := auditListResponse{Items: make([]auditEntryResponse, 0, len(l.Items)), NextCursor: l.NextCursor}
			for _, e := range l.Items {
				out.Items = append(out.Items, auditEntryOut(e))
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		}})
}

// joinInvalid merges validation errors so one answer names every bad field; any other
// error is returned as it is.
func joinInvalid(errs ...error) error {
	var fields []commerce.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		ce := commerce.AsError(err)
		if ce == nil || ce.Kind != commerce.EInvalid || len(ce.Fields) == 0 {
			return err
		}
		fields = append(fields, ce.Fields...)
	}
	if len(fields) == 0 {
		return nil
	}
	return commerce.Invalid(fields...)
}

// auditAdminRoutes serves the audit operations of AdminOps on the admin socket.
func auditAdminRoutes(e *echo.Echo, ops AdminOps) {
	e.GET("/admin/audit/verify", func(c echo.Context) error {
		r, err := ops.VerifyAudit(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, r)
	})
	e.GET("/admin/audit", func(c echo.Context) error {
		f, ferr := auditFilterOf(c)
		page, perr := pageOf(c)
		if err := joinInvalid(ferr, perr); err != nil {
			return err
		}
		l, err := ops.ListAudit(c.Request().Context(), f, page)
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, l)
	})
}

// VerifyAudit implements AdminOps.
func (c *AdminClient) VerifyAudit(ctx context.Context) (audit.Report, error) {
	var r audit.Report
	err := c.doJSON(ctx, "GET", "/admin/audit/verify", nil, &r)
	return r, err
}

// ListAudit implements AdminOps.
func (c *AdminClient) ListAudit(ctx context.Context, f audit.Filter, page commerce.Page) (commerce.List[audit.Entry], error) {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.ActorID, "user_id": f.UserID, "action": f.Action, "target": f.Target, "cursor": page.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, t := range map[string]time.Time{"from": f.From, "to": f.To} {
		if !t.IsZero() {
			q.Set(k, t.Format(time.RFC3339Nano))
		}
	}
	if page.Limit > 0 {
		q.Set("limit", strconv.Itoa(page.Limit))
	}
	var l commerce.List[audit.Entry]
	err := c.doJSON(ctx, "GET", "/admin/audit?"+q.Encode(), nil, &l)
	return l, err
}
