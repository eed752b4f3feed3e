package http

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

// TokenVerifier checks an access token and says whom it names. auth.Tokens implements it.
type TokenVerifier interface {
	VerifyAccess(ctx context.Context, token string) (auth.Principal, error)
}

const principalKey = "ultramarket.principal"

var (
	errAuthRequired = &commerce.Error{Kind: commerce.EUnauthorized, Code: "authentication_required", Message: "this route needs a bearer access token"}
	errBadAuthHdr   = &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_token", Message: "the Authorization header must be \"Bearer <access token>\""}
	errForbidden    = &commerce.Error{Kind: commerce.EForbidden, Code: "forbidden", Message: "your role may not do this"}
)

// authenticate verifies a bearer token when the request carries one and remembers its
// principal. A request without one goes on as anonymous; a bad token is refused on every
// route (a client that sends credentials must learn they are wrong), and so is a token that
// may only enrol a second factor on any other route (403 two_factor_required, see
// enrolmentRoutes). Either way the
// request's context carries its commerce.Actor (who, from which IP, which request), which
// the store writes into events and the audit log.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		// Gateway webhooks carry the gateway's own credentials (Payme's Basic "Paycom:<key>",
		// UzCard's Basic callback login), checked by the adapter: not a bearer token.
		if h == "" || strings.HasPrefix(c.Request().URL.Path, "/api/v1/payments/webhooks/") {
			setActor(c, commerce.Actor{ID: "anonymous"})
			return next(c)
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return errBadAuthHdr
		}
		if s.deps.Tokens == nil {
			return unavailable("auth")
		}
		p, err := s.deps.Tokens.VerifyAccess(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		if p.EnrolmentOnly && !enrolmentAllowed(c) {
			return auth.ErrTwoFactorRequired
		}
		c.Set(principalKey, p)
		setActor(c, commerce.Actor{ID: p.Actor(), UserID: p.UserID, Role: string(p.Role), Staff: isStaff(p)})
		return next(c)
	}
}

// setActor completes a with the request's IP and ID and puts it into the request's context.
func setActor(c echo.Context, a commerce.Actor) {
	a.IP, a.RequestID = c.RealIP(), requestID(c)
	r := c.Request()
	c.SetRequest(r.WithContext(commerce.WithActor(r.Context(), a)))
}

// principalOf returns the request's verified principal; ok is false for anonymous requests.
func principalOf(c echo.Context) (auth.Principal, bool) {
	p, ok := c.Get(principalKey).(auth.Principal)
	return p, ok
}

// guard wraps a route's handler with its access rule: Auth needs a principal, Perm a
// principal whose role has that permission, Role a role at least that privileged.
func guard(r Route) echo.HandlerFunc {
	if !r.Auth && r.Role == "" && r.Perm == "" {
		return r.Handler
	}
	next := r.Handler
	return func(c echo.Context) error {
		p, ok := principalOf(c)
		if !ok {
			return errAuthRequired
		}
		if r.Role != "" && !p.Role.AtLeast(r.Role) {
			return errForbidden
		}
		if r.Perm != "" && !p.Can(r.Perm) {
			return errForbidden
		}
		return next(c)
	}
}

// isStaff reports whether p is shop staff (an administrator): whose every write is
// audited and who may see every customer's data where a route allows staff.
func isStaff(p auth.Principal) bool { return p.Role.AtLeast(auth.RoleAdmin) }

// unavailable is the error of a route whose backend the server was built without.
func unavailable(what string) error {
	return &commerce.Error{Kind: commerce.EUnavailable, Code: what + "_unavailable", Message: what + " is not available"}
}
