package http_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// tokenBody is the JSON of login and refresh answers.
type tokenBody struct {
	User struct {
		ID, Email, Name, Role string
	} `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// keep returns an After that decodes the answer into dst and checks its shape.
func keep(dst *tokenBody, role string) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) {
		t.Helper()
		r.JSON(t, dst)
		if dst.User.ID == "" || dst.User.Role != role || dst.AccessToken == "" || len(dst.RefreshToken) != 43 ||
			dst.TokenType != "Bearer" || dst.ExpiresIn != 900 {
			t.Fatalf("answer %+v", dst)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q", cc)
		}
	}
}

func TestAuthAPI(t *testing.T) {
	a := apptest.New(t)
	const pw = "violet-harbor-917"
	var ann, annLogin, annRefreshed, bobReg tokenBody
	bearer := func(b *tokenBody) map[string]string { return apptest.Bearer(b.AccessToken) }
	none := map[string]int{}

	apptest.Run(t, a, []apptest.Scenario{
		// register
		{Name: "register", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "Ann@Example.com", "password": pw, "name": "Ann"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"verification_sent"`},
			NotExpectedContent: []string{"password", "argon2", "token", "Ann"},
			ExpectedEvents:     map[string]int{auth.EventUserCreated: 1}},
		{Name: "a new account signs in before verifying", Method: "POST", URL: "/api/v1/auth/login",
			Body:           map[string]string{"email": "Ann@Example.com", "password": pw},
			ExpectedStatus: 200, ExpectedContent: []string{`"email":"Ann@example.com"`, `"name":"Ann"`, `"role":"CUSTOMER"`, `"expires_in":900`, `"email_verified":false`},
			NotExpectedContent: []string{"argon2"},
			ExpectedEvents:     map[string]int{auth.EventLoggedIn: 1},
			After:              keep(&ann, "CUSTOMER")},
		{Name: "register cannot choose a role", Method: "POST", URL: "/api/v1/auth/register",
			Body:           `{"email":"eve@example.com","password":"violet-harbor-917","name":"Eve","role":"SUPER_ADMIN"}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"role"`, `unknown field`}, ExpectedEvents: none},
		{Name: "register with every field wrong", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "not-an-email", "password": "short", "name": strings.Repeat("n", 201)},
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"validation_failed"`, `"field":"email"`, `"field":"password"`, `"field":"name"`}, ExpectedEvents: none},
		{Name: "register with a common password and no name", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "cy@example.com", "password": "password123"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"password"`, `"field":"name"`}, NotExpectedContent: []string{`"field":"email"`}, ExpectedEvents: none},
		{Name: "register a taken e-mail in another case", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "ann@EXAMPLE.com", "password": pw, "name": "Ann Two"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"verification_sent"`}, NotExpectedContent: []string{"taken", "exists"},
			ExpectedEvents: map[string]int{auth.EventRegistrationDuplicate: 1}},
		{Name: "register malformed JSON", Method: "POST", URL: "/api/v1/auth/register", Body: `{"email":`,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"malformed_json"`}, ExpectedEvents: none},
		{Name: "register a second account", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "bob@example.com", "password": pw, "name": "Bob"},
			ExpectedStatus: 202},
		{Name: "the second account signs in", Method: "POST", URL: "/api/v1/auth/login",
			Body:           map[string]string{"email": "bob@example.com", "password": pw},
			ExpectedStatus: 200, After: keep(&bobReg, "CUSTOMER")},

		// login
		{Name: "login", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": "ann@example.com", "password": pw},
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"CUSTOMER"`}, NotExpectedContent: []string{"password"},
			ExpectedEvents: map[string]int{auth.EventLoggedIn: 1}, After: keep(&annLogin, "CUSTOMER")},
		{Name: "login with a wrong password", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": "bob@example.com", "password": pw + "!"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`, `"message":"wrong e-mail or password"`}, NotExpectedContent: []string{"token"},
			ExpectedEvents: map[string]int{auth.EventUserUpdated: 1, auth.EventLoginFailed: 1}},
		{Name: "login with an unknown e-mail answers the same", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": "nobody@example.com", "password": pw},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`, `"message":"wrong e-mail or password"`}, ExpectedEvents: map[string]int{auth.EventLoginFailed: 1}},
		{Name: "login without a password", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": "ann@example.com"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"password"`}, ExpectedEvents: none},
		{Name: "login with an unknown field", Method: "POST", URL: "/api/v1/auth/login", Body: `{"email":"ann@example.com","password":"x","remember":true}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"remember"`}, ExpectedEvents: none},
		{Name: "login as text/plain", Method: "POST", URL: "/api/v1/auth/login", Body: `x`, Headers: map[string]string{"Content-Type": "text/plain"},
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"unsupported_media_type"`}},

		// profile
		{Name: "profile needs a bearer", Method: "GET", URL: "/api/v1/auth/profile",
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"authentication_required"`}},
		{Name: "profile with a forged bearer", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_token"`}},
	})

	// Headers are built when a Run's list is, so scenarios using a token obtained above
	// start a new Run.
	withAnn := func(extra map[string]string) map[string]string {
		h := map[string]string{"Authorization": "Bearer " + annLogin.AccessToken}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "profile", Method: "GET", URL: "/api/v1/auth/profile", Headers: bearer(&annLogin),
			ExpectedStatus: 200, ExpectedContent: []string{`"email":"Ann@example.com"`, `"name":"Ann"`, `"role":"CUSTOMER"`, `"version":1`},
			NotExpectedContent: []string{"password", "disabled"}, ExpectedHeaders: map[string]string{"ETag": `"1"`, "Cache-Control": "no-store"}, ExpectedEvents: none},
		{Name: "update profile", Method: "PUT", URL: "/api/v1/auth/profile", Headers: bearer(&annLogin),
			Body:           map[string]string{"name": " Ann Lee ", "phone": "+44 20 7946 0000"},
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Ann Lee"`, `"phone":"+44 20 7946 0000"`, `"version":2`},
			ExpectedHeaders: map[string]string{"ETag": `"2"`}, ExpectedEvents: map[string]int{auth.EventUserUpdated: 1}},
		{Name: "update profile with a stale If-Match", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(map[string]string{"If-Match": `"1"`}),
			Body:           map[string]string{"name": "Stale"},
			ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "update profile with the current If-Match", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(map[string]string{"If-Match": `"2"`}),
			Body:           map[string]string{"phone": ""},
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Ann Lee"`, `"version":3`}, NotExpectedContent: []string{`"phone"`},
			ExpectedHeaders: map[string]string{"ETag": `"3"`}, ExpectedEvents: map[string]int{auth.EventUserUpdated: 1}},
		{Name: "update profile with a malformed If-Match", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(map[string]string{"If-Match": `abc`}),
			Body: map[string]string{"name": "X"}, ExpectedStatus: 400, ExpectedContent: []string{`"code":"invalid_if_match"`}, ExpectedEvents: none},
		{Name: "update profile cannot change the role", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(nil),
			Body: `{"role":"ADMIN"}`, ExpectedStatus: 422, ExpectedContent: []string{`"field":"role"`}, ExpectedEvents: none},
		{Name: "update profile cannot change the e-mail", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(nil),
			Body: `{"email":"x@example.com"}`, ExpectedStatus: 422, ExpectedContent: []string{`"field":"email"`}, ExpectedEvents: none},
		{Name: "update profile with bad values", Method: "PUT", URL: "/api/v1/auth/profile", Headers: withAnn(nil),
			Body:           map[string]string{"name": "", "phone": "call me maybe"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"name"`, `"field":"phone"`}, ExpectedEvents: none},
		{Name: "update profile needs a bearer", Method: "PUT", URL: "/api/v1/auth/profile",
			Body: map[string]string{"name": "X"}, ExpectedStatus: 401, ExpectedEvents: none},
	})

	// refresh: rotation, reuse, garbage
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "refresh", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": ann.RefreshToken},
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Ann Lee"`}, ExpectedEvents: none, After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				keep(&annRefreshed, "CUSTOMER")(t, a, r)
				if annRefreshed.RefreshToken == ann.RefreshToken || annRefreshed.AccessToken == ann.AccessToken {
					t.Fatal("refresh gave back the same tokens")
				}
				if r := a.Do(t, "GET", "/api/v1/auth/profile", nil, apptest.Bearer(annRefreshed.AccessToken)); r.Status != 200 {
					t.Fatalf("new access token: %d %s", r.Status, r.Body)
				}
			}},
		{Name: "refresh with garbage", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": "nope"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_token"`}, ExpectedEvents: none},
		{Name: "refresh without a token", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: `{}`,
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_token"`}, ExpectedEvents: none},
		{Name: "refresh with an access token", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": annLogin.AccessToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_token"`}, ExpectedEvents: none},
		{Name: "refresh with an unknown field", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: `{"refresh_token":"x","user_id":"y"}`,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"user_id"`}},
		{Name: "reusing the rotated token revokes the family", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": ann.RefreshToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"token_reused"`}, ExpectedEvents: map[string]int{auth.EventSessionRevoked: 1}},
	})
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the family's newest refresh token is dead", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": annRefreshed.RefreshToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}, ExpectedEvents: none},
		{Name: "the family's access token is dead", Method: "GET", URL: "/api/v1/auth/profile", Headers: bearer(&annRefreshed),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
		{Name: "another session of the same user lives on", Method: "GET", URL: "/api/v1/auth/profile", Headers: bearer(&annLogin),
			ExpectedStatus: 200},
	})

	// logout
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "logout needs a bearer", Method: "POST", URL: "/api/v1/auth/logout", Body: map[string]string{"refresh_token": annLogin.RefreshToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"authentication_required"`}, ExpectedEvents: none},
		{Name: "logout of another user's session", Method: "POST", URL: "/api/v1/auth/logout", Headers: bearer(&bobReg),
			Body: map[string]string{"refresh_token": annLogin.RefreshToken}, ExpectedStatus: 403, ExpectedContent: []string{`"code":"session_not_yours"`}, ExpectedEvents: none},
		{Name: "logout with an unknown token", Method: "POST", URL: "/api/v1/auth/logout", Headers: bearer(&annLogin),
			Body: map[string]string{"refresh_token": strings.Repeat("A", 43)}, ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_token"`}, ExpectedEvents: none},
		{Name: "logout", Method: "POST", URL: "/api/v1/auth/logout", Headers: bearer(&annLogin),
			Body: map[string]string{"refresh_token": annLogin.RefreshToken}, ExpectedStatus: 204, ExpectedEvents: map[string]int{auth.EventSessionRevoked: 1}},
		{Name: "after logout the refresh token is dead", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": annLogin.RefreshToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
		{Name: "after logout the access token is dead", Method: "GET", URL: "/api/v1/auth/profile", Headers: bearer(&annLogin),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
		{Name: "logout without a body ends the bearer's session", Method: "POST", URL: "/api/v1/auth/logout", Headers: bearer(&bobReg),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{auth.EventSessionRevoked: 1}},
		{Name: "after that logout bob's refresh token is dead", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": bobReg.RefreshToken},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
	})

	u, err := a.Auth.Profile(context.Background(), auth.Principal{UserID: ann.User.ID})
	if err != nil || u.Name != "Ann Lee" {
		t.Fatalf("profile %+v %v", u, err)
	}
}

