// Package http is UltraMarket's HTTP adapter on Echo: the public REST API under /api/v1, the
// health, readiness and metrics endpoints, the OpenAPI document, middleware (request IDs,
// access log, panic recovery, security headers, CORS, body limit, timeouts) and the single
// error handler that maps commerce error kinds to status codes. Handlers translate; business
// rules live in the domains.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/recommend"
	"github.com/ultramarket/ultramarket/commerce/reviews"
	"github.com/ultramarket/ultramarket/commerce/vendors"
	"github.com/ultramarket/ultramarket/index"
	"github.com/ultramarket/ultramarket/media"
)

// Config configures the public HTTP server.
type Config struct {
	Listen         string        // host:port; "" means 127.0.0.1:8080
	ReadTimeout    time.Duration // 0 means 15 s
	WriteTimeout   time.Duration // 0 means 30 s
	IdleTimeout    time.Duration // 0 means 60 s
	BodyLimit      int64         // bytes; 0 means 1 MiB
	CORSOrigins    []string      // allowed origins; empty disables CORS
	TrustedProxies []string      // CIDRs whose X-Forwarded-For is believed; empty means the peer address
	AuthRateLimit  int           // requests per minute one IP may make to /api/v1/auth/ routes; 0 means no limit
	AuthRateBurst  int           // requests one IP may make at once before AuthRateLimit applies; 0 means 1
	ImportMaxBytes int64         // largest product file POST /admin/imports accepts; 0 means 50 MiB
	Version        string        // reported by /healthz
	Logger         *slog.Logger  // nil means slog.Default()
}

func (c *Config) ensureDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Deps are the components the handlers use. Nil members disable their routes' backends
// (the route answers 503) so tests can build a server with only what they need.
type Deps struct {
	Ready    func() error         // nil error once every engine is open
	Registry *prometheus.Registry // where HTTP metrics are registered and /metrics reads from
	Media    *media.Store
	Tokens   TokenVerifier     // verifies bearer tokens; nil refuses every bearer token with 503
	Auth     *auth.Service     // accounts: register, login, profile
	Catalog  *catalog.Service  // products and categories
	Search   *index.Index      // product search
	Carts    *cart.Service     // carts
	Orders   *orders.Service   // orders and their status
	Checkout *checkout.Service // cart → order
	Vendors  *vendors.Service  // vendors, their KYC documents and order lines
	Reviews  *reviews.Service  // product reviews, moderation and helpful votes
	Idem     IdempotencyStore  // stored responses of Idempotency-Key requests; nil disables replay
	Audit    AuditLog          // the audit log (GET /admin/audit)
	Jobs     CatalogJobs       // product imports, exports and bulk changes (background jobs)

	// Recommend: trending, recommendations and the product page's view counter.
	Recommend *recommend.Service

	// Customers: address books, preferences, the export and account deletion.
	Customers CustomerDeps

	// The commerce engine, one part per domain (declared in the domain's route file).
	InventoryDeps
	PricingDeps
	ShippingDeps
	LedgerDeps
	PaymentDeps
}

// Server is the public HTTP server.
type Server struct {
	cfg        Config
	deps       Deps
	echo       *echo.Echo
	routes     []Route
	bodyLimits map[string]int64 // "METHOD path" → body limit of routes with their own (Route.BodyLimit)
	openapi    []byte           // rendered once by New
	searches   responseCache    // search responses of the index's current products version
	suggests   responseCache    // suggest answers of the current suggestion table
	srv        *stdhttp.Server
	ln         net.Listener
	done       chan error
}

// New builds the server and registers every route. It does not listen yet.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg.ensureDefaults()
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	ipx, err := ipExtractor(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: deps, bodyLimits: map[string]int64{}}
	e := s.newEcho()
	e.IPExtractor = ipx
	s.echo = e
	m := newHTTPMetrics(deps.Registry)

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: newRequestID,
	}))
	e.Use(s.recoverPanics)
	e.Use(s.accessLog(m))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "no-referrer",
		ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
	}))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowMethods:  []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"},
			AllowHeaders:  []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-ID"},
			ExposeHeaders: []string{"ETag", "X-Request-ID", "Retry-After"},
			MaxAge:        600,
		}))
	}
	e.Use(rateLimitAuth(newIPLimiter(cfg.AuthRateLimit, cfg.AuthRateBurst, nil)))
	e.Use(bodyLimit(cfg.BodyLimit, s.bodyLimits))
	e.Use(s.authenticate)
	e.Use(s.idempotency()) // after authenticate: keys are scoped by principal
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: cfg.WriteTimeout}))

	s.registerRoutes()
	if err := s.checkRoutes(); err != nil {
		return nil, err
	}
	if err := s.renderOpenAPI(); err != nil {
		return nil, err
	}
	return s, nil
}

// newEcho returns an Echo instance with this package's error handler and strict JSON, and
// with Echo's own banner and logger silenced (requests are logged by accessLog).
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(discard{})
	e.HTTPErrorHandler = s.handleError
	e.JSONSerializer = strictJSON{}
	return e
}

// Handler returns the server as an http.Handler (for in-process tests).
func (s *Server) Handler() stdhttp.Handler { return s.echo }

// Listen binds the configured address and returns the bound address (useful with port 0).
func (s *Server) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", s.cfg.Listen, err)
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Serve serves on the bound listener in the background. Errors other than a clean
// shutdown are reported by Shutdown.
func (s *Server) Serve() {
	s.srv = &stdhttp.Server{
		Handler:           s.echo,
		ReadTimeout:       s.cfg.ReadTimeout,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(s.ln)
		if errors.Is(err, stdhttp.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
}

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends,
// then closes the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		if s.ln != nil {
			return s.ln.Close()
		}
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("http: graceful shutdown: %w", err), s.srv.Close())
	}
	if serr := <-s.done; serr != nil {
		err = errors.Join(err, serr)
	}
	s.srv = nil
	return err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
