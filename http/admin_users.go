package http

import (
	stdhttp "net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

// adminUserResponse is an account as staff see it: its state, never a secret (no password
// hash, second-factor secret or recovery codes).
type adminUserResponse struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Phone         string    `json:"phone,omitempty"`
	Role          auth.Role `json:"role"`
	Disabled      bool      `json:"disabled"`
	EmailVerified bool      `json:"email_verified"`
	TOTPEnabled   bool      `json:"totp_enabled"`
	LockedUntil   time.Time `json:"locked_until,omitzero"`
	Deleted       bool      `json:"deleted,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Version       int64     `json:"version"`
}

func adminUserOut(u auth.User) adminUserResponse {
	return adminUserResponse{ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, Role: u.Role, Disabled: u.Disabled,
		EmailVerified: u.EmailVerified, TOTPEnabled: u.TOTPEnabled, LockedUntil: u.LockedUntil, Deleted: u.Deleted,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

type adminUserList struct {
	Items      []adminUserResponse `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

// setRoleRequest is the body of PUT /admin/users/:id/role.
type setRoleRequest struct {
	Role string `json:"role"`
}

// userFilterOf reads the filters of GET /admin/users.
func userFilterOf(c echo.Context) (auth.UserFilter, error) {
	f := auth.UserFilter{Role: auth.Role(c.QueryParam("role")), EmailPrefix: c.QueryParam("q")}
	if s := c.QueryParam("disabled"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, commerce.Invalid(commerce.FieldError{Field: "disabled", Message: "must be true or false"})
		}
		f.Disabled = &b
	}
	return f, nil
}

func (s *Server) adminUserRoutes() {
	svc := func() (*auth.Service, error) {
		if s.deps.Auth == nil {
			return nil, unavailable("auth")
		}
		return s.deps.Auth, nil
	}
	// one answers a use case on the user in the path with that user.
	one := func(status int, op func(c echo.Context, svc *auth.Service, id string) (auth.User, error)) echo.HandlerFunc {
		return func(c echo.Context) error {
			svc, err := svc()
			if err != nil {
				return err
			}
			u, err := op(c, svc, c.Param("id"))
			if err != nil {
				return err
			}
			noStore(c)
			setETag(c, u.Version)
			return c.JSON(status, adminUserOut(u))
		}
	}
	userErrors := []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusNotFound}

	s.handle(Route{Method: "GET", Path: "/api/v1/admin/users", Tag: "admin", Summary: "List user accounts",
		Description: "In creation order. Filters combine: role, q (e-mail prefix, any case), disabled (true or false).",
		Perm:        auth.PermUsersManage, Response: adminUserList{},
		Query: []Param{{Name: "role", Type: "string", Description: "CUSTOMER, VENDOR, ADMIN or SUPER_ADMIN"},
			{Name: "q", Type: "string", Description: "e-mail prefix, any case"},
			{Name: "disabled", Type: "boolean", Description: "only disabled (true) or enabled (false) accounts"},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := svc()
			if err != nil {
				return err
			}
			f, err := userFilterOf(c)
			if err != nil {
				return err
			}
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			l, err := svc.FindUsers(c.Request().Context(), f, page)
			if err != nil {
				return err
			}
			out := adminUserList{Items: make([]adminUserResponse, 0, len(l.Items)), NextCursor: l.NextCursor}
			for _, u := range l.Items {
				out.Items = append(out.Items, adminUserOut(u))
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/users", Tag: "admin", Summary: "Create an account with any role (staff included)",
		Description: "SUPER_ADMIN only. The password follows the same policy as registration.",
		Perm:        auth.PermRolesManage, Request: CreateUserRequest{}, Response: adminUserResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := svc()
			if err != nil {
				return err
			}
			var req CreateUserRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			u, err := svc.CreateUser(c.Request().Context(), auth.CreateUserInput{Email: req.Email, Password: req.Password, Name: req.Name, Role: auth.Role(req.Role)})
			if err != nil {
				return err
			}
			noStore(c)
			setETag(c, u.Version)
			return c.JSON(stdhttp.StatusCreated, adminUserOut(u))
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/users/:id", Tag: "admin", Summary: "One user account",
		Perm: auth.PermUsersManage, Response: adminUserResponse{}, Errors: userErrors,
		Handler: one(stdhttp.StatusOK, func(c echo.Context, svc *auth.Service, id string) (auth.User, error) {
			return svc.User(c.Request().Context(), id)
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/users/:id/role", Tag: "admin", Summary: "Change a user's role",
		Description: "SUPER_ADMIN only. Emits auth.role_changed and ends the user's sessions (access tokens carry the role). " +
			"Taking SUPER_ADMIN from the last enabled SUPER_ADMIN answers 409 last_super_admin.",
		Perm: auth.PermRolesManage, Request: setRoleRequest{}, Response: adminUserResponse{},
		Errors: append(userErrors, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity),
		Handler: one(stdhttp.StatusOK, func(c echo.Context, svc *auth.Service, id string) (auth.User, error) {
			var req setRoleRequest
			if err := bind(c, &req); err != nil {
				return auth.User{}, err
			}
			if req.Role == "" {
				return auth.User{}, commerce.Invalid(commerce.FieldError{Field: "role", Message: "is required"})
			}
			return svc.SetRole(c.Request().Context(), id, auth.Role(req.Role))
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/users/:id/disable", Tag: "admin", Summary: "Disable an account",
		Description: "The user can no longer sign in and their sessions end at once (auth.user_disabled). Only a SUPER_ADMIN may disable an ADMIN or SUPER_ADMIN (403 staff_account); " +
			"nobody disables themself (409 cannot_disable_self) or the last enabled SUPER_ADMIN (409 last_super_admin).",
		Perm: auth.PermUsersManage, Response: adminUserResponse{}, Errors: append(userErrors, stdhttp.StatusConflict),
		Handler: one(stdhttp.StatusOK, func(c echo.Context, svc *auth.Service, id string) (auth.User, error) {
			return svc.Disable(c.Request().Context(), id)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/users/:id/enable", Tag: "admin", Summary: "Enable a disabled account",
		Description: "Emits auth.user_enabled. Only a SUPER_ADMIN may enable an ADMIN or SUPER_ADMIN.",
		Perm:        auth.PermUsersManage, Response: adminUserResponse{}, Errors: userErrors,
		Handler: one(stdhttp.StatusOK, func(c echo.Context, svc *auth.Service, id string) (auth.User, error) {
			return svc.Enable(c.Request().Context(), id)
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/users/:id/2fa", Tag: "admin", Summary: "Reset a user's second factor",
		Description: "For a user who lost their authenticator and recovery codes: turns 2FA off and clears a lockout (auth.2fa_reset). " +
			"Only a SUPER_ADMIN may reset an ADMIN or SUPER_ADMIN (403 staff_account).",
		Perm: auth.PermUsersManage, Response: adminUserResponse{}, Errors: userErrors,
		Handler: one(stdhttp.StatusOK, func(c echo.Context, svc *auth.Service, id string) (auth.User, error) {
			return svc.ResetSecondFactor(c.Request().Context(), id)
		})})
}
