package http

import (
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
)

// changePasswordRequest is the body of POST /auth/change-password.
type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// resetRequestRequest is the body of POST /auth/password-reset/request.
type resetRequestRequest struct {
	Email string `json:"email"`
}

// resetPasswordRequest is the body of POST /auth/password-reset: the token from the reset
// mail and the new password.
type resetPasswordRequest struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

// acceptedResponse answers requests whose effect arrives by e-mail; it says the same
// whatever the address, so it cannot tell who has an account.
type acceptedResponse struct {
	Status  string `json:"status"` // "verification_sent" or "reset_requested"
	Message string `json:"message"`
}

// verifiedResponse answers a spent verification link.
type verifiedResponse struct {
	Status string       `json:"status"` // always "email_verified"
	User   userResponse `json:"user"`
}

func (s *Server) authRecoveryRoutes() {
	authService := func() (*auth.Service, error) {
		if s.deps.Auth == nil {
			return nil, unavailable("auth")
		}
		return s.deps.Auth, nil
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/change-password", Tag: "auth", Summary: "Change the signed-in account's password",
		Description: "Needs the current password (a wrong one answers 401 wrong_password and is audited). The new one must pass the password policy (422 on new_password). " +
			"Every other session of the account is signed out; the caller's stays.",
		Perm: auth.PermAccountManage, Request: changePasswordRequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req changePasswordRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			p, _ := principalOf(c)
			if err := svc.ChangePassword(c.Request().Context(), p, req.CurrentPassword, req.NewPassword); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/password-reset/request", Tag: "auth", Summary: "Ask for a password-reset e-mail",
		Description: "Answers 202 {\"status\":\"reset_requested\"} whether or not the address has an account (no account enumeration). " +
			"An account that may sign in gets a mail with a reset link and the reset token, valid once for auth.reset_token_ttl.",
		Request: resetRequestRequest{}, Response: acceptedResponse{}, Status: stdhttp.StatusAccepted,
		Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req resetRequestRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			if err := svc.RequestPasswordReset(c.Request().Context(), req.Email); err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusAccepted, acceptedResponse{Status: "reset_requested",
				Message: "If this address belongs to an account, a password-reset e-mail is on its way."})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/password-reset", Tag: "auth", Summary: "Set a new password with a reset token",
		Description: "Spends the token from the reset mail. Every session of the account is signed out and a lockout is lifted; sign in with the new password. " +
			"An unknown, expired or already used token answers 400 token_invalid, token_expired or token_used (audited) and changes nothing; " +
			"a password the policy refuses answers 422 on new_password without spending the token.",
		Request: resetPasswordRequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusBadRequest, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			var req resetPasswordRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			if err := svc.ResetPassword(c.Request().Context(), req.Token, req.NewPassword); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/verify-email/:token", Tag: "auth", Summary: "Confirm an e-mail address (the link in the verification mail)",
		Description: "Spends the verification token: the account's email_verified becomes true. An unknown, expired or already used token answers 400 " +
			"token_invalid, token_expired or token_used (audited).",
		Response: verifiedResponse{}, Errors: []int{stdhttp.StatusBadRequest},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			u, err := svc.VerifyEmail(c.Request().Context(), c.Param("token"))
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, verifiedResponse{Status: "email_verified", User: userOut(u)})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/verify-email/resend", Tag: "auth", Summary: "Send the signed-in account a new verification e-mail",
		Description: "409 email_already_verified when there is nothing to verify.",
		Perm:        auth.PermAccountManage, Response: acceptedResponse{}, Status: stdhttp.StatusAccepted,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict},
		Handler: func(c echo.Context) error {
			svc, err := authService()
			if err != nil {
				return err
			}
			p, _ := principalOf(c)
			if err := svc.ResendVerification(c.Request().Context(), p); err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusAccepted, acceptedResponse{Status: "verification_sent",
				Message: "A new verification e-mail is on its way."})
		}})
}