// TestAuthDisabledAccount checks that a disabled account can neither log in nor refresh, and
// that its live access tokens stop working at once.
func TestAuthDisabledAccount(t *testing.T) {
	a := apptest.New(t)
	u := a.NewUser(t, auth.RoleCustomer)
	if _, err := a.Auth.Disable(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "login", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": u.Email, "password": u.Password},
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"account_disabled"`}, ExpectedEvents: map[string]int{}},
		{Name: "login with a wrong password says nothing of it", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]string{"email": u.Email, "password": u.Password + "x"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}},
		{Name: "refresh", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]string{"refresh_token": u.Refresh},
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"account_disabled"`}},
		{Name: "access token", Method: "GET", URL: "/api/v1/auth/profile", Headers: u.Bearer(),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
	})
	if _, err := a.Auth.Enable(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	r := a.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": u.Email, "password": u.Password}, nil)
	if r.Status != 200 {
		t.Fatalf("login after enabling: %d %s", r.Status, r.Body)
	}
}

// TestNewUserRoles checks the helper other packages' tests sign in with: every role logs in
// and its access token carries the role.
func TestNewUserRoles(t *testing.T) {
	a := apptest.New(t)
	for _, role := range auth.Roles() {
		u := a.NewUser(t, role)
		r := a.Do(t, "GET", "/api/v1/auth/profile", nil, u.Bearer())
		var body struct{ Role auth.Role }
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 200 || body.Role != role || u.Refresh == "" {
			t.Fatalf("%s: %d %s", role, r.Status, r.Body)
		}
		p, err := a.Tokens.VerifyAccess(context.Background(), u.Token)
		if err != nil || p.Role != role || p.UserID != u.ID {
			t.Fatalf("%s: token names %+v %v", role, p, err)
		}
	}
}

