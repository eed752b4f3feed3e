package auth

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// Paths the mails link to. The verification link is the API route itself (a GET that
// answers JSON); the reset link is for a web page that asks for the new password and posts
// it with the token to POST /api/v1/auth/password-reset, and the mail also gives the token
// for API clients.
const (
	VerifyEmailPath   = "/api/v1/auth/verify-email/"
	ResetPasswordPage = "/reset-password"
)

// link joins the configured base URL and a path.
func (s *Service) link(path string) string {
	return strings.TrimRight(s.recoveryCfg.BaseURL(), "/") + path
}

// mailText builds a mail from paragraphs, the text as is and the HTML escaped; an empty
// paragraph marks where the link goes (clickable in the HTML).
func mailText(to, subject, greeting string, paras []string, linkText, link string) Mail {
	var t, h strings.Builder
	fmt.Fprintf(&t, "%s\n\n", greeting)
	fmt.Fprintf(&h, "<p>%s</p>\n", html.EscapeString(greeting))
	for _, p := range paras {
		if p == "" {
			fmt.Fprintf(&t, "%s\n\n", link)
			fmt.Fprintf(&h, "<p><a href=\"%s\">%s</a></p>\n", html.EscapeString(link), html.EscapeString(linkText))
			continue
		}
		fmt.Fprintf(&t, "%s\n\n", p)
		fmt.Fprintf(&h, "<p>%s</p>\n", html.EscapeString(p))
	}
	return Mail{To: to, Subject: subject, Text: t.String(), HTML: h.String()}
}

func greeting(u User) string {
	if u.Name != "" {
		return "Hello " + u.Name + ","
	}
	return "Hello,"
}

// hours renders a lifetime for people ("1 hour", "72 hours").
func hours(d time.Duration) string {
	h := d.Hours()
	switch {
	case h == 1:
		return "1 hour"
	case h >= 1 && h == float64(int(h)):
		return fmt.Sprintf("%d hours", int(h))
	default:
		return fmt.Sprintf("%.0f minutes", h*60)
	}
}

// verifyMail asks u to confirm the address with a link carrying token.
func (s *Service) verifyMail(u User, token string) Mail {
	shop := s.recoveryCfg.ShopName
	return mailText(u.Email, "Confirm your e-mail address for "+shop, greeting(u), []string{
		"Please confirm that this is your e-mail address by opening this link:",
		"",
		"The link works once and expires in " + hours(s.recoveryCfg.VerifyTTL) + ".",
		"If you did not create an account at " + shop + ", ignore this e-mail.",
	}, "Confirm my e-mail address", s.link(VerifyEmailPath+token))
}

// resetMail gives u a password-reset link and the token itself (for API clients).
func (s *Service) resetMail(u User, token string) Mail {
	shop := s.recoveryCfg.ShopName
	return mailText(u.Email, "Reset your "+shop+" password", greeting(u), []string{
		"Someone (hopefully you) asked to reset the password of your " + shop + " account. To choose a new password, open this link:",
		"",
		"Or send this reset token with your new password to POST /api/v1/auth/password-reset: " + token,
		"The link works once and expires in " + hours(s.recoveryCfg.ResetTTL) + ". Resetting the password signs you out everywhere.",
		"If you did not ask for this, ignore this e-mail: your password stays as it is.",
	}, "Choose a new password", s.link(ResetPasswordPage+"?token="+url.QueryEscape(token)))
}

// registrationNoticeMail tells the owner of an address that someone tried to register it.
func (s *Service) registrationNoticeMail(u User) Mail {
	shop := s.recoveryCfg.ShopName
	return mailText(u.Email, "Someone tried to register at "+shop+" with your address", greeting(u), []string{
		"Someone tried to create a new " + shop + " account with this e-mail address, which already has an account.",
		"If it was you, sign in with your existing account. If you forgot your password, reset it here:",
		"",
		"If it was not you, you need not do anything: no new account was created.",
	}, "Reset my password", s.link(ResetPasswordPage))
}
