// Package fakehttp is the machinery the local fakes of gateway APIs (stripetest,
// paypaltest, paymetest) share: serving on 127.0.0.1 until the test ends, recording the
// calls answered, a queue of failures to answer next, a stall switch that holds every
// answer past a client's timeout, posting a webhook delivery as the gateway does, and
// serving an adapter's webhook for the fake to post to. What a fake answers is its own.
package fakehttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/payments"
)

// Call is what every fake records of a request it answered; a fake's own call type embeds
// it and adds what its protocol carries (form, body, idempotency key).
type Call struct {
	Method string
	Path   string
	Status int // what the fake answered
}

// Base returns the common part of a recorded call.
func (c Call) Base() Call { return c }

// Recorded is a fake's call type: one that embeds Call.
type Recorded interface{ Base() Call }

// Server is a fake API served on 127.0.0.1 with calls of type C and queued failures of
// type F. The fake embeds it; its own state keeps its own lock.
type Server[C Recorded, F any] struct {
	URL string // base URL, for the adapter's Config.BaseURL

	mu    sync.Mutex
	calls []C
	fail  []F
	delay time.Duration
}

// Start serves on 127.0.0.1:0 until the test ends. Each request is read, then waits out the
// delay (returning without an answer when the client gives up), then answer returns the call to
// record (with its status) and the status and JSON body to send.
func Start[C Recorded, F any](t testing.TB, answer func(r *http.Request) (C, int, []byte)) *Server[C, F] {
	t.Helper()
	s := &Server[C, F]{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request first: only then does the server notice a client that gives up.
		payload, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(payload))
		if delay := s.stall(); delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		call, status, body := answer(r)
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start()
	t.Cleanup(func() {
		srv.CloseClientConnections() // stalled answers end with their connection
		srv.Close()
	})
	s.URL = srv.URL
	return s
}

func (s *Server[C, F]) stall() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delay
}

// Delay makes every answer wait d first (0 turns it off); a client with a shorter timeout
// gives up.
func (s *Server[C, F]) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Calls returns the calls answered so far.
func (s *Server[C, F]) Calls() []C {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]C(nil), s.calls...)
}

// CallsTo returns the calls to method and path.
func (s *Server[C, F]) CallsTo(method, path string) []C {
	var out []C
	for _, c := range s.Calls() {
		if b := c.Base(); b.Method == method && b.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// QueueFailure queues f, to be taken by a later call.
func (s *Server[C, F]) QueueFailure(f F) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, f)
}

// TakeFailure removes and returns the oldest queued failure that match accepts (nil: any).
func (s *Server[C, F]) TakeFailure(match func(F) bool) (F, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.fail {
		if match == nil || match(f) {
			s.fail = append(s.fail[:i], s.fail[i+1:]...)
			return f, true
		}
	}
	var zero F
	return zero, false
}

// Copy returns a copy of *m[k], read under mu (a fake's objects by ID).
func Copy[K comparable, V any](mu *sync.Mutex, m map[K]*V, k K) (V, bool) {
	mu.Lock()
	defer mu.Unlock()
	if v, ok := m[k]; ok {
		return *v, true
	}
	var zero V
	return zero, false
}

// Post sends body to url with header through hc (nil: http.DefaultClient), as a gateway
// delivers a webhook or calls the shop's API, and returns the answer's status and body.
func Post(ctx context.Context, hc *http.Client, url string, body []byte, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// ServeWebhook serves w on 127.0.0.1 until the test ends (every request's body is handed
// to w.HandleWebhook) and returns its URL.
func ServeWebhook(t testing.TB, w payments.Webhook) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		status, ct, resp := w.HandleWebhook(r.Context(), r.Header, body)
		rw.Header().Set("Content-Type", ct)
		rw.WriteHeader(status)
		_, _ = rw.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
