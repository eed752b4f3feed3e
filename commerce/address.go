package commerce

import "strings"

// Address is a postal address: an order's shipping address, an entry of a customer's
// address book. Normalize it, then Validate it.
type Address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2, upper case
	Phone      string `json:"phone,omitempty"`
}

// Normalize trims every field and upper-cases the country.
func (a Address) Normalize() Address {
	t := strings.TrimSpace
	return Address{Name: t(a.Name), Line1: t(a.Line1), Line2: t(a.Line2), City: t(a.City), Region: t(a.Region),
		PostalCode: t(a.PostalCode), Country: strings.ToUpper(t(a.Country)), Phone: t(a.Phone)}
}

// Validate reports each bad field of a (normalized) address, prefixed with prefix ("shipping_address.").
func (a Address) Validate(v *Validator, prefix string) {
	required := func(field, val string, max int) {
		switch {
		case val == "":
			v.Add(prefix+field, "is required")
		case len(val) > max:
			v.Add(prefix+field, "is too long")
		}
	}
	optional := func(field, val string, max int) { v.Check(len(val) <= max, prefix+field, "is too long") }
	required("name", a.Name, 200)
	required("line1", a.Line1, 200)
	optional("line2", a.Line2, 200)
	required("city", a.City, 100)
	optional("region", a.Region, 100)
	optional("postal_code", a.PostalCode, 20)
	optional("phone", a.Phone, 40)
	if a.Country == "" {
		v.Add(prefix+"country", "is required")
	} else {
		v.Check(ValidCountry(a.Country), prefix+"country", "must be an ISO 3166-1 alpha-2 code such as US or UZ")
	}
	if a.Phone != "" {
		ok := true
		for _, c := range a.Phone {
			if !(c >= '0' && c <= '9' || strings.ContainsRune("+-() .", c)) {
				ok = false
			}
		}
		v.Check(ok, prefix+"phone", "may hold only digits, spaces and + - ( ) .")
	}
}

// ValidCountry reports whether c is an assigned ISO 3166-1 alpha-2 code.
func ValidCountry(c string) bool {
	if len(c) != 2 {
		return false
	}
	for i := 0; i+1 < len(countryCodes); i += 3 {
		if countryCodes[i] == c[0] && countryCodes[i+1] == c[1] {
			return true
		}
	}
	return false
}

// countryCodes are the officially assigned ISO 3166-1 alpha-2 codes, space separated.
const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
