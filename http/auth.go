package http

import (
	stdhttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
)

// registerRequest is the body of POST /auth/register. There is no role field: a
// self-registered account is always a CUSTOMER, and strict decoding refuses "role".
type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// logoutRequest is the optional body of POST /auth/logout: without a refresh token, the
// session of the bearer's access token ends.
type logoutRequest struct {
	RefreshToken string `json:"refresh_token,omitempty"`
}

// userResponse is an account as its owner sees it; never the password hash.
type userResponse struct {
	ID               string    `json:"id"`
	Email            string    `json:"email"`
	Name             string    `json:"name"`
	Phone            string    `json:"phone,omitempty"`
	Role             auth.Role `json:"role"`
	TwoFactorEnabled bool      `json:"two_factor_enabled"` // TOTP sign-in confirmed
	EmailVerified    bool      `json:"email_verified"`     // the owner opened a verification (or reset) link
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int64     `json:"version"`
}

func userOut(u auth.User) userResponse {
	return userResponse{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Role: u.Role, TwoFactorEnabled: u.TOTPEnabled,
		EmailVerified: u.EmailVerified, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

// tokenResponse is what login and refresh answer.
type tokenResponse struct {
	User         userResponse `json:"user"`
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	TokenType    string       `json:"token_type"` // always "Bearer"
	ExpiresIn    int64        `json:"expires_in"` // seconds the access token lives
}

func tokensOut(in auth.SignIn) tokenResponse {
	return tokenResponse{User: userOut(in.User), AccessToken: in.AccessToken, RefreshToken: in.RefreshToken,
		TokenType: "Bearer", ExpiresIn: int64(in.ExpiresIn / time.Second)}
}

// profileRequest is the body of PUT /auth/profile: only the fields a user may change on
// their own account; an omitted field stays as it is, an empty phone clears it.
type profileRequest struct {
	Name  *string `json:"name,omitempty"`
	Phone *string `json:"phone,omitempty"`
}

// isAuthRoute reports whether the request is for an /auth/ route. The Idempotency-Key
// middleware skips them: their answers carry tokens (which are never stored in clear), their
// bodies passwords (whose fast hash it would keep), and a replayed refresh answer would hand
// out a live pair again without the reuse check.
// authPrefix starts the sign-in and account routes, which ignore Idempotency-Key (their
// answers carry tokens, which are never stored).
const authPrefix = "/api/v1/auth/"

func isAuthRoute(c echo.Context) bool { return strings.HasPrefix(c.Path(), authPrefix) }

// noStore keeps responses that carry tokens or personal data out of caches.
func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
}

func (s *Server) authRoutes() {
	authService := func() (*auth.Service, error) {
		if s.deps.Auth == nil {
			return nil, unavailable("auth")
		}
		return s.deps.Auth, nil
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/register", Tag: "auth", Summary: "Create a customer account",
		Description: "Always creates a CUSTOMER and answers 202 {\"status\":\"verification_sent\"}, the same whether or not the e-mail already has an account " +
			"(no account enumeration): a new account gets a verification mail (link to GET /api/v1/auth/verify-email/{token}), " +
			"the owner of a taken address a notice. No tokens: sign in with POST /api/v1/auth/login (allowed before verification; " +
			"the profile shows email_verified). Field errors (weak password, malformed e-mail, missing name) are 422.",
		Request: registerRequest{}, Response: acceptedResponse{}, Status: stdhttp.StatusAccepted,
		Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req registerRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			if err := svc.Register(c.Request().Context(), auth.RegisterInput{Email: req.Email, Password: req.Password, Name: req.Name}); err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusAccepted, acceptedResponse{Status: "verification_sent",
				Message: "If this address can be registered, a verification e-mail is on its way. You can sign in now."})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/login", Tag: "auth", Summary: "Sign in with e-mail and password",
		Description: "A wrong e-mail and a wrong password both answer 401 invalid_credentials. Each login starts a new session. " + loginMFANote,
		Request:     loginRequest{}, Response: tokenResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusUnprocessableEntity, stdhttp.StatusTooManyRequests},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req loginRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			out, err := svc.Login(c.Request().Context(), req.Email, req.Password)
			if err != nil {
				return err
			}
			noStore(c)
			if out.MFAToken != "" {
				return c.JSON(stdhttp.StatusOK, mfaOut(out))
			}
			return c.JSON(stdhttp.StatusOK, tokensOut(out))
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/refresh-token", Tag: "auth", Summary: "Exchange a refresh token for a new token pair",
		Description: "The presented refresh token stops working. Presenting it again revokes its whole session (401 token_reused).",
		Request:     refreshRequest{}, Response: tokenResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req refreshRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			out, err := svc.Refresh(c.Request().Context(), req.RefreshToken)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, tokensOut(out))
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/logout", Tag: "auth", Summary: "End a session",
		Description: "Revokes the session of the given refresh token (which must be the caller's), or without a body the session of the bearer token. Its refresh tokens and access tokens stop working.",
		Auth:        true, Request: logoutRequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req logoutRequest
			if c.Request().ContentLength != 0 {
				if err := bind(c, &req); err != nil {
					return err
				}
			}
			p, _ := principalOf(c)
			if err := svc.Logout(c.Request().Context(), p, req.RefreshToken); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile", Tag: "auth", Summary: "The signed-in account",
		Description: "ETag is the account's version, for If-Match on PUT.",
		Auth:        true, Response: userResponse{}, Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusNotFound},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			p, _ := principalOf(c)
			u, err := svc.Profile(c.Request().Context(), p)
			if err != nil {
				return err
			}
			noStore(c)
			setETag(c, u.Version)
			return c.JSON(stdhttp.StatusOK, userOut(u))
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/auth/profile", Tag: "auth", Summary: "Change the signed-in account's name or phone",
		Description: "Omitted fields stay as they are; an empty phone clears it. With If-Match, a stale version answers 412 version_mismatch.",
		Auth:        true, Request: profileRequest{}, Response: userResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			var req profileRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			p, _ := principalOf(c)
			u, err := svc.UpdateProfile(c.Request().Context(), p, auth.ProfileInput{Name: req.Name, Phone: req.Phone, IfVersion: version})
			if err != nil {
				return err
			}
			noStore(c)
			setETag(c, u.Version)
			return c.JSON(stdhttp.StatusOK, userOut(u))
		}})
}
