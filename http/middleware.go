package http

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	stdhttp "net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramarket/ultramarket/commerce"
)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies; otherwise the peer
// address is the client (a spoofed header must not bypass per-IP limits).
func ipExtractor(trusted []string) (echo.IPExtractor, error) {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect(), nil
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		// An address alone (as config accepts) is a one-address range.
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, fmt.Errorf("http: trusted proxy %q is neither an IP address nor a CIDR range", p)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		_, n, err := net.ParseCIDR(prefix.Masked().String())
		if err != nil {
			return nil, fmt.Errorf("http: trusted proxy %q: %w", p, err)
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}

// recoverPanics turns a handler panic into a logged internal error for that request only.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == stdhttp.ErrAbortHandler {
					panic(p)
				}
				s.cfg.Logger.Error("panic in handler", "request_id", requestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = &commerce.Error{Kind: commerce.EInternal, Code: "internal", Message: "internal error", Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		return next(c)
	}
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// series caches the children of one method, route and status: looking them up by label
	// values hashes the labels on every request.
	series sync.Map // seriesKey -> *series
}

type seriesKey struct {
	method, route string
	code          int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func (m *httpMetrics) of(method, route string, code int) *series {
	k := seriesKey{method, route, code}
	if v, ok := m.series.Load(k); ok {
		return v.(*series)
	}
	v, _ := m.series.LoadOrStore(k, &series{
		requests: m.requests.WithLabelValues(method, route, strconv.Itoa(code)),
		latency:  m.latency.WithLabelValues(method, route),
	})
	return v.(*series)
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ultramarket_http_requests_total", Help: "HTTP requests by method, route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ultramarket_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// accessLog writes one structured line per request and records the request metrics. It runs
// the error handler itself so the logged status is the one sent.
func (s *Server) accessLog(m *httpMetrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			d := time.Since(start)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			ms := m.of(c.Request().Method, route, status)
			ms.requests.Inc()
			ms.latency.Observe(d.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			s.cfg.Logger.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("request_id", requestID(c)),
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", c.Response().Size),
				slog.Duration("duration", d),
				slog.String("ip", c.RealIP()),
			)
			return nil
		}
	}
}

// bodyLimit refuses bodies over limit bytes (or the route's own limit in perRoute, keyed
// "METHOD path"): early from Content-Length, or while reading.
func bodyLimit(def int64, perRoute map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			limit := def
			if l, ok := perRoute[req.Method+" "+c.Path()]; ok {
				limit = l
			}
			if req.ContentLength > limit {
				return errBodyTooLarge(limit)
			}
			if req.Body != nil {
				req.Body = stdhttp.MaxBytesReader(c.Response(), req.Body, limit)
			}
			return next(c)
		}
	}
}

func errBodyTooLarge(limit int64) error {
	return &commerce.Error{Kind: commerce.ETooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
}
