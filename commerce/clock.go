package commerce

import "time"

// Clock tells the time. Use cases take one so tests can control time.
type Clock interface{ Now() time.Time }

// SystemClock is the real wall clock, in UTC.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }

// OrSystemClock returns c, or the system clock when c is nil: what a constructor taking an
// optional clock keeps.
func OrSystemClock(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}
