package http

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/ultramarket/ultramarket/commerce"
)

// authPathPrefix is what the per-IP limit guards: sign-in, registration, password reset and
// every other /auth/ route, where guessing is the attack.
const authPathPrefix = "/api/v1/auth/"

// maxLimiterEntries bounds the limiter's memory when very many addresses are active at once
// (a distributed attack); past it, arbitrary entries are forgotten (those addresses start
// with a full burst again) rather than the map growing without bound.
const maxLimiterEntries = 100_000

// ipLimiter is a token bucket per client IP. An entry idle for longer than its bucket takes
// to refill is deleted: a new bucket is the same as that one, so forgetting it changes nothing.
type ipLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration // how long an unused entry is kept
	now   func() time.Time

	mu        sync.Mutex
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// newIPLimiter allows perMinute requests a minute per IP with bursts of burst; nil when
// perMinute is 0 (no limit).
func newIPLimiter(perMinute, burst int, now func() time.Time) *ipLimiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	refill := time.Duration(float64(burst) / float64(perMinute) * float64(time.Minute))
	return &ipLimiter{
		limit: rate.Limit(float64(perMinute) / 60), burst: burst, idle: max(refill, time.Minute), now: now,
		entries: map[string]*limiterEntry{},
	}
}

// allow takes one token of ip's bucket. When none is left it takes nothing and returns how
// long until one is.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	e := l.entries[ip]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.entries[ip] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep deletes idle entries once a minute and, when the map is full, arbitrary entries
// down to nine tenths of maxLimiterEntries (so a flood of addresses costs one pass per
// tenth of the map, not one per request).
func (l *ipLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) >= time.Minute {
		l.lastSweep = now
		for ip, e := range l.entries {
			if now.Sub(e.seen) > l.idle {
				delete(l.entries, ip)
			}
		}
	}
	if len(l.entries) < maxLimiterEntries {
		return
	}
	for ip := range l.entries {
		if len(l.entries) <= maxLimiterEntries*9/10 {
			break
		}
		delete(l.entries, ip)
	}
}

func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// rateLimitAuth refuses requests to /api/v1/auth/ routes beyond the per-IP limit with 429
// rate_limited and Retry-After. The IP is Echo's RealIP, which believes X-Forwarded-For only
// from configured trusted proxies, so a client cannot escape its bucket by sending one.
// A signed-in user's reads of their own account (GET with a bearer token: profile, sessions,
// addresses, preferences, export) do not count: nothing is guessed there, and an account page
// makes several at once. A bad token on such a read is refused by authenticate anyway.
func rateLimitAuth(l *ipLimiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			r := c.Request()
			if !strings.HasPrefix(r.URL.Path, authPathPrefix) ||
				(r.Method == "GET" || r.Method == "HEAD") && r.Header.Get(echo.HeaderAuthorization) != "" {
				return next(c)
			}
			if ok, wait := l.allow(c.RealIP()); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				return &commerce.Error{Kind: commerce.ERateLimited, Code: "rate_limited",
					Message: "too many requests to sign-in routes from your address; retry later",
					Details: map[string]any{"retry_after_seconds": secs}}
			}
			return next(c)
		}
	}
}
