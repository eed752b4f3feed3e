package http

import (
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
)

// sessionResponse is one of the caller's live sessions (sign-ins); never a token.
type sessionResponse struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"` // the session of the access token that asked
}

type sessionList struct {
	Items []sessionResponse `json:"items"`
}

func (s *Server) sessionRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/sessions", Tag: "auth", Summary: "My live sessions",
		Description: "Every sign-in of the caller that is neither revoked nor expired, newest first; current marks the one of this access token.",
		Perm:        auth.PermAccountManage, Response: sessionList{}, Errors: []int{stdhttp.StatusUnauthorized},
		Handler: func(c echo.Context) error {
			if s.deps.Auth == nil {
				return unavailable("auth")
			}
			p, _ := principalOf(c)
			list, err := s.deps.Auth.MySessions(c.Request().Context(), p)
			if err != nil {
				return err
			}
			out := sessionList{Items: make([]sessionResponse, 0, len(list))}
			for _, x := range list {
				out.Items = append(out.Items, sessionResponse{ID: x.ID, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt, ExpiresAt: x.ExpiresAt, Current: x.Current})
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		}})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/auth/sessions/:id", Tag: "auth", Summary: "Sign one of my sessions out",
		Description: "Its refresh and access tokens stop working at once (auth.session_revoked). Another user's session answers 404, as an unknown one does.",
		Perm:        auth.PermAccountManage, Status: stdhttp.StatusNoContent, Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusNotFound},
		Handler: func(c echo.Context) error {
			if s.deps.Auth == nil {
				return unavailable("auth")
			}
			p, _ := principalOf(c)
			if err := s.deps.Auth.RevokeMySession(c.Request().Context(), p, c.Param("id")); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
}