// TestAuthRoutesAreNotReplayed checks that an Idempotency-Key does not make the auth routes
// keep and replay answers: a replayed refresh would hand out a live pair without the reuse
// check, and the stored request hash would be a fast hash of a password.
func TestAuthRoutesAreNotReplayed(t *testing.T) {
	a := apptest.New(t)
	u := a.NewUser(t, auth.RoleCustomer)
	key := map[string]string{"Idempotency-Key": "same-key-1"}
	login := map[string]string{"email": u.Email, "password": u.Password}
	var first, second tokenBody
	r1 := a.Do(t, "POST", "/api/v1/auth/login", login, key)
	r1.JSON(t, &first)
	r2 := a.Do(t, "POST", "/api/v1/auth/login", login, key)
	r2.JSON(t, &second)
	if r1.Status != 200 || r2.Status != 200 || r2.Header.Get("Idempotent-Replayed") != "" || first.RefreshToken == second.RefreshToken {
		t.Fatalf("login replayed: %d %d %q", r1.Status, r2.Status, r2.Header.Get("Idempotent-Replayed"))
	}
	body := map[string]string{"refresh_token": first.RefreshToken}
	if r := a.Do(t, "POST", "/api/v1/auth/refresh-token", body, key); r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/auth/refresh-token", body, key); r.Status != 401 || !strings.Contains(string(r.Body), "token_reused") {
		t.Fatalf("second refresh with the same key: %d %s", r.Status, r.Body)
	}
}
