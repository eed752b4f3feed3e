package http

import (
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
)

// loginMFANote documents the second login step on POST /auth/login.
const loginMFANote = "For an account with two-factor sign-in the answer is instead {\"mfa_required\":true,\"mfa_token\":...,\"expires_in\":300}: " +
	"finish with POST /api/v1/auth/login/2fa. After lockout_threshold failed sign-ins in a row (password or second factor) " +
	"the account answers 429 account_locked with Retry-After, even to the right password, for lockout_duration."

// mfaChallengeResponse is the answer of POST /auth/login for an account with 2FA: no tokens
// yet, an opaque single-use token for the second step.
type mfaChallengeResponse struct {
	MFARequired bool   `json:"mfa_required"` // always true
	MFAToken    string `json:"mfa_token"`
	ExpiresIn   int64  `json:"expires_in"` // seconds the mfa_token lives
}

func mfaOut(in auth.SignIn) mfaChallengeResponse {
	return mfaChallengeResponse{MFARequired: true, MFAToken: in.MFAToken, ExpiresIn: int64(in.MFAExpiresIn / time.Second)}
}

// login2FARequest is the body of POST /auth/login/2fa: the mfa_token and either a TOTP code
// or a recovery code.
type login2FARequest struct {
	MFAToken     string `json:"mfa_token"`
	Code         string `json:"code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// enrollResponse is what an authenticator app needs: the secret to type in, the otpauth://
// URL, and that URL as a QR code (PNG, base64).
type enrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

type codeRequest struct {
	Code string `json:"code"`
}

type disable2FARequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// recoveryCodesResponse carries recovery codes, shown only this once.
type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// confirm2FAResponse is the answer of POST /auth/2fa/confirm: the recovery codes, and a new
// session signed in with the second factor (every earlier session of the account ended).
type confirm2FAResponse struct {
	RecoveryCodes []string      `json:"recovery_codes"`
	Tokens        tokenResponse `json:"tokens"`
}

// enrolmentRoutes are what a token of a role that requires 2FA, signed in without it, may
// still do (besides routes without a bearer token, such as refresh-token): enrol and confirm
// the second factor, read the profile and log out. Everything else is 403
// two_factor_required.
var enrolmentRoutes = map[string]bool{
	"POST /api/v1/auth/2fa/enroll":  true,
	"POST /api/v1/auth/2fa/confirm": true,
	"GET /api/v1/auth/profile":      true,
	"POST /api/v1/auth/logout":      true,
}

// enrolmentAllowed reports whether an EnrolmentOnly principal may use the request's route.
func enrolmentAllowed(c echo.Context) bool {
	return enrolmentRoutes[c.Request().Method+" "+c.Path()]
}

func (s *Server) twoFactorRoutes() {
	svcOf := func() (*auth.Service, error) {
		if s.deps.Auth == nil {
			return nil, unavailable("auth")
		}
		return s.deps.Auth, nil
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/login/2fa", Tag: "auth", Summary: "Finish a sign-in with a second factor",
		Description: "Give the mfa_token from POST /auth/login and either a 6-digit TOTP code or an unused recovery code (each works once). " +
			"A wrong code is 401 invalid_code and counts as a failed sign-in (lockout: 429 account_locked with Retry-After); " +
			"an expired, used or unknown mfa_token is 401 invalid_mfa_token. The mfa_token lives 5 minutes and is single-use.",
		Request: login2FARequest{}, Response: tokenResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusUnprocessableEntity, stdhttp.StatusTooManyRequests},
		Handler: withBody(svcOf, func(c echo.Context, svc *auth.Service, req login2FARequest) error {
			out, err := svc.LoginSecondFactor(c.Request().Context(), auth.SecondFactor{MFAToken: req.MFAToken, Code: req.Code, RecoveryCode: req.RecoveryCode})
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, tokensOut(out))
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/2fa/enroll", Tag: "auth", Summary: "Start two-factor (TOTP) enrolment",
		Description: "Issues a new TOTP secret (not active until confirmed) with its otpauth:// URL and a QR code for authenticator apps. " +
			"Enrolling again before confirming replaces the secret; with 2FA already on it is 409 two_factor_enabled.",
		Perm: auth.PermAccountManage, Response: enrollResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict},
		Handler: withService(svcOf, func(c echo.Context, svc *auth.Service) error {
			p, _ := principalOf(c)
			e, err := svc.EnrollTOTP(c.Request().Context(), p)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, enrollResponse{Secret: e.Secret, OTPAuthURL: e.URL, QRPNG: e.QRPNG})
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/2fa/confirm", Tag: "auth", Summary: "Turn two-factor sign-in on",
		Description: "With a current code from the enrolled app, turns 2FA on and answers 10 single-use recovery codes (shown only now). " +
			"Every session of the account ends; the answer carries a new token pair signed in with the second factor. " +
			"A wrong code is 422 (field code); without enrolment 409 two_factor_not_enrolled.",
		Perm: auth.PermAccountManage, Request: codeRequest{}, Response: confirm2FAResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svcOf, func(c echo.Context, svc *auth.Service, req codeRequest) error {
			p, _ := principalOf(c)
			codes, in, err := svc.ConfirmTOTP(c.Request().Context(), p, req.Code)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, confirm2FAResponse{RecoveryCodes: codes, Tokens: tokensOut(in)})
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/2fa/disable", Tag: "auth", Summary: "Turn two-factor sign-in off",
		Description: "Needs the password and a current TOTP code; a wrong one is 422 (field password or code) and counts as a failed sign-in.",
		Perm:        auth.PermAccountManage, Request: disable2FARequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity, stdhttp.StatusTooManyRequests},
		Handler: withBody(svcOf, func(c echo.Context, svc *auth.Service, req disable2FARequest) error {
			p, _ := principalOf(c)
			if err := svc.DisableTOTP(c.Request().Context(), p, req.Password, req.Code); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/2fa/recovery-codes", Tag: "auth", Summary: "Replace the recovery codes",
		Description: "With a current TOTP code, replaces every recovery code with 10 new ones (shown only now). A wrong code is 422 and counts as a failed sign-in.",
		Perm:        auth.PermAccountManage, Request: codeRequest{}, Response: recoveryCodesResponse{},
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity, stdhttp.StatusTooManyRequests},
		Handler: withBody(svcOf, func(c echo.Context, svc *auth.Service, req codeRequest) error {
			p, _ := principalOf(c)
			codes, err := svc.RegenerateRecoveryCodes(c.Request().Context(), p, req.Code)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
		})})
}
