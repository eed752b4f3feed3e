package http_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// lazy is a request body computed when the request is sent (a TOTP code of that moment, a
// token an earlier scenario got).
type lazy func() any

func (f lazy) MarshalJSON() ([]byte, error) { return json.Marshal(f()) }

// authenticator is the test's authenticator app for one account: it hands out codes of
// steps the server has not seen yet (the current one or the next, which the server accepts
// even if a step boundary passes meanwhile).
type authenticator struct {
	t      testing.TB
	secret string
	last   int64
}

func (a *authenticator) code() string {
	a.t.Helper()
	cur := time.Now().Unix() / 30
	step := max(a.last+1, cur)
	if step > cur+1 {
		a.t.Fatalf("authenticator: no unused TOTP step left (last %d, now %d)", a.last, cur)
	}
	a.last = step
	c, err := totp.GenerateCode(a.secret, time.Unix(step*30, 0))
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

// keepSecret is an After that reads an enrolment answer into app.
func keepSecret(app *authenticator) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) {
		var out struct {
			Secret     string `json:"secret"`
			OTPAuthURL string `json:"otpauth_url"`
			QRPNG      string `json:"qr_png"`
		}
		r.JSON(t, &out)
		if len(out.Secret) != 32 || !strings.HasPrefix(out.OTPAuthURL, "otpauth://totp/UltraMarket:") || !strings.HasPrefix(out.QRPNG, "iVBORw0KGgo") {
			t.Fatalf("enrolment %+v", out)
		}
		app.secret = out.Secret
	}
}

// setBearer is an After that puts the access token of a token answer (or of the "tokens" of
// a confirmation) into h.
func setBearer(h map[string]string) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) {
		var out struct {
			AccessToken string `json:"access_token"`
			Tokens      struct {
				AccessToken string `json:"access_token"`
			} `json:"tokens"`
		}
		r.JSON(t, &out)
		tok := out.AccessToken + out.Tokens.AccessToken
		if tok == "" {
			t.Fatalf("no access token in %s", r.Body)
		}
		h["Authorization"] = "Bearer " + tok
	}
}

