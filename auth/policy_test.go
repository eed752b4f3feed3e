package auth

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestValidatePassword(t *testing.T) {
	scenarios := []struct {
		name, pw, email string
		rule            string // substring of the message; "" means valid
	}{
		{"ok", "violet-harbor-917", "ann@example.com", ""},
		{"ok unicode counts characters", "пароль-ёжик", "ann@example.com", ""},
		{"too short", "Abc!2345", "ann@example.com", "at least 10 characters"},
		{"short in bytes too", "ééééé", "", "at least 10 characters"},
		{"too long", strings.Repeat("ab", 65), "", "at most 128 bytes"},
		{"multibyte over byte limit", strings.Repeat("é", 65), "", "at most 128 bytes"},
		{"common", "password123", "ann@example.com", "too common"},
		{"common any case", "QwertyUiop", "ann@example.com", "too common"},
		{"common numeric", "1234567890", "", "too common"},
		{"equals local part", "maximilian", "Maximilian@example.com", "e-mail"},
		{"contains local part", "my-maximilian-pw", "maximilian@example.com", "e-mail"},
		{"contains local part any case", "xxMAXIMILIANxx", "maximilian@example.com", "e-mail"},
		{"contains whole address", "jo@example.com!", "jo@example.com", "e-mail"},
		{"short local part may appear", "jolly-roger-2024", "jo@example.com", ""},
		{"no email given", "violet-harbor-917", "", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := ValidatePassword(sc.pw, sc.email)
			if sc.rule == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "password" ||
				!strings.Contains(e.Fields[0].Message, sc.rule) {
				t.Fatalf("got %v, want password error mentioning %q", err, sc.rule)
			}
		})
	}
}

func TestCommonPasswordsList(t *testing.T) {
	if n := len(commonPasswords); n < 200 {
		t.Fatalf("only %d common passwords loaded", n)
	}
	for pw := range commonPasswords {
		if pw != strings.ToLower(pw) || strings.TrimSpace(pw) != pw || strings.HasPrefix(pw, "#") {
			t.Errorf("entry %q is not normalized", pw)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	scenarios := []struct {
		name, in, want string // want "" means invalid
	}{
		{"plain", "ann@example.com", "ann@example.com"},
		{"domain lower-cased, local case kept", "Ann.Lee+shop@Example.COM", "Ann.Lee+shop@example.com"},
		{"surrounding space trimmed", "  ann@example.com\n", "ann@example.com"},
		{"subdomain", "a@mail.shop.example.co.uk", "a@mail.shop.example.co.uk"},
		{"internationalized", "jörg@bücher.de", "jörg@bücher.de"},
		{"empty", "", ""},
		{"no at", "ann.example.com", ""},
		{"display name", "Ann <ann@example.com>", ""},
		{"angle brackets", "<ann@example.com>", ""},
		{"quoted local part", `"ann lee"@example.com`, ""},
		{"comment", "ann(work)@example.com", ""},
		{"two ats", "ann@lee@example.com", ""},
		{"double dot", "ann..lee@example.com", ""},
		{"no dot in domain", "ann@localhost", ""},
		{"domain literal", "ann@[192.0.2.1]", ""},
		{"hyphen label", "ann@-example.com", ""},
		{"trailing dot", "ann@example.com.", ""},
		{"space inside", "ann lee@example.com", ""},
		{"local part too long", strings.Repeat("a", 65) + "@example.com", ""},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", ""},
		{"list", "a@example.com, b@example.com", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := ValidateEmail(sc.in)
			if sc.want == "" {
				e := commerce.AsError(err)
				if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "email" {
					t.Fatalf("got %q, %v; want an email error", got, err)
				}
				return
			}
			if err != nil || got != sc.want {
				t.Fatalf("got %q, %v; want %q", got, err, sc.want)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	scenarios := []struct {
		in   string
		want Role // "" means invalid
	}{
		{"CUSTOMER", RoleCustomer},
		{"vendor", RoleVendor},
		{" Admin ", RoleAdmin},
		{"super_admin", RoleSuperAdmin},
		{"", ""},
		{"root", ""},
		{"super admin", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.in, func(t *testing.T) {
			got, err := ParseRole(sc.in)
			if sc.want != "" {
				if err != nil || got != sc.want {
					t.Fatalf("got %q, %v", got, err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid || e.Code != "invalid_role" ||
				!strings.Contains(e.Message, "CUSTOMER, VENDOR, ADMIN, SUPER_ADMIN") {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestRoleAtLeast(t *testing.T) {
	scenarios := []struct {
		r, min Role
		want   bool
	}{
		{RoleSuperAdmin, RoleAdmin, true},
		{RoleAdmin, RoleAdmin, true},
		{RoleVendor, RoleAdmin, false},
		{RoleCustomer, RoleCustomer, true},
		{Role("admin"), RoleCustomer, false},
		{RoleSuperAdmin, Role("GOD"), false},
	}
	for _, sc := range scenarios {
		if got := sc.r.AtLeast(sc.min); got != sc.want {
			t.Errorf("%s.AtLeast(%s) = %v", sc.r, sc.min, got)
		}
	}
}
