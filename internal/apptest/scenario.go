package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	stdhttp "net/http"
	"sort"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

// Scenario is one API request and what it must produce.
type Scenario struct {
	Name    string
	Method  string
	URL     string            // path on the instance, e.g. /api/v1/products
	Body    any               // nil, a string sent as is, or a value encoded as JSON
	Headers map[string]string // extra request headers

	ExpectedStatus     int
	ExpectedContent    []string // substrings the response body must contain
	NotExpectedContent []string // substrings it must not contain
	ExpectedHeaders    map[string]string
	ExpectedEvents     map[string]int // event type → how many the request emitted; nil skips the check, an empty map demands none

	Before func(t testing.TB, a *App)
	After  func(t testing.TB, a *App, resp *Response)
}

// Response is what a scenario's request got back.
type Response struct {
	Status int
	Header stdhttp.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on malformed JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, r.Body)
	}
}

// Run runs the scenarios in order against a, each as a subtest.
func Run(t *testing.T, a *App, scenarios []Scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) { s.run(t, a) })
	}
}

func (s Scenario) run(t testing.TB, a *App) {
	if s.Before != nil {
		s.Before(t, a)
	}
	before := a.DB.LastSeq()
	resp := a.Do(t, s.Method, s.URL, s.Body, s.Headers)
	body := string(resp.Body)
	if s.ExpectedStatus != 0 && resp.Status != s.ExpectedStatus {
		t.Fatalf("%s %s: status %d, want %d\n%s", s.Method, s.URL, resp.Status, s.ExpectedStatus, body)
	}
	for _, want := range s.ExpectedContent {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %q\n%s", want, body)
		}
	}
	for _, bad := range s.NotExpectedContent {
		if strings.Contains(body, bad) {
			t.Errorf("response contains %q\n%s", bad, body)
		}
	}
	for k, v := range s.ExpectedHeaders {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if s.ExpectedEvents != nil {
		for _, p := range eventProblems(s.ExpectedEvents, a.EventsAfter(t, before, a.DB.LastSeq())) {
			t.Errorf("%s", p)
		}
	}
	if s.After != nil {
		s.After(t, a, resp)
	}
}

// Do sends one request to the instance and reads the whole response.
func (a *App) Do(t testing.TB, method, path string, body any, headers map[string]string) *Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := stdhttp.NewRequest(method, a.BaseURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := stdhttp.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// eventProblems compares the events a request emitted with the expected count per type.
func eventProblems(want map[string]int, evs []commerce.Event) []string {
	got := map[string]int{}
	for _, ev := range evs {
		got[ev.Type]++
	}
	var out []string
	for typ, n := range want {
		if got[typ] != n {
			out = append(out, fmt.Sprintf("event %s emitted %d times, want %d (all: %v)", typ, got[typ], n, got))
		}
	}
	for typ, n := range got {
		if _, ok := want[typ]; !ok {
			out = append(out, fmt.Sprintf("unexpected event %s (%d times)", typ, n))
		}
	}
	sort.Strings(out)
	return out
}