type mfaAnswer struct {
	MFARequired bool   `json:"mfa_required"`
	MFAToken    string `json:"mfa_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func keepMFA(dst *mfaAnswer) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) {
		r.JSON(t, dst)
		if !dst.MFARequired || len(dst.MFAToken) != 43 || dst.ExpiresIn != 300 {
			t.Fatalf("mfa answer %s", r.Body)
		}
	}
}

func TestTwoFactorAPI(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	annApp, bobApp := &authenticator{t: t}, &authenticator{t: t}
	annH, bobH := ann.Bearer(), bob.Bearer()
	oldAnnH := ann.Bearer()
	var mfa mfaAnswer
	var recovery []string
	none := map[string]int{}
	login := map[string]string{"email": ann.Email, "password": ann.Password}

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "enrol needs a token", Method: "POST", URL: "/api/v1/auth/2fa/enroll", ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "confirm before enrolling", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: annH, Body: map[string]string{"code": "123456"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"two_factor_not_enrolled"`}, ExpectedEvents: none},
		{Name: "disable while off", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: annH, Body: map[string]string{"password": ann.Password, "code": "123456"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"two_factor_not_enabled"`}, ExpectedEvents: none},
		{Name: "enrol", Method: "POST", URL: "/api/v1/auth/2fa/enroll", Headers: annH, ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Cache-Control": "no-store"},
			ExpectedEvents:  map[string]int{auth.EventUserUpdated: 1, auth.Event2FAEnrolled: 1}, After: keepSecret(annApp)},
		{Name: "profile: not on before confirming", Method: "GET", URL: "/api/v1/auth/profile", Headers: annH, ExpectedStatus: 200,
			ExpectedContent: []string{`"two_factor_enabled":false`}, NotExpectedContent: []string{"totp", "secret"}},
		{Name: "confirm with a wrong code", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: annH, Body: map[string]string{"code": "000000"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}, ExpectedEvents: none},
		{Name: "confirm without a code", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: annH, Body: map[string]string{},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}, ExpectedEvents: none},
		{Name: "confirm with an unknown field", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: annH, Body: map[string]string{"code": "1", "enabled": "true"},
			ExpectedStatus: 422, ExpectedContent: []string{`unknown field`}, ExpectedEvents: none},
		{Name: "confirm", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: annH, Body: lazy(func() any { return map[string]string{"code": annApp.code()} }),
			ExpectedStatus: 200, ExpectedContent: []string{`"recovery_codes":[`, `"tokens":{`, `"two_factor_enabled":true`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.Event2FAEnabled: 1, auth.EventSessionRevoked: 1, auth.EventLoggedIn: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var out struct {
					RecoveryCodes []string `json:"recovery_codes"`
				}
				r.JSON(t, &out)
				if len(out.RecoveryCodes) != 10 || len(out.RecoveryCodes[0]) != 11 {
					t.Fatalf("recovery codes %v", out.RecoveryCodes)
				}
				recovery = out.RecoveryCodes
				setBearer(annH)(t, a, r)
			}},
		{Name: "the password-only session ended", Method: "GET", URL: "/api/v1/auth/profile", Headers: oldAnnH, ExpectedStatus: 401,
			ExpectedContent: []string{`"code":"session_revoked"`}},
		{Name: "enrol again while on", Method: "POST", URL: "/api/v1/auth/2fa/enroll", Headers: annH, ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"two_factor_enabled"`}, ExpectedEvents: none},

		// The second login step.
		{Name: "login answers an mfa_token", Method: "POST", URL: "/api/v1/auth/login", Body: login, ExpectedStatus: 200,
			ExpectedContent: []string{`"mfa_required":true`, `"expires_in":300`}, NotExpectedContent: []string{"access_token", "refresh_token"},
			ExpectedEvents: none, After: keepMFA(&mfa)},
		{Name: "second step without a code", Method: "POST", URL: "/api/v1/auth/login/2fa", Body: lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken} }),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}, ExpectedEvents: none},
		{Name: "second step without a token", Method: "POST", URL: "/api/v1/auth/login/2fa", Body: map[string]string{"code": "123456"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"mfa_token"`}, ExpectedEvents: none},
		{Name: "second step with an unknown token", Method: "POST", URL: "/api/v1/auth/login/2fa", Body: map[string]string{"mfa_token": strings.Repeat("A", 43), "code": "123456"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_mfa_token"`}, ExpectedEvents: none},
		{Name: "second step with a wrong code", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body:           lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken, "code": "000000"} }),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_code"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "second step", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body:           lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken, "code": annApp.code()} }),
			ExpectedStatus: 200, ExpectedContent: []string{`"access_token"`, `"two_factor_enabled":true`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoggedIn: 1}, After: setBearer(annH)},
		{Name: "the mfa_token is single-use", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body:           lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken, "code": "123456"} }),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_mfa_token"`}, ExpectedEvents: none},
		{Name: "the new token works", Method: "GET", URL: "/api/v1/auth/profile", Headers: annH, ExpectedStatus: 200},
		{Name: "login again", Method: "POST", URL: "/api/v1/auth/login", Body: login, ExpectedStatus: 200, After: keepMFA(&mfa)},
		{Name: "a replayed code is refused", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body: lazy(func() any {
				c, _ := totp.GenerateCode(annApp.secret, time.Unix(annApp.last*30, 0))
				return map[string]string{"mfa_token": mfa.MFAToken, "code": c}
			}),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_code"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "code and recovery code at once", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body: lazy(func() any {
				return map[string]string{"mfa_token": mfa.MFAToken, "code": "123456", "recovery_code": recovery[0]}
			}),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"recovery_code"`}, ExpectedEvents: none},
		{Name: "a recovery code", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body:           lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken, "recovery_code": recovery[0]} }),
			ExpectedStatus: 200, ExpectedContent: []string{`"access_token"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventRecoveryCodeUsed: 1, auth.EventLoggedIn: 1}},
		{Name: "login for the recovery code reuse", Method: "POST", URL: "/api/v1/auth/login", Body: login, ExpectedStatus: 200, After: keepMFA(&mfa)},
		{Name: "a recovery code works once", Method: "POST", URL: "/api/v1/auth/login/2fa",
			Body:           lazy(func() any { return map[string]string{"mfa_token": mfa.MFAToken, "recovery_code": recovery[0]} }),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_code"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},

		// Bob: recovery codes and disabling.
		{Name: "bob enrols", Method: "POST", URL: "/api/v1/auth/2fa/enroll", Headers: bobH, ExpectedStatus: 200, After: keepSecret(bobApp)},
		{Name: "recovery codes while not on", Method: "POST", URL: "/api/v1/auth/2fa/recovery-codes", Headers: bobH, Body: map[string]string{"code": "123456"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"two_factor_not_enabled"`}, ExpectedEvents: none},
		{Name: "bob confirms", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: bobH, Body: lazy(func() any { return map[string]string{"code": bobApp.code()} }),
			ExpectedStatus: 200, After: setBearer(bobH)},
		{Name: "recovery codes need a token", Method: "POST", URL: "/api/v1/auth/2fa/recovery-codes", Body: map[string]string{"code": "123456"},
			ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "recovery codes with a wrong code", Method: "POST", URL: "/api/v1/auth/2fa/recovery-codes", Headers: bobH, Body: map[string]string{"code": "000000"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "new recovery codes", Method: "POST", URL: "/api/v1/auth/2fa/recovery-codes", Headers: bobH, Body: lazy(func() any { return map[string]string{"code": bobApp.code()} }),
			ExpectedStatus: 200, ExpectedContent: []string{`"recovery_codes":[`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventRecoveryCodesRegenerated: 1}},
		{Name: "disable with a wrong password", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: bobH,
			Body:           map[string]string{"password": "not-the-password-1", "code": "123456"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"password"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "disable without a code", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: bobH, Body: map[string]string{"password": bob.Password},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}, ExpectedEvents: none},
		{Name: "disable with a wrong code", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: bobH,
			Body:           map[string]string{"password": bob.Password, "code": "000000"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "a malformed code is just wrong", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: bobH,
			Body:           lazy(func() any { return map[string]string{"password": bob.Password, "code": "1 2 3"} }),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"code"`}},
	})

	// Bob's steps are used up for this moment: disable on a fresh account with its own app.
	carl := a.NewUser(t, auth.RoleCustomer)
	carlApp, carlH := &authenticator{t: t}, carl.Bearer()
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "carl enrols", Method: "POST", URL: "/api/v1/auth/2fa/enroll", Headers: carlH, ExpectedStatus: 200, After: keepSecret(carlApp)},
		{Name: "carl confirms", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: carlH, Body: lazy(func() any { return map[string]string{"code": carlApp.code()} }),
			ExpectedStatus: 200, After: setBearer(carlH)},
		{Name: "disable", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: carlH,
			Body:           lazy(func() any { return map[string]string{"password": carl.Password, "code": carlApp.code()} }),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.Event2FADisabled: 1}},
		{Name: "login after disabling needs no second step", Method: "POST", URL: "/api/v1/auth/login",
			Body: map[string]string{"email": carl.Email, "password": carl.Password}, ExpectedStatus: 200,
			ExpectedContent: []string{`"access_token"`, `"two_factor_enabled":false`}},
	})
}

