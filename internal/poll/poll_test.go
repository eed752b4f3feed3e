package poll

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// failRecorder is a testing.TB whose Fatalf records the failure and ends the goroutine.
type failRecorder struct {
	testing.TB
	msg string
}

func (f *failRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	Until(t, "the third call", func() bool { return calls.Add(1) >= 3 })
	if calls.Load() != 3 {
		t.Errorf("calls %d, want 3", calls.Load())
	}
}

func TestWithinFailsAfterTheBound(t *testing.T) {
	f := &failRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Within(f, 30*time.Millisecond, "never", func() bool { return false })
	}()
	<-done
	if !strings.Contains(f.msg, "waiting for never") {
		t.Errorf("failure message %q", f.msg)
	}
}
