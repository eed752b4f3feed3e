// Package poll is the tests' one way to wait for something that happens asynchronously:
// poll a condition with a short back-off until it holds, and fail after a bound. Tests never
// synchronize with bare sleeps.
package poll

import (
	"testing"
	"time"
)

// DefaultTimeout bounds Until. It is generous because CI machines are shared and slow;
// waiting that long only ever happens when the test is failing anyway.
const DefaultTimeout = 30 * time.Second

// Until polls cond until it returns true, failing t after DefaultTimeout.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, DefaultTimeout, what, cond)
}

// Within polls cond until it returns true, failing t after timeout.
func Within(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(wait)
	}
}
