package apptest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

func TestScenariosAgainstTheSystemRoutes(t *testing.T) {
	a := New(t)
	Run(t, a, []Scenario{
		{Name: "health", Method: "GET", URL: "/healthz", ExpectedStatus: 200, ExpectedContent: []string{`"status":"ok"`}, ExpectedEvents: map[string]int{}},
		{Name: "ready", Method: "GET", URL: "/readyz", ExpectedStatus: 200},
		{Name: "openapi", Method: "GET", URL: "/api/v1/openapi.json", ExpectedStatus: 200, ExpectedContent: []string{`"openapi":"3.1.0"`, `"/readyz"`}},
		{Name: "unknown media", Method: "GET", URL: "/api/v1/media/" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"media_not_found"`, `"request_id"`}, NotExpectedContent: []string{"internal"}},
		{Name: "events of a write are recorded", Method: "GET", URL: "/healthz", ExpectedStatus: 200,
			After: func(t testing.TB, a *App, _ *Response) {
				before := a.DB.LastSeq()
				if _, err := a.CreateUser(context.Background(), auth.CreateUserInput{Email: "e@shop.example", Password: "a long passphrase 42"}); err != nil {
					t.Fatal(err)
				}
				evs := a.EventsAfter(t, before, a.DB.LastSeq())
				if len(evs) != 1 || evs[0].Type != auth.EventUserCreated {
					t.Fatalf("events %+v", evs)
				}
			}},
	})
}

// recorder is a testing.TB that records failures instead of failing the real test, so the
// runner's own checks can be tested.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) run(s Scenario, a *App) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(r, a)
	}()
	<-done
	return r.failures
}

func TestRunnerDetectsMismatches(t *testing.T) {
	a := New(t)
	scenarios := []struct {
		name string
		s    Scenario
		want string
	}{
		{"status", Scenario{Method: "GET", URL: "/healthz", ExpectedStatus: 201}, "status 200, want 201"},
		{"content", Scenario{Method: "GET", URL: "/healthz", ExpectedContent: []string{"nope"}}, `lacks "nope"`},
		{"forbidden content", Scenario{Method: "GET", URL: "/healthz", NotExpectedContent: []string{"ok"}}, `contains "ok"`},
		{"header", Scenario{Method: "GET", URL: "/healthz", ExpectedHeaders: map[string]string{"X-Frame-Options": "SAMEORIGIN"}}, "X-Frame-Options"},
		{"missing event", Scenario{Method: "GET", URL: "/healthz", ExpectedEvents: map[string]int{"catalog.product_created": 1}}, "emitted 0 times, want 1"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			got := strings.Join(r.run(sc.s, a), "\n")
			if !strings.Contains(got, sc.want) {
				t.Errorf("failures %q, want one containing %q", got, sc.want)
			}
		})
	}
	// A clean scenario reports nothing.
	r := &recorder{TB: t}
	if f := r.run(Scenario{Method: "GET", URL: "/healthz", ExpectedStatus: 200, ExpectedContent: []string{"ok"}, ExpectedEvents: map[string]int{}}, a); len(f) != 0 {
		t.Errorf("clean scenario failed: %v", f)
	}
}

func TestEventProblems(t *testing.T) {
	ev := func(typ string) commerce.Event { return commerce.Event{Type: typ} }
	scenarios := []struct {
		name string
		want map[string]int
		got  []commerce.Event
		msgs []string
	}{
		{"match", map[string]int{"a.x": 2}, []commerce.Event{ev("a.x"), ev("a.x")}, nil},
		{"none expected, none got", map[string]int{}, nil, nil},
		{"too few", map[string]int{"a.x": 2}, []commerce.Event{ev("a.x")}, []string{"event a.x emitted 1 times, want 2"}},
		{"unexpected", map[string]int{}, []commerce.Event{ev("b.y")}, []string{"unexpected event b.y (1 times)"}},
	}
	for _, s := range scenarios {
		got := eventProblems(s.want, s.got)
		if len(got) != len(s.msgs) {
			t.Errorf("%s: problems %q, want %q", s.name, got, s.msgs)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], s.msgs[i]) {
				t.Errorf("%s: %q, want prefix %q", s.name, got[i], s.msgs[i])
			}
		}
	}
}
