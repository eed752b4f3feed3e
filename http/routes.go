package http

import (
	"fmt"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
)

// Route is one documented endpoint. Every route of the public server is registered through
// Server.handle, which both adds it to Echo and to the OpenAPI document, so the two cannot
// drift apart; New also checks Echo's table against the document.
type Route struct {
	Method       string
	Path         string // Echo syntax: /api/v1/products/:id
	Tag          string
	Summary      string
	Description  string
	Auth         bool            // requires a bearer token
	Role         auth.Role       // requires a principal with at least this role (implies Auth); prefer Perm
	Perm         auth.Permission // requires a principal whose role has this permission (implies Auth)
	OptionalAuth bool            // anonymous or bearer: the handler decides what each may see
	Query        []Param         // query parameters
	Request      any             // zero value of the JSON request body type, or nil
	Response     any             // zero value of the JSON response body type, or nil
	Status       int             // success status; 0 means 200
	RawResponse  string          // content type of a non-JSON response (e.g. image/*, text/plain)
	Errors       []int           // documented error statuses besides the generic ones
	BodyLimit    int64           // this route's request body limit when it differs from Config.BodyLimit (uploads); 0 = the server's
	Handler      echo.HandlerFunc
}

// Param documents a query parameter.
type Param struct {
	Name        string
	Type        string // "string", "integer", "boolean", "number"
	Description string
	Required    bool
}

func (s *Server) handle(r Route) {
	if r.Role != "" || r.Perm != "" {
		r.Auth = true
	}
	if r.BodyLimit > 0 {
		s.bodyLimits[r.Method+" "+r.Path] = r.BodyLimit
	}
	s.echo.Add(r.Method, r.Path, guard(r))
	s.routes = append(s.routes, r)
}

// registerRoutes adds every public route. Each resource file contributes its own list.
func (s *Server) registerRoutes() {
	s.systemRoutes()
	s.mediaRoutes()
	s.authRoutes()
	s.authRecoveryRoutes()
	s.twoFactorRoutes()
	s.sessionRoutes()
	s.adminUserRoutes()
	s.catalogRoutes()
	s.importRoutes()
	s.recommendRoutes()
	s.cartRoutes()
	s.orderRoutes()
	s.auditRoutes()
	s.customerRoutes()
	s.vendorRoutes()
	s.reviewRoutes()
	s.inventoryRoutes()
	s.pricingRoutes()
	s.shippingRoutes()
	s.ledgerRoutes()
	s.paymentRoutes()
	s.openAPIRoute()
}

// checkRoutes verifies that Echo serves exactly the documented routes.
func (s *Server) checkRoutes() error {
	documented := map[string]bool{}
	for _, r := range s.routes {
		documented[r.Method+" "+r.Path] = true
	}
	var extra []string
	for _, r := range s.echo.Routes() {
		k := r.Method + " " + r.Path
		if !documented[k] && !strings.HasSuffix(r.Name, "glob..func1") {
			extra = append(extra, k)
		}
		delete(documented, k)
	}
	var missing []string
	for k := range documented {
		missing = append(missing, k)
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 || len(missing) > 0 {
		return fmt.Errorf("http: route table and OpenAPI document differ: undocumented %v, not registered %v", extra, missing)
	}
	return nil
}

// Routes returns the documented routes (for tests and the CLI reference).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }
