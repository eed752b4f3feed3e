package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	stdhttp "net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/media"
)

func newTestServer(t *testing.T, deps Deps) *Server {
	t.Helper()
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BodyLimit: 1024, Version: "test"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, h stdhttp.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeErr(t *testing.T, rec *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	if b.Error.RequestID == "" || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("incomplete error body %s", rec.Body.String())
	}
	return b.Error
}

type echoReq struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestErrorMapping(t *testing.T) {
	s := newTestServer(t, Deps{})
	var fail error
	s.echo.GET("/t/fail", func(c echo.Context) error { return fail })
	s.echo.GET("/t/panic", func(c echo.Context) error { panic("boom") })
	s.echo.POST("/t/bind", func(c echo.Context) error {
		var r echoReq
		if err := bind(c, &r); err != nil {
			return err
		}
		return c.JSON(200, r)
	})
	scenarios := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"invalid with fields", commerce.Invalid(commerce.FieldError{Field: "email", Message: "is required"}), 422, "validation_failed"},
		{"invalid", commerce.Errorf(commerce.EInvalid, "bad_cursor", "bad cursor"), 400, "bad_cursor"},
		{"not found", commerce.Errorf(commerce.ENotFound, "product_not_found", "no such product"), 404, "product_not_found"},
		{"conflict", commerce.Errorf(commerce.EConflict, "out_of_stock", "out of stock"), 409, "out_of_stock"},
		{"precondition", commerce.Errorf(commerce.EPrecondition, "stale_version", "stale"), 412, "stale_version"},
		{"unauthorized", commerce.Errorf(commerce.EUnauthorized, "invalid_token", "bad token"), 401, "invalid_token"},
		{"forbidden", commerce.Errorf(commerce.EForbidden, "forbidden", "no"), 403, "forbidden"},
		{"too large", commerce.Errorf(commerce.ETooLarge, "media_too_large", "big"), 413, "media_too_large"},
		{"rate limited", (&commerce.Error{Kind: commerce.ERateLimited, Code: "rate_limited", Message: "slow down"}).WithDetails(map[string]any{"retry_after_seconds": 7}), 429, "rate_limited"},
		{"unavailable", commerce.Errorf(commerce.EUnavailable, "disk_reserve", "disk"), 503, "disk_reserve"},
		{"wrapped", errors.Join(errors.New("ctx"), commerce.Errorf(commerce.ENotFound, "x", "x")), 404, "x"},
		{"internal", errors.New("pebble: secret detail"), 500, "internal"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fail = sc.err
			rec := do(t, s.Handler(), "GET", "/t/fail", "", nil)
			if rec.Code != sc.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, sc.status, rec.Body)
			}
			e := decodeErr(t, rec)
			if e.Code != sc.code {
				t.Errorf("code %q, want %q", e.Code, sc.code)
			}
			if sc.status == 500 && (e.Message != "internal error" || strings.Contains(rec.Body.String(), "secret")) {
				t.Errorf("internal error leaked: %s", rec.Body)
			}
			if sc.status == 429 && rec.Header().Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
		})
	}
	t.Run("panic", func(t *testing.T) {
		rec := do(t, s.Handler(), "GET", "/t/panic", "", nil)
		if rec.Code != 500 || decodeErr(t, rec).Message != "internal error" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
	bodyScenarios := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"ok", `{"name":"a","count":2}`, 200, "", ""},
		{"unknown field", `{"name":"a","role":"SUPER_ADMIN"}`, 422, "validation_failed", "role"},
		{"wrong type", `{"count":"x"}`, 422, "validation_failed", "count"},
		{"malformed", `{"name":`, 400, "malformed_json", ""},
		{"two values", `{} {}`, 400, "malformed_json", ""},
		{"empty", ``, 400, "malformed_json", ""},
		{"too large", `{"name":"` + strings.Repeat("x", 2000) + `"}`, 413, "body_too_large", ""},
	}
	for _, sc := range bodyScenarios {
		t.Run("body "+sc.name, func(t *testing.T) {
			rec := do(t, s.Handler(), "POST", "/t/bind", sc.body, map[string]string{"Content-Type": "application/json"})
			if rec.Code != sc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, sc.status, rec.Body)
			}
			if sc.code == "" {
				return
			}
			e := decodeErr(t, rec)
			if e.Code != sc.code {
				t.Errorf("code %q want %q", e.Code, sc.code)
			}
			if sc.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != sc.field) {
				t.Errorf("fields %+v, want %s", e.Fields, sc.field)
			}
		})
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := newTestServer(t, Deps{})
	rec := do(t, s.Handler(), "GET", "/nope", "", nil)
	if rec.Code != 404 || decodeErr(t, rec).Code != "not_found" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = do(t, s.Handler(), "DELETE", "/healthz", "", nil)
	if rec.Code != 405 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestHealthReadinessAndHeaders(t *testing.T) {
	var ready error = errors.New("starting")
	s := newTestServer(t, Deps{Ready: func() error { return ready }})
	if rec := do(t, s.Handler(), "GET", "/healthz", "", nil); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	rec := do(t, s.Handler(), "GET", "/readyz", "", nil)
	if rec.Code != 503 || decodeErr(t, rec).Code != "not_ready" {
		t.Fatalf("readyz before ready: %d %s", rec.Code, rec.Body)
	}
	ready = nil
	rec = do(t, s.Handler(), "GET", "/readyz", "", nil)
	if rec.Code != 200 {
		t.Fatalf("readyz: %d", rec.Code)
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "X-Request-Id"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

func TestMetricsByRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newTestServer(t, Deps{Registry: reg})
	do(t, s.Handler(), "GET", "/healthz", "", nil)
	do(t, s.Handler(), "GET", "/api/v1/media/zzz", "", nil)
	rec := do(t, s.Handler(), "GET", "/metrics", "", nil)
	body := rec.Body.String()
	for _, want := range []string{
		`ultramarket_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`route="/api/v1/media/:id"`,
		`ultramarket_http_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newTestServer(t, Deps{})
	rec := do(t, s.Handler(), "GET", "/api/v1/openapi.json", "", nil)
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	registered := map[string]bool{}
	for _, r := range s.echo.Routes() {
		registered[r.Method+" "+openAPIPath(r.Path)] = true
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("registered but not documented: %s", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("documented but not registered: %s", k)
		}
	}
	// Mutating routes outside /auth/ document Idempotency-Key; reads and /auth/ do not.
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			has := strings.Contains(string(raw), `"name":"Idempotency-Key","required":false`)
			want := m != "get" && !strings.HasPrefix(p, "/api/v1/auth/")
			if has != want {
				t.Errorf("%s %s documents Idempotency-Key: %v, want %v", strings.ToUpper(m), p, has, want)
			}
		}
	}
	// Every $ref must resolve to a component schema.
	for _, m := range refRE.FindAllStringSubmatch(rec.Body.String(), -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
	// A route added behind the document's back is caught.
	s.echo.GET("/sneaky", func(c echo.Context) error { return nil })
	if err := s.checkRoutes(); err == nil || !strings.Contains(err.Error(), "/sneaky") {
		t.Errorf("checkRoutes did not catch an undocumented route: %v", err)
	}
}

func TestClientIPIgnoresSpoofedForwardedFor(t *testing.T) {
	scenarios := []struct {
		trusted []string
		peer    string
		want    string
	}{
		{nil, "203.0.113.7:1234", "203.0.113.7"},
		{[]string{"10.0.0.0/8"}, "10.1.2.3:1234", "198.51.100.9"},
		{[]string{"10.0.0.0/8"}, "203.0.113.7:1234", "203.0.113.7"},
		{[]string{"10.1.2.3"}, "10.1.2.3:1234", "198.51.100.9"},
		{[]string{"10.1.2.3"}, "10.1.2.4:1234", "10.1.2.4"},
	}
	for _, sc := range scenarios {
		ipx, err := ipExtractor(sc.trusted)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = sc.peer
		req.Header.Set("X-Forwarded-For", "198.51.100.9")
		if got := ipx(req); got != sc.want {
			t.Errorf("trusted %v peer %s: got %s want %s", sc.trusted, sc.peer, got, sc.want)
		}
	}
	if _, err := ipExtractor([]string{"not-a-cidr"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestMediaServing(t *testing.T) {
	ms, err := media.Open(context.Background(), media.Config{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := 0; x < 400; x++ {
		img.Set(x, x%300, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	m, err := ms.Put(context.Background(), &buf, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Deps{Media: ms})
	rec := do(t, s.Handler(), "GET", "/api/v1/media/"+m.ID, "", nil)
	if rec.Code != 200 || rec.Header().Get("ETag") == "" || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("get: %d %v", rec.Code, rec.Header())
	}
	if rec.Header().Get("Content-Type") != m.ContentType {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
	etag := rec.Header().Get("ETag")
	rec = do(t, s.Handler(), "GET", "/api/v1/media/"+m.ID, "", map[string]string{"If-None-Match": etag})
	if rec.Code != 304 {
		t.Errorf("conditional get: %d", rec.Code)
	}
	rec = do(t, s.Handler(), "GET", "/api/v1/media/"+m.ID+"/thumb", "", nil)
	if rec.Code != 200 {
		t.Fatalf("variant: %d %s", rec.Code, rec.Body)
	}
	cfg, _, err := image.DecodeConfig(rec.Body)
	if err != nil || cfg.Width > 160 || cfg.Height > 160 {
		t.Errorf("thumb %dx%d %v", cfg.Width, cfg.Height, err)
	}
	for _, bad := range []string{"/api/v1/media/" + strings.Repeat("a", 64), "/api/v1/media/..%2F..%2Fetc%2Fpasswd", "/api/v1/media/" + m.ID + "/huge"} {
		rec = do(t, s.Handler(), "GET", bad, "", nil)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
}

var refRE = regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`)

func TestStatusAndKindAreInverse(t *testing.T) {
	for _, k := range []commerce.Kind{commerce.ENotFound, commerce.EConflict, commerce.EPrecondition, commerce.EUnauthorized,
		commerce.EForbidden, commerce.ETooLarge, commerce.ERateLimited, commerce.EUnavailable, commerce.EInternal} {
		if got := kindOfStatus(statusOf(&commerce.Error{Kind: k})); got != k {
			t.Errorf("%s -> %d -> %s", k, statusOf(&commerce.Error{Kind: k}), got)
		}
	}
	if kindOfStatus(422) != commerce.EInvalid || kindOfStatus(400) != commerce.EInvalid {
		t.Error("400/422 must map back to invalid")
	}
}