func TestLockoutAPI(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Auth.LockoutThreshold = 3 })
	dan := a.NewUser(t, auth.RoleCustomer)
	var scenarios []apptest.Scenario
	// The same four attempts for an account and for an e-mail no account has: the same
	// answers, and the same Retry-After.
	for _, email := range []string{dan.Email, "nobody@example.com"} {
		failed := map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}
		locks := map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1, auth.EventAccountLocked: 1}
		if email != dan.Email {
			failed = map[string]int{auth.EventLoginFailed: 1}
			locks = failed
		}
		wrong := map[string]string{"email": email, "password": "not-the-password-1"}
		scenarios = append(scenarios,
			apptest.Scenario{Name: email + " failure 1", Method: "POST", URL: "/api/v1/auth/login", Body: wrong,
				ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}, ExpectedEvents: failed},
			apptest.Scenario{Name: email + " failure 2", Method: "POST", URL: "/api/v1/auth/login", Body: wrong,
				ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}, ExpectedEvents: failed},
			apptest.Scenario{Name: email + " failure 3 locks", Method: "POST", URL: "/api/v1/auth/login", Body: wrong,
				ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}, ExpectedEvents: locks},
			apptest.Scenario{Name: email + " locked even with the right password", Method: "POST", URL: "/api/v1/auth/login",
				Body:           map[string]string{"email": email, "password": dan.Password},
				ExpectedStatus: 429, ExpectedContent: []string{`"code":"account_locked"`, `"retry_after_seconds":900`},
				ExpectedHeaders: map[string]string{"Retry-After": "900"}, ExpectedEvents: map[string]int{}},
		)
	}
	apptest.Run(t, a, scenarios)
}

