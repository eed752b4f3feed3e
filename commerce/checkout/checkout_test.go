package checkout

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

func TestValidate(t *testing.T) {
	good := Input{CartID: "c", Email: "a@example.com", PaymentMethod: "cash",
		ShippingAddress: orders.Address{Name: "A", Line1: "1 St", City: "X", Country: "US"}}
	scenarios := []struct {
		name   string
		buyer  Buyer
		change func(*Input)
		fields []string
	}{
		{"complete", Buyer{}, func(*Input) {}, nil},
		{"payment method in capitals", Buyer{}, func(in *Input) { in.PaymentMethod = " CASH " }, nil},
		{"guest without e-mail", Buyer{}, func(in *Input) { in.Email = "" }, []string{"email"}},
		{"user without e-mail", Buyer{UserID: "u"}, func(in *Input) { in.Email = "" }, nil},
		{"bad e-mail", Buyer{UserID: "u"}, func(in *Input) { in.Email = "Ann <a@example.com>" }, []string{"email"}},
		{"card", Buyer{}, func(in *Input) { in.PaymentMethod = "card" }, []string{"payment_method"}},
		{"no payment method", Buyer{}, func(in *Input) { in.PaymentMethod = "" }, []string{"payment_method"}},
		{"no cart", Buyer{}, func(in *Input) { in.CartID = " " }, []string{"cart_id"}},
		{"no address", Buyer{}, func(in *Input) { in.ShippingAddress = orders.Address{} },
			[]string{"shipping_address.name", "shipping_address.line1", "shipping_address.city", "shipping_address.country"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			in := good
			s.change(&in)
			var got []string
			err := validate(&in, s.buyer)
			if err == nil {
				err = (&Service{}).validatePayment(&in)
			}
			if e := commerce.AsError(err); e != nil {
				for _, f := range e.Fields {
					got = append(got, f.Field)
				}
				if s.name == "card" && !strings.Contains(e.Fields[0].Message, "cash") {
					t.Errorf("message %q does not list the accepted methods", e.Fields[0].Message)
				}
			}
			if strings.Join(got, ",") != strings.Join(s.fields, ",") {
				t.Errorf("fields %v, want %v", got, s.fields)
			}
		})
	}
}

func TestRequestHash(t *testing.T) {
	in := Input{CartID: "c", Email: "a@example.com", PaymentMethod: "cash"}
	other := in
	other.ShippingAddress.City = "Y"
	if requestHash(in, Buyer{}) != requestHash(in, Buyer{}) {
		t.Error("hash is not stable")
	}
	if requestHash(in, Buyer{}) == requestHash(other, Buyer{}) || requestHash(in, Buyer{}) == requestHash(in, Buyer{UserID: "u"}) {
		t.Error("different requests hash alike")
	}
}
