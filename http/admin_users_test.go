package http_test

import (
	"context"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

func TestAdminUsersAPI(t *testing.T) {
	a := apptest.New(t)
	sup := a.NewUser(t, auth.RoleSuperAdmin)
	adm := a.NewUser(t, auth.RoleAdmin)
	adm2 := a.NewUser(t, auth.RoleAdmin)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	user := func(u apptest.User) string { return "/api/v1/admin/users/" + u.ID }
	role := func(r string) map[string]string { return map[string]string{"role": r} }
	stored := func(id string, check func(auth.User) bool) func(testing.TB, *apptest.App, *apptest.Response) {
		return func(t testing.TB, a *apptest.App, _ *apptest.Response) {
			t.Helper()
			u, err := a.Auth.User(context.Background(), id)
			if err != nil || !check(u) {
				t.Fatalf("stored user %+v, %v", u, err)
			}
		}
	}
	tokenRefused := func(u apptest.User) func(testing.TB, *apptest.App, *apptest.Response) {
		return func(t testing.TB, a *apptest.App, _ *apptest.Response) {
			t.Helper()
			if r := a.Do(t, "GET", "/api/v1/auth/profile", nil, u.Bearer()); r.Status != 401 {
				t.Fatalf("old access token after the change: %d %s", r.Status, r.Body)
			}
		}
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "list", Method: "GET", URL: "/api/v1/admin/users", Headers: adm.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{ann.Email, sup.Email, `"totp_enabled":false`}, NotExpectedContent: []string{"password", "totp_secret", "recovery"}},
		{Name: "filter by role", Method: "GET", URL: "/api/v1/admin/users?role=admin", Headers: adm.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{adm.Email, adm2.Email}, NotExpectedContent: []string{ann.Email, sup.Email}},
		{Name: "filter by e-mail prefix", Method: "GET", URL: "/api/v1/admin/users?q=" + ann.Email[:8], Headers: adm.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{ann.Email}, NotExpectedContent: []string{bob.Email}},
		{Name: "bad disabled filter", Method: "GET", URL: "/api/v1/admin/users?disabled=maybe", Headers: adm.Bearer(), ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"disabled"`}},
		{Name: "bad role filter", Method: "GET", URL: "/api/v1/admin/users?role=ROOT", Headers: adm.Bearer(), ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"role"`}},
		{Name: "one user", Method: "GET", URL: user(ann), Headers: adm.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{ann.ID}},
		{Name: "unknown user", Method: "GET", URL: "/api/v1/admin/users/01J0000000000000000000000Z", Headers: adm.Bearer(), ExpectedStatus: 404},

		{Name: "a super admin creates an admin", Method: "POST", URL: "/api/v1/admin/users", Headers: sup.Bearer(),
			Body:           map[string]string{"email": "staff@example.com", "password": "violet-harbor-917", "name": "Staff", "role": "ADMIN"},
			ExpectedStatus: 201, ExpectedContent: []string{`"role":"ADMIN"`}, ExpectedEvents: map[string]int{auth.EventUserCreated: 1}},
		{Name: "the e-mail is taken", Method: "POST", URL: "/api/v1/admin/users", Headers: sup.Bearer(),
			Body:           map[string]string{"email": "STAFF@example.com", "password": "violet-harbor-917", "name": "Staff", "role": "ADMIN"},
			ExpectedStatus: 409, ExpectedEvents: none},
		{Name: "weak password and bad role", Method: "POST", URL: "/api/v1/admin/users", Headers: sup.Bearer(),
			Body:           map[string]string{"email": "x@example.com", "password": "short", "role": "ROOT"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"password"`, `"field":"role"`}, ExpectedEvents: none},
		{Name: "an admin may not create accounts", Method: "POST", URL: "/api/v1/admin/users", Headers: adm.Bearer(),
			Body: map[string]string{"email": "y@example.com", "password": "violet-harbor-917", "role": "SUPER_ADMIN"}, ExpectedStatus: 403, ExpectedEvents: none},

		{Name: "role without a role", Method: "PUT", URL: user(bob) + "/role", Headers: sup.Bearer(), Body: map[string]string{},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"role"`}, ExpectedEvents: none},
		{Name: "unknown role", Method: "PUT", URL: user(bob) + "/role", Headers: sup.Bearer(), Body: role("ROOT"),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"role"`}, ExpectedEvents: none},
		{Name: "an admin may not change roles", Method: "PUT", URL: user(bob) + "/role", Headers: adm.Bearer(), Body: role("ADMIN"),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "the last super admin cannot step down", Method: "PUT", URL: user(sup) + "/role", Headers: sup.Bearer(), Body: role("ADMIN"),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"last_super_admin"`}, ExpectedEvents: none},
		{Name: "role change ends the sessions", Method: "PUT", URL: user(bob) + "/role", Headers: sup.Bearer(), Body: role("vendor"),
			ExpectedStatus: 200, ExpectedContent: []string{`"role":"VENDOR"`},
			ExpectedEvents: map[string]int{auth.EventRoleChanged: 1, auth.EventUserUpdated: 1, auth.EventSessionRevoked: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				stored(bob.ID, func(u auth.User) bool { return u.Role == auth.RoleVendor })(t, a, r)
				tokenRefused(bob)(t, a, r)
			}},

		{Name: "an admin may not disable another admin", Method: "POST", URL: user(adm2) + "/disable", Headers: adm.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"staff_account"`}, ExpectedEvents: none},
		{Name: "an admin may not disable a super admin", Method: "POST", URL: user(sup) + "/disable", Headers: adm.Bearer(),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "nobody disables themself", Method: "POST", URL: user(adm) + "/disable", Headers: adm.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"cannot_disable_self"`}, ExpectedEvents: none},
		{Name: "an admin disables a customer", Method: "POST", URL: user(ann) + "/disable", Headers: adm.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"disabled":true`},
			ExpectedEvents: map[string]int{auth.EventUserDisabled: 1, auth.EventUserUpdated: 1, auth.EventSessionRevoked: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				tokenRefused(ann)(t, a, r)
				if r := a.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": ann.Email, "password": ann.Password}, nil); r.Status != 403 {
					t.Fatalf("login of a disabled account: %d %s", r.Status, r.Body)
				}
			}},
		{Name: "disabling again changes nothing", Method: "POST", URL: user(ann) + "/disable", Headers: adm.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: none},
		{Name: "enable", Method: "POST", URL: user(ann) + "/enable", Headers: adm.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"disabled":false`},
			ExpectedEvents: map[string]int{auth.EventUserEnabled: 1, auth.EventUserUpdated: 1},
			After:          stored(ann.ID, func(u auth.User) bool { return !u.Disabled })},
		{Name: "a super admin disables an admin", Method: "POST", URL: user(adm2) + "/disable", Headers: sup.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{auth.EventUserDisabled: 1, auth.EventUserUpdated: 1, auth.EventSessionRevoked: 1}},

		{Name: "an admin resets a customer's 2FA", Method: "DELETE", URL: user(ann) + "/2fa", Headers: adm.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"totp_enabled":false`}, ExpectedEvents: map[string]int{"auth.2fa_reset": 1, auth.EventUserUpdated: 1}},
		{Name: "an admin may not reset a super admin's 2FA", Method: "DELETE", URL: user(sup) + "/2fa", Headers: adm.Bearer(),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "2FA of an unknown user", Method: "DELETE", URL: "/api/v1/admin/users/nope/2fa", Headers: adm.Bearer(),
			ExpectedStatus: 404, ExpectedEvents: none},
	})
}

// TestSessionsAPI: a user lists their live sessions (never a token) and signs one out; another
// user's session answers 404 and stays alive.
func TestSessionsAPI(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	second := a.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": ann.Email, "password": ann.Password}, nil)
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	second.JSON(t, &pair)
	p, err := a.Tokens.VerifyAccess(context.Background(), pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Tokens.VerifyAccess(context.Background(), ann.Token)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"items"`
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "my sessions", Method: "GET", URL: "/api/v1/auth/sessions", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent:    []string{first.SessionID, p.SessionID, `"current":true`, `"last_used_at"`, `"expires_at"`},
			NotExpectedContent: []string{ann.Token, ann.Refresh, pair.AccessToken, pair.RefreshToken, "token"},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				r.JSON(t, &list)
				if len(list.Items) != 2 || list.Items[0].ID != p.SessionID || list.Items[0].Current || !list.Items[1].Current {
					t.Fatalf("sessions %+v (newest first, current is %s)", list.Items, first.SessionID)
				}
			}},
		{Name: "another user's session is not found", Method: "DELETE", URL: "/api/v1/auth/sessions/" + p.SessionID, Headers: bob.Bearer(),
			ExpectedStatus: 404, ExpectedEvents: map[string]int{}},
		{Name: "an ID that is no session", Method: "DELETE", URL: "/api/v1/auth/sessions/not-an-id", Headers: ann.Bearer(),
			ExpectedStatus: 404, ExpectedEvents: map[string]int{}},
		{Name: "sign the second session out", Method: "DELETE", URL: "/api/v1/auth/sessions/" + p.SessionID, Headers: ann.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{auth.EventSessionRevoked: 1},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if r := a.Do(t, "GET", "/api/v1/auth/profile", nil, apptest.Bearer(pair.AccessToken)); r.Status != 401 {
					t.Fatalf("access token of the revoked session: %d", r.Status)
				}
				if r := a.Do(t, "POST", "/api/v1/auth/refresh-token", map[string]string{"refresh_token": pair.RefreshToken}, nil); r.Status != 401 {
					t.Fatalf("refresh token of the revoked session: %d", r.Status)
				}
			}},
		{Name: "a revoked session is gone from the list", Method: "GET", URL: "/api/v1/auth/sessions", Headers: ann.Bearer(), ExpectedStatus: 200,
			NotExpectedContent: []string{p.SessionID}},
		{Name: "and cannot be revoked again", Method: "DELETE", URL: "/api/v1/auth/sessions/" + p.SessionID, Headers: ann.Bearer(),
			ExpectedStatus: 404, ExpectedEvents: map[string]int{}},
		{Name: "anonymous", Method: "GET", URL: "/api/v1/auth/sessions", ExpectedStatus: 401},
	})
}

