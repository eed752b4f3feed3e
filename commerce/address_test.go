package commerce

import (
	"strings"
	"testing"
)

func TestAddressValidate(t *testing.T) {
	ok := Address{Name: "Ann", Line1: "1 Main St", City: "Tashkent", Country: "UZ"}
	scenarios := []struct {
		name   string
		change func(*Address)
		fields []string
	}{
		{"complete", func(*Address) {}, nil},
		{"lower-case country is normalized", func(a *Address) { a.Country = " us " }, nil},
		{"everything missing", func(a *Address) { *a = Address{} }, []string{"name", "line1", "city", "country"}},
		{"unassigned country", func(a *Address) { a.Country = "XX" }, []string{"country"}},
		{"three-letter country", func(a *Address) { a.Country = "UZB" }, []string{"country"}},
		{"blank name", func(a *Address) { a.Name = "   " }, []string{"name"}},
		{"long line2", func(a *Address) { a.Line2 = strings.Repeat("x", 201) }, []string{"line2"}},
		{"letters in the phone", func(a *Address) { a.Phone = "call me" }, []string{"phone"}},
		{"a good phone", func(a *Address) { a.Phone = "+998 (71) 123-45-67" }, nil},
		{"long postal code", func(a *Address) { a.PostalCode = strings.Repeat("1", 21) }, []string{"postal_code"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			a := ok
			s.change(&a)
			var v Validator
			a.Normalize().Validate(&v, "shipping_address.")
			var got []string
			if e := AsError(v.Err()); e != nil {
				for _, f := range e.Fields {
					got = append(got, strings.TrimPrefix(f.Field, "shipping_address."))
				}
			}
			if strings.Join(got, ",") != strings.Join(s.fields, ",") {
				t.Errorf("fields %v, want %v", got, s.fields)
			}
		})
	}
}

func TestValidCountry(t *testing.T) {
	for c, want := range map[string]bool{"US": true, "UZ": true, "GB": true, "ZW": true, "AD": true, "UK": false, "XX": false, "us": false, "U": false, "": false, " U": false} {
		if ValidCountry(c) != want {
			t.Errorf("ValidCountry(%q) = %v", c, !want)
		}
	}
}
