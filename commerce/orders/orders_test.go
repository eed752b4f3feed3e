package orders

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestTransitions(t *testing.T) {
	legal := map[string]bool{
		"PENDING>CONFIRMED": true, "CONFIRMED>PROCESSING": true, "PROCESSING>SHIPPED": true, "SHIPPED>DELIVERED": true,
		"PENDING>CANCELLED": true, "CONFIRMED>CANCELLED": true, "PROCESSING>CANCELLED": true,
	}
	for _, from := range Statuses {
		for _, to := range append(Statuses, "", "pending", "LOST") {
			if got := CanTransition(from, to); got != legal[from+">"+to] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	for _, s := range []string{StatusDelivered, StatusCancelled} {
		if n := NextStatuses(s); n == nil || len(n) != 0 {
			t.Errorf("NextStatuses(%s) = %#v, want an empty list", s, n)
		}
	}
}

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
			var v commerce.Validator
			a.Normalize().Validate(&v, "shipping_address.")
			var got []string
			if e := commerce.AsError(v.Err()); e != nil {
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

func TestAccessKeyAndVisibility(t *testing.T) {
	key, hash := NewAccessKey()
	o := Order{UserID: "u1", AccessKeyHash: hash}
	scenarios := []struct {
		v    Viewer
		sees bool
	}{
		{Viewer{UserID: "u1"}, true},
		{Viewer{UserID: "u2"}, false},
		{Viewer{}, false},
		{Viewer{Staff: true}, true},
		{Viewer{Key: key}, true},
		{Viewer{Key: key + "x"}, false},
		{Viewer{Key: hash}, false}, // the stored hash is not a key
	}
	for _, s := range scenarios {
		if o.CanSee(s.v) != s.sees {
			t.Errorf("CanSee(%+v) = %v", s.v, !s.sees)
		}
	}
	if (Order{}).KeyMatches("") {
		t.Error("an empty key opens an order without one")
	}
}

func TestTrackingURL(t *testing.T) {
	scenarios := []struct {
		carrier, number, want string
	}{
		{"UPS", "1Z 99&x", "https://www.ups.com/track?tracknum=1Z+99%26x"},
		{"fedex", "123", "https://www.fedex.com/fedextrack/?trknbr=123"},
		{"Local courier", "123", ""},
		{"ups", "", ""},
	}
	for _, s := range scenarios {
		if got := (Order{Carrier: s.carrier, TrackingNumber: s.number}).TrackingURL(); got != s.want {
			t.Errorf("%s %q: %q, want %q", s.carrier, s.number, got, s.want)
		}
	}
}
