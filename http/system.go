package http

import (
	stdhttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ultramarket/ultramarket/commerce"
)

type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

func (s *Server) systemRoutes() {
	s.handle(Route{Method: "GET", Path: "/healthz", Tag: "system", Summary: "Liveness: the process answers",
		Response: healthResponse{},
		Handler: func(c echo.Context) error {
			return c.JSON(stdhttp.StatusOK, healthResponse{Status: "ok", Version: s.cfg.Version})
		}})
	s.handle(Route{Method: "GET", Path: "/readyz", Tag: "system", Summary: "Readiness: 200 once every engine is open",
		Response: healthResponse{}, Errors: []int{stdhttp.StatusServiceUnavailable},
		Handler: func(c echo.Context) error {
			if s.deps.Ready == nil {
				return &commerce.Error{Kind: commerce.EUnavailable, Code: "not_ready", Message: "not ready"}
			}
			if err := s.deps.Ready(); err != nil {
				return &commerce.Error{Kind: commerce.EUnavailable, Code: "not_ready", Message: err.Error()}
			}
			return c.JSON(stdhttp.StatusOK, healthResponse{Status: "ready"})
		}})
	metrics := promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{Registry: s.deps.Registry})
	s.handle(Route{Method: "GET", Path: "/metrics", Tag: "system", Summary: "Prometheus metrics",
		RawResponse: "text/plain",
		Handler:     echo.WrapHandler(metrics)})
}
