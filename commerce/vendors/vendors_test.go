package vendors

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestTransitions(t *testing.T) {
	scenarios := []struct {
		from, to string
		ok       bool
	}{
		{StatusPending, StatusApproved, true},
		{StatusPending, StatusRejected, true},
		{StatusPending, StatusSuspended, false},
		{StatusPending, StatusPending, false},
		{StatusRejected, StatusPending, true},
		{StatusRejected, StatusApproved, false},
		{StatusRejected, StatusSuspended, false},
		{StatusApproved, StatusSuspended, true},
		{StatusApproved, StatusRejected, false},
		{StatusApproved, StatusPending, false},
		{StatusSuspended, StatusApproved, true},
		{StatusSuspended, StatusPending, false},
		{StatusSuspended, StatusRejected, false},
		{"", StatusApproved, false},
		{"BOGUS", StatusPending, false},
	}
	for _, s := range scenarios {
		if got := CanTransition(s.from, s.to); got != s.ok {
			t.Errorf("CanTransition(%q, %q) = %v, want %v", s.from, s.to, got, s.ok)
		}
	}
	for _, st := range Statuses {
		if eventOf[st] == "" {
			t.Errorf("status %s has no event", st)
		}
	}
}

func validApplication() Application {
	return Application{Name: "Silk Road Crafts", LegalName: "Silk Road Crafts LLC", TaxID: "UZ-123.456/7",
		Country: "uz", ContactEmail: "sales@silkroad.example", Phone: "+998 (71) 123-45-67", Description: "Hand-made."}
}

func fieldsOf(err error) []string {
	ce := commerce.AsError(err)
	if ce == nil {
		return nil
	}
	var out []string
	for _, f := range ce.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidateApplication(t *testing.T) {
	scenarios := []struct {
		name string
		edit func(*Application)
		want []string // fields named, in order; nil means valid
	}{
		{"valid", func(*Application) {}, nil},
		{"minimal", func(a *Application) { a.Phone, a.Description = "", "" }, nil},
		{"everything missing", func(a *Application) { *a = Application{} }, []string{"name", "legal_name", "tax_id", "country", "contact_email"}},
		{"blank name", func(a *Application) { a.Name = "   " }, []string{"name"}},
		{"name too long", func(a *Application) { a.Name = strings.Repeat("é", MaxNameLen+1) }, []string{"name"}},
		{"name at the limit", func(a *Application) { a.Name = strings.Repeat("é", MaxNameLen) }, nil},
		{"name with a control character", func(a *Application) { a.Name = "a\x00b" }, []string{"name"}},
		{"legal name too long", func(a *Application) { a.LegalName = strings.Repeat("x", MaxNameLen+1) }, []string{"legal_name"}},
		{"tax id with symbols", func(a *Application) { a.TaxID = "12<script>" }, []string{"tax_id"}},
		{"tax id too long", func(a *Application) { a.TaxID = strings.Repeat("1", MaxTaxIDLen+1) }, []string{"tax_id"}},
		{"unknown country", func(a *Application) { a.Country = "XX" }, []string{"country"}},
		{"country of three letters", func(a *Application) { a.Country = "UZB" }, []string{"country"}},
		{"malformed e-mail", func(a *Application) { a.ContactEmail = "not-an-email" }, []string{"contact_email"}},
		{"e-mail with a display name", func(a *Application) { a.ContactEmail = "Sales <sales@silkroad.example>" }, []string{"contact_email"}},
		{"e-mail without a dotted domain", func(a *Application) { a.ContactEmail = "sales@localhost" }, []string{"contact_email"}},
		{"e-mail too long", func(a *Application) { a.ContactEmail = strings.Repeat("a", 250) + "@x.example" }, []string{"contact_email"}},
		{"phone with letters", func(a *Application) { a.Phone = "call me" }, []string{"phone"}},
		{"phone too long", func(a *Application) { a.Phone = strings.Repeat("1", MaxPhoneLen+1) }, []string{"phone"}},
		{"description too long", func(a *Application) { a.Description = strings.Repeat("d", MaxDescriptionLen+1) }, []string{"description"}},
		{"description with line breaks", func(a *Application) { a.Description = "one\ntwo\tthree" }, nil},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			in := validApplication()
			s.edit(&in)
			got := fieldsOf(ValidateApplication(normalizeApplication(in)))
			if strings.Join(got, ",") != strings.Join(s.want, ",") {
				t.Errorf("fields %v, want %v", got, s.want)
			}
		})
	}
}

func TestValidateReason(t *testing.T) {
	scenarios := []struct {
		reason string
		ok     bool
	}{
		{"Tax certificate is unreadable", true},
		{"", false},
		{"   ", false},
		{strings.Repeat("r", MaxReasonLen), true},
		{strings.Repeat("r", MaxReasonLen+1), false},
		{"bad\x1b[31m", false},
	}
	for _, s := range scenarios {
		err := validateReason(strings.TrimSpace(s.reason))
		if (err == nil) != s.ok {
			t.Errorf("validateReason(%.20q) = %v, want ok=%v", s.reason, err, s.ok)
		}
		if err != nil && strings.Join(fieldsOf(err), ",") != "reason" {
			t.Errorf("validateReason(%.20q) names %v, want reason", s.reason, fieldsOf(err))
		}
	}
}

func TestCleanFileName(t *testing.T) {
	scenarios := []struct{ in, want string }{
		{"license.pdf", "license.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\scan.png`, "scan.png"},
		{"a\r\nb.pdf", "ab.pdf"},
		{"\xff\xfeok.pdf", "ok.pdf"},
		{strings.Repeat("n", MaxFileNameLen+10), strings.Repeat("n", MaxFileNameLen)},
		{"", ""},
	}
	for _, s := range scenarios {
		if got := cleanFileName(s.in); got != s.want {
			t.Errorf("cleanFileName(%q) = %q, want %q", s.in, got, s.want)
		}
	}
}

func TestViewer(t *testing.T) {
	v := Vendor{OwnerUserID: "owner"}
	scenarios := []struct {
		viewer Viewer
		ok     bool
	}{
		{Viewer{UserID: "owner"}, true},
		{Viewer{UserID: "someone"}, false},
		{Viewer{}, false},
		{Viewer{UserID: "admin", Reviewer: true}, true},
	}
	for _, s := range scenarios {
		if got := s.viewer.CanSeePrivate(v); got != s.ok {
			t.Errorf("%+v.CanSeePrivate = %v, want %v", s.viewer, got, s.ok)
		}
	}
	if (Vendor{}).OwnerUserID != "" || (Viewer{}).CanSeePrivate(Vendor{}) {
		t.Error("an anonymous viewer must not own an ownerless vendor")
	}
}