// TestProfileMassAssignment (OWASP API3): fields a user may not set on their own account are
// refused as unknown and nothing changes.
func TestProfileMassAssignment(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	unchanged := func(t testing.TB, a *apptest.App, _ *apptest.Response) {
		t.Helper()
		for _, u := range []apptest.User{ann, bob} {
			got, err := a.Auth.User(context.Background(), u.ID)
			if err != nil || got.Role != auth.RoleCustomer || got.Email != u.Email || got.Name != "Test User" || got.Version != 1 || got.Disabled {
				t.Fatalf("stored %+v, %v", got, err)
			}
		}
	}
	var scenarios []apptest.Scenario
	for _, body := range []map[string]any{
		{"role": "SUPER_ADMIN"},
		{"name": "Ann", "role": "SUPER_ADMIN"},
		{"id": bob.ID, "name": "Bob?"},
		{"email": bob.Email},
		{"user_id": bob.ID},
		{"disabled": false, "email_verified": true},
		{"totp_enabled": false},
		{"version": 7},
		{"password_hash": "x"},
	} {
		scenarios = append(scenarios, apptest.Scenario{Name: "profile with " + keysOf(body), Method: "PUT", URL: "/api/v1/auth/profile",
			Headers: ann.Bearer(), Body: body, ExpectedStatus: 422, ExpectedContent: []string{"unknown field"}, ExpectedEvents: map[string]int{}, After: unchanged})
	}
	scenarios = append(scenarios, apptest.Scenario{Name: "the allowed field alone", Method: "PUT", URL: "/api/v1/auth/profile",
		Headers: ann.Bearer(), Body: map[string]any{"name": "Ann"}, ExpectedStatus: 200, ExpectedContent: []string{`"role":"CUSTOMER"`, ann.ID}})
	apptest.Run(t, a, scenarios)
}

func keysOf(m map[string]any) string {
	s := ""
	for k := range m {
		s += k + " "
	}
	return s
}
