package http_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/mailer/smtptest"
	"github.com/ultramarket/ultramarket/store"
)

var (
	verifyLinkRE = regexp.MustCompile(`(http://[0-9.:]+)/api/v1/auth/verify-email/([A-Za-z0-9_-]{43})`)
	resetTokenRE = regexp.MustCompile(`password-reset: ([A-Za-z0-9_-]{43})`)
)

// match returns the submatches of re in the mail's text, failing the test without one.
func match(t *testing.T, re *regexp.Regexp, m smtptest.Message) []string {
	t.Helper()
	sub := re.FindStringSubmatch(m.Text)
	if sub == nil {
		t.Fatalf("no %s in mail %q:\n%s", re, m.Subject, m.Text)
	}
	return sub
}

// login signs in through the API and returns the answer.
func login(t *testing.T, a *apptest.App, email, pw string) tokenBody {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, nil)
	if r.Status != 200 {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var b tokenBody
	r.JSON(t, &b)
	return b
}

// TestAccountRecoveryOverSMTP drives registration, e-mail verification, password reset and
// change through the API, with the mails going over real SMTP to a local server.
func TestAccountRecoveryOverSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	a := apptest.New(t, apptest.WithSMTP(srv))
	const pw, newPW, thirdPW = "violet-harbor-917", "indigo-meadow-204", "amber-valley-331"
	none := map[string]int{}

	// Registration: a verification mail with a link to this server.
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "register", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "ann@example.com", "password": pw, "name": "Ann"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"verification_sent"`}, NotExpectedContent: []string{"token"},
			ExpectedEvents: map[string]int{auth.EventUserCreated: 1}},
	})
	mail := srv.WaitFor(t, "ann@example.com", 1)
	link := match(t, verifyLinkRE, mail)
	if link[1] != a.BaseURL || !strings.Contains(mail.Subject, "Confirm your e-mail") || !strings.Contains(mail.HTML, `<a href="`+link[0]+`">`) {
		t.Fatalf("verification mail %q to %v, link base %s (want %s):\n%s", mail.Subject, mail.To, link[1], a.BaseURL, mail.Text)
	}
	verify := link[0][len(link[1]):]
	ann := login(t, a, "ann@example.com", pw)

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "profile before verifying", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer(ann.AccessToken),
			ExpectedStatus: 200, ExpectedContent: []string{`"email_verified":false`}},
		{Name: "resend needs a bearer", Method: "POST", URL: "/api/v1/auth/verify-email/resend", ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "verify with a malformed token", Method: "GET", URL: "/api/v1/auth/verify-email/abc",
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"token_invalid"`}, ExpectedEvents: map[string]int{auth.EventTokenRejected: 1}},
		{Name: "verify with an unknown token", Method: "GET", URL: "/api/v1/auth/verify-email/" + strings.Repeat("x", 43),
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"token_invalid"`}, ExpectedEvents: map[string]int{auth.EventTokenRejected: 1}},
		{Name: "verify", Method: "GET", URL: verify,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"email_verified"`, `"email_verified":true`}, NotExpectedContent: []string{"argon2"},
			ExpectedHeaders: map[string]string{"Cache-Control": "no-store"},
			ExpectedEvents:  map[string]int{auth.EventEmailVerified: 1, auth.EventUserUpdated: 1}},
		{Name: "verify again", Method: "GET", URL: verify,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"token_used"`}, ExpectedEvents: map[string]int{auth.EventTokenRejected: 1}},
		{Name: "profile after verifying", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer(ann.AccessToken),
			ExpectedStatus: 200, ExpectedContent: []string{`"email_verified":true`}},
		{Name: "resend when verified", Method: "POST", URL: "/api/v1/auth/verify-email/resend", Headers: apptest.Bearer(ann.AccessToken),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"email_already_verified"`}, ExpectedEvents: none},
		// The same answer for a taken address; its owner gets a notice instead.
		{Name: "register a taken address", Method: "POST", URL: "/api/v1/auth/register",
			Body:           map[string]string{"email": "ANN@example.com", "password": pw, "name": "Mallory"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"verification_sent"`},
			ExpectedEvents: map[string]int{auth.EventRegistrationDuplicate: 1}},
	})
	if notice := srv.WaitFor(t, "ann@example.com", 2); !strings.Contains(notice.Subject, "Someone tried to register") ||
		!strings.Contains(notice.Text, a.BaseURL+"/reset-password") || verifyLinkRE.MatchString(notice.Text) {
		t.Fatalf("notice %q:\n%s", notice.Subject, notice.Text)
	}

	// Password reset: two sessions that the reset must end.
	other := login(t, a, "ann@example.com", pw)
	bob := a.NewUser(t, auth.RoleCustomer)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "reset request for an unknown address", Method: "POST", URL: "/api/v1/auth/password-reset/request",
			Body:           map[string]string{"email": "nobody@example.com"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"reset_requested"`},
			ExpectedEvents: map[string]int{auth.EventPasswordResetRequest: 1}},
		{Name: "reset request", Method: "POST", URL: "/api/v1/auth/password-reset/request",
			Body:           map[string]string{"email": "Ann@Example.com"},
			ExpectedStatus: 202, ExpectedContent: []string{`"status":"reset_requested"`},
			ExpectedEvents: map[string]int{auth.EventPasswordResetRequest: 1}},
		{Name: "reset request for a malformed address", Method: "POST", URL: "/api/v1/auth/password-reset/request",
			Body: map[string]string{"email": "nobody"}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"email"`}, ExpectedEvents: none},
		{Name: "reset request with an unknown field", Method: "POST", URL: "/api/v1/auth/password-reset/request",
			Body: `{"email":"ann@example.com","role":"ADMIN"}`, ExpectedStatus: 422, ExpectedContent: []string{`"field":"role"`}, ExpectedEvents: none},
		{Name: "reset request for another account", Method: "POST", URL: "/api/v1/auth/password-reset/request",
			Body: map[string]string{"email": bob.Email}, ExpectedStatus: 202},
	})
	reset := srv.WaitFor(t, "ann@example.com", 3)
	tok := match(t, resetTokenRE, reset)[1]
	if !strings.Contains(reset.Text, a.BaseURL+"/reset-password?token="+tok) {
		t.Fatalf("reset mail without its link:\n%s", reset.Text)
	}
	// Mails go out in queue order, so once bob's (queued after) has arrived, none to the
	// unknown address is coming; and none was queued.
	srv.WaitFor(t, bob.Email, 1)
	queued, err := store.NewMailQueue(a.DB).Mails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(srv.To("nobody@example.com"), smtptestMessages(queued, "nobody@example.com")...) {
		t.Fatalf("a mail for an unknown address: %+v", m)
	}

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "reset with a weak password spends nothing", Method: "POST", URL: "/api/v1/auth/password-reset",
			Body:           map[string]string{"token": tok, "new_password": "password123"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"new_password"`}, ExpectedEvents: none},
		{Name: "reset without a token", Method: "POST", URL: "/api/v1/auth/password-reset",
			Body:           map[string]string{"new_password": newPW},
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"token_invalid"`}, ExpectedEvents: map[string]int{auth.EventTokenRejected: 1}},
		{Name: "reset", Method: "POST", URL: "/api/v1/auth/password-reset",
			Body:           map[string]string{"token": tok, "new_password": newPW},
			ExpectedStatus: 204,
			ExpectedEvents: map[string]int{auth.EventPasswordReset: 1, auth.EventUserUpdated: 1, auth.EventSessionRevoked: 2}},
		{Name: "reset replayed", Method: "POST", URL: "/api/v1/auth/password-reset",
			Body:           map[string]string{"token": tok, "new_password": thirdPW},
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"token_used"`}, ExpectedEvents: map[string]int{auth.EventTokenRejected: 1}},
		{Name: "old refresh tokens are dead", Method: "POST", URL: "/api/v1/auth/refresh-token",
			Body: map[string]string{"refresh_token": other.RefreshToken}, ExpectedStatus: 401},
		{Name: "old access tokens are dead", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer(ann.AccessToken), ExpectedStatus: 401},
		{Name: "the old password is refused", Method: "POST", URL: "/api/v1/auth/login",
			Body: map[string]string{"email": "ann@example.com", "password": pw}, ExpectedStatus: 401},
	})

	// Change password: the caller's session stays, the other one ends.
	mine, second := login(t, a, "ann@example.com", newPW), login(t, a, "ann@example.com", newPW)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "change password needs a bearer", Method: "POST", URL: "/api/v1/auth/change-password",
			Body: map[string]string{"current_password": newPW, "new_password": thirdPW}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "change password with a wrong current one", Method: "POST", URL: "/api/v1/auth/change-password", Headers: apptest.Bearer(mine.AccessToken),
			Body:           map[string]string{"current_password": pw, "new_password": thirdPW},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"wrong_password"`}, ExpectedEvents: map[string]int{auth.EventPasswordChangeFailed: 1}},
		{Name: "change password to a weak one", Method: "POST", URL: "/api/v1/auth/change-password", Headers: apptest.Bearer(mine.AccessToken),
			Body:           map[string]string{"current_password": newPW, "new_password": "qwerty"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"new_password"`}, ExpectedEvents: none},
		{Name: "change password with an unknown field", Method: "POST", URL: "/api/v1/auth/change-password", Headers: apptest.Bearer(mine.AccessToken),
			Body: `{"current_password":"x","new_password":"y","user_id":"z"}`, ExpectedStatus: 422, ExpectedContent: []string{`"field":"user_id"`}, ExpectedEvents: none},
		{Name: "change password", Method: "POST", URL: "/api/v1/auth/change-password", Headers: apptest.Bearer(mine.AccessToken),
			Body:           map[string]string{"current_password": newPW, "new_password": thirdPW},
			ExpectedStatus: 204, ExpectedEvents: map[string]int{auth.EventPasswordChanged: 1, auth.EventUserUpdated: 1, auth.EventSessionRevoked: 1}},
		{Name: "the caller stays signed in", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer(mine.AccessToken), ExpectedStatus: 200},
		{Name: "the other session is signed out", Method: "GET", URL: "/api/v1/auth/profile", Headers: apptest.Bearer(second.AccessToken),
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"session_revoked"`}},
		{Name: "the other session cannot refresh", Method: "POST", URL: "/api/v1/auth/refresh-token",
			Body: map[string]string{"refresh_token": second.RefreshToken}, ExpectedStatus: 401},
		{Name: "the new password signs in", Method: "POST", URL: "/api/v1/auth/login",
			Body: map[string]string{"email": "ann@example.com", "password": thirdPW}, ExpectedStatus: 200},
	})

	// No event ever carried a token.
	for _, ev := range a.EventsAfter(t, 0, a.DB.LastSeq()) {
		for _, secret := range []string{tok, verify[len("/api/v1/auth/verify-email/"):]} {
			if strings.Contains(string(ev.Data), secret) {
				t.Errorf("event %s carries a token", ev.Type)
			}
		}
	}
}

// smtptestMessages turns queued mails to the address into messages, for one report.
func smtptestMessages(q []store.QueuedMail, to string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range q {
		if strings.EqualFold(m.To, to) {
			out = append(out, smtptest.Message{To: []string{m.To}, Subject: m.Subject})
		}
	}
	return out
}