func TestTwoFactorRequiredAPI(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Auth.Require2FA = []string{"ADMIN", "SUPER_ADMIN"} })
	boss := a.NewUser(t, auth.RoleAdmin) // signs in with the password alone: an enrolment-only token
	cust := a.NewUser(t, auth.RoleCustomer)
	app, h := &authenticator{t: t}, boss.Bearer()
	enrolOnly := boss.Bearer()
	refused := []string{`"code":"two_factor_required"`}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a customer is not concerned", Method: "PUT", URL: "/api/v1/auth/profile", Headers: cust.Bearer(), Body: map[string]string{"name": "C"}, ExpectedStatus: 200},
		{Name: "profile is allowed", Method: "GET", URL: "/api/v1/auth/profile", Headers: h, ExpectedStatus: 200, ExpectedContent: []string{`"two_factor_enabled":false`}},
		{Name: "profile update is refused", Method: "PUT", URL: "/api/v1/auth/profile", Headers: h, Body: map[string]string{"name": "B"},
			ExpectedStatus: 403, ExpectedContent: refused, ExpectedEvents: map[string]int{}},
		{Name: "a staff route is refused", Method: "POST", URL: "/api/v1/products", Headers: h, Body: map[string]string{},
			ExpectedStatus: 403, ExpectedContent: refused, ExpectedEvents: map[string]int{}},
		{Name: "a public route with the token is refused", Method: "GET", URL: "/api/v1/products", Headers: h, ExpectedStatus: 403, ExpectedContent: refused},
		{Name: "disabling is refused", Method: "POST", URL: "/api/v1/auth/2fa/disable", Headers: h, Body: map[string]string{"password": boss.Password, "code": "123456"},
			ExpectedStatus: 403, ExpectedContent: refused},
		{Name: "enrolment is allowed", Method: "POST", URL: "/api/v1/auth/2fa/enroll", Headers: h, ExpectedStatus: 200, After: keepSecret(app)},
		{Name: "confirmation is allowed and gives a full token", Method: "POST", URL: "/api/v1/auth/2fa/confirm", Headers: h,
			Body: lazy(func() any { return map[string]string{"code": app.code()} }), ExpectedStatus: 200, After: setBearer(h)},
		{Name: "the enrolment-only session ended", Method: "GET", URL: "/api/v1/auth/profile", Headers: enrolOnly, ExpectedStatus: 401},
		{Name: "the full token may update the profile", Method: "PUT", URL: "/api/v1/auth/profile", Headers: h, Body: map[string]string{"name": "Boss"},
			ExpectedStatus: 200, ExpectedContent: []string{`"two_factor_enabled":true`}},
		{Name: "and use staff routes", Method: "GET", URL: "/api/v1/products", Headers: h, ExpectedStatus: 200},
	})

	// Logging out is allowed with an enrolment-only token.
	other := a.NewUser(t, auth.RoleSuperAdmin)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a super admin without 2FA is refused too", Method: "GET", URL: "/api/v1/products", Headers: other.Bearer(), ExpectedStatus: 403, ExpectedContent: refused},
		{Name: "logout is allowed", Method: "POST", URL: "/api/v1/auth/logout", Headers: other.Bearer(), ExpectedStatus: 204},
	})
}
