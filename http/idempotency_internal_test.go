package http

import (
	"context"
	"errors"
	"io"
	"log/slog"
	stdhttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// memIdem is an in-memory IdempotencyStore.
type memIdem struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memIdem) Load(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memIdem) Save(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func TestIdempotencyMiddleware(t *testing.T) {
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, deps: Deps{Idem: &memIdem{m: map[string][]byte{}}}}
	e := s.newEcho()
	e.Use(s.idempotency())
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var calls atomic.Int64
	e.POST("/slow", func(c echo.Context) error {
		calls.Add(1)
		entered <- struct{}{}
		<-release
		return c.JSON(stdhttp.StatusCreated, map[string]int64{"n": calls.Load()})
	})
	var fails atomic.Int64
	e.POST("/flaky", func(c echo.Context) error {
		if fails.Add(1) == 1 {
			return errors.New("disk on fire")
		}
		return c.String(stdhttp.StatusOK, "fine")
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	post := func(path, key, body string) (*stdhttp.Response, string) {
		req, _ := stdhttp.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Idempotency-Key", key)
		res, err := stdhttp.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	type answer struct {
		res  *stdhttp.Response
		body string
	}
	done := make(chan answer)
	go func() { r, b := post("/slow", "k", "{}"); done <- answer{r, b} }()
	<-entered
	if res, body := post("/slow", "k", "{}"); res.StatusCode != 409 || !strings.Contains(body, "idempotency_in_progress") {
		t.Errorf("same key in flight: %d %s", res.StatusCode, body)
	}
	if res, _ := post("/slow", "k", `{"other":1}`); res.StatusCode != 409 {
		t.Errorf("same key and another body in flight: %d", res.StatusCode)
	}
	close(release)
	first := <-done
	if first.res.StatusCode != 201 || first.res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", first.res.StatusCode, first.body)
	}
	res, body := post("/slow", "k", "{}")
	if res.StatusCode != 201 || body != first.body || res.Header.Get("Idempotent-Replayed") != "true" || calls.Load() != 1 {
		t.Errorf("replay: %d %q (first %q), replayed %q, handler ran %d times", res.StatusCode, body, first.body, res.Header.Get("Idempotent-Replayed"), calls.Load())
	}
	if res, body := post("/slow", "k", `{"other":1}`); res.StatusCode != 422 || !strings.Contains(body, "idempotency_key_reused") {
		t.Errorf("another body: %d %s", res.StatusCode, body)
	}

	// A 5xx is not kept: the retry runs the handler again.
	if res, _ := post("/flaky", "f", ""); res.StatusCode != 500 {
		t.Fatalf("flaky first: %d", res.StatusCode)
	}
	if res, body := post("/flaky", "f", ""); res.StatusCode != 200 || body != "fine" || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("retry after a 5xx: %d %q", res.StatusCode, body)
	}
	if res, _ := post("/flaky", "f", ""); res.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("the 200 after the 5xx is not kept")
	}
}

func TestKeepResponse(t *testing.T) {
	for status, keep := range map[int]bool{200: true, 201: true, 204: true, 400: true, 404: true, 409: true, 422: true, 429: false, 500: false, 503: false, 302: false} {
		if keepResponse(status) != keep {
			t.Errorf("keepResponse(%d) = %v", status, !keep)
		}
	}
}
