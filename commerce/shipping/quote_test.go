package shipping

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestMethodPrice(t *testing.T) {
	usd := func(m Method) Method { m.Currency, m.Active = "USD", true; return m }
	weight := usd(Method{Kind: KindWeight, Brackets: []Bracket{{UpTo: 500, Amount: 400}, {UpTo: 2000, Amount: 900}}})
	weightExtra := weight
	weightExtra.PerExtraKg = 250
	weightOpen := usd(Method{Kind: KindWeight, Brackets: []Bracket{{UpTo: 1000, Amount: 500}, {UpTo: 0, Amount: 1500}}})
	price := usd(Method{Kind: KindPrice, Brackets: []Bracket{{UpTo: 4999, Amount: 800}, {UpTo: 9999, Amount: 400}, {Amount: 0}}})
	priceClosed := usd(Method{Kind: KindPrice, Brackets: []Bracket{{UpTo: 10000, Amount: 800}}})
	free := usd(Method{Kind: KindFreeOver, Amount: 700, Threshold: 5000})
	scenarios := []struct {
		name   string
		m      Method
		p      Parcel
		want   int64
		reason string // substring; "" = served
	}{
		{"flat", usd(Method{Kind: KindFlat, Amount: 599}), Parcel{Currency: "USD", Subtotal: 1, WeightGrams: 99999}, 599, ""},
		{"pickup is its amount", usd(Method{Kind: KindPickup}), Parcel{Currency: "USD"}, 0, ""},
		{"weight zero grams is the first bracket", weight, Parcel{Currency: "USD"}, 400, ""},
		{"weight exactly at a bracket's bound", weight, Parcel{Currency: "USD", WeightGrams: 500}, 400, ""},
		{"weight one gram above", weight, Parcel{Currency: "USD", WeightGrams: 501}, 900, ""},
		{"weight at the last bound", weight, Parcel{Currency: "USD", WeightGrams: 2000}, 900, ""},
		{"weight beyond the last bracket is refused", weight, Parcel{Currency: "USD", WeightGrams: 2001}, 0, "heavy"},
		{"per extra kg: one started kg", weightExtra, Parcel{Currency: "USD", WeightGrams: 2001}, 1150, ""},
		{"per extra kg: exactly one kg", weightExtra, Parcel{Currency: "USD", WeightGrams: 3000}, 1150, ""},
		{"per extra kg: a second started kg", weightExtra, Parcel{Currency: "USD", WeightGrams: 3001}, 1400, ""},
		{"open last weight bracket", weightOpen, Parcel{Currency: "USD", WeightGrams: 50_000}, 1500, ""},
		{"price first bracket", price, Parcel{Currency: "USD", Subtotal: 4999}, 800, ""},
		{"price second bracket", price, Parcel{Currency: "USD", Subtotal: 5000}, 400, ""},
		{"price open bracket", price, Parcel{Currency: "USD", Subtotal: 10000}, 0, ""},
		{"price beyond a closed last bracket", priceClosed, Parcel{Currency: "USD", Subtotal: 10001}, 0, "value"},
		{"free_over below the threshold", free, Parcel{Currency: "USD", Subtotal: 4999}, 700, ""},
		{"free_over exactly at the threshold", free, Parcel{Currency: "USD", Subtotal: 5000}, 0, ""},
		{"another currency", free, Parcel{Currency: "EUR", Subtotal: 9000}, 0, "priced in USD, not in the order's EUR"},
		{"inactive", Method{Kind: KindFlat, Currency: "USD"}, Parcel{Currency: "USD"}, 0, "not available"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, reason := sc.m.Price(sc.p)
			if sc.reason == "" && reason != "" {
				t.Fatalf("not served: %s", reason)
			}
			if sc.reason != "" && !strings.Contains(reason, sc.reason) {
				t.Fatalf("reason %q, want it to say %q", reason, sc.reason)
			}
			if got != sc.want {
				t.Fatalf("price %d, want %d", got, sc.want)
			}
		})
	}
}

func TestTableMatch(t *testing.T) {
	zones := []Zone{
		{ID: "01world", Name: "World"},
		{ID: "02us", Name: "US", Countries: []string{"US"}},
		{ID: "03ca", Name: "California", Countries: []string{"US"}, Regions: []string{"CA"}},
		{ID: "04sf", Name: "SF", Countries: []string{"US"}, PostalPrefixes: []string{"941"}},
		{ID: "05sfdt", Name: "SF downtown", Countries: []string{"US"}, PostalPrefixes: []string{"94105"}},
		{ID: "06eu", Name: "EU", Countries: []string{"DE", "FR"}},
		{ID: "07ny", Name: "NY", Countries: []string{"US"}, Regions: []string{"US-NY"}},
		{ID: "08uk", Name: "London", Countries: []string{"GB"}, PostalPrefixes: []string{"SW1"}},
	}
	tb := NewTable(zones, nil)
	scenarios := []struct {
		name string
		d    Destination
		want string
	}{
		{"a country without its own zone falls to the world", Destination{Country: "UZ"}, "World"},
		{"country", Destination{Country: "US", Region: "TX", PostalCode: "73301"}, "US"},
		{"lower-case country", Destination{Country: "us"}, "US"},
		{"region beats country", Destination{Country: "US", Region: "ca", PostalCode: "90001"}, "California"},
		{"ISO 3166-2 region", Destination{Country: "US", Region: "NY"}, "NY"},
		{"postal prefix beats region", Destination{Country: "US", Region: "CA", PostalCode: "94110"}, "SF"},
		{"longer postal prefix wins", Destination{Country: "US", Region: "CA", PostalCode: "94105-1234"}, "SF downtown"},
		{"postal codes compare without spaces", Destination{Country: "GB", PostalCode: "sw1a 1aa"}, "London"},
		{"a listed country among several", Destination{Country: "FR"}, "EU"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			z, _, ok := tb.Match(sc.d)
			if !ok || z.Name != sc.want {
				t.Fatalf("matched %q (%v), want %q", z.Name, ok, sc.want)
			}
		})
	}
	if _, _, ok := NewTable(zones[1:], nil).Match(Destination{Country: "UZ"}); ok {
		t.Fatal("UZ matched a zone without a world zone")
	}
	if !NewTable(nil, nil).Empty() || tb.Empty() {
		t.Fatal("Empty is wrong")
	}
}

func TestTableQuoteAndChoose(t *testing.T) {
	zones := []Zone{{ID: "z1", Name: "US", Countries: []string{"US"}}, {ID: "z2", Name: "DE", Countries: []string{"DE"}}}
	methods := []Method{
		{ID: "m1", ZoneID: "z1", Name: "Express", Kind: KindFlat, Currency: "USD", Amount: 2000, Active: true},
		{ID: "m2", ZoneID: "z1", Name: "Ground", Kind: KindFreeOver, Currency: "USD", Amount: 500, Threshold: 10000, Active: true},
		{ID: "m3", ZoneID: "z1", Name: "Heavy", Kind: KindWeight, Currency: "USD", Brackets: []Bracket{{UpTo: 1000, Amount: 100}}, Active: true},
		{ID: "m4", ZoneID: "z1", Name: "Euro", Kind: KindFlat, Currency: "EUR", Amount: 1, Active: true},
		{ID: "m5", ZoneID: "z1", Name: "Off", Kind: KindFlat, Currency: "USD", Amount: 1},
		{ID: "m6", ZoneID: "z2", Name: "DHL", Kind: KindFlat, Currency: "USD", Amount: 1, Active: true},
	}
	tb := NewTable(zones, methods)
	us := Destination{Country: "US"}
	p := Parcel{Currency: "USD", Subtotal: 3000, WeightGrams: 5000}
	_, rates := tb.Quote(us, p)
	var names []string
	for _, r := range rates {
		names = append(names, r.Method.Name+":"+r.Amount.Currency)
	}
	if got := strings.Join(names, ","); got != "Ground:USD,Express:USD" {
		t.Fatalf("rates %s", got)
	}
	if r, err := tb.Choose("", us, p); err != nil || r.Method.ID != "m2" || r.Amount.Amount != 500 {
		t.Fatalf("cheapest: %+v %v", r, err)
	}
	if r, err := tb.Choose("", us, Parcel{Currency: "USD", Subtotal: 10000, WeightGrams: 10}); err != nil || r.Amount.Amount != 0 {
		t.Fatalf("free over: %+v %v", r, err)
	}
	if r, err := tb.Choose("m1", us, p); err != nil || r.Amount.Amount != 2000 {
		t.Fatalf("chosen: %+v %v", r, err)
	}
	refused := []struct{ id, reason string }{
		{"m3", "heavy"}, {"m4", "priced in EUR"}, {"m5", "not available"}, {"m6", "does not serve this address"}, {"nope", "unknown"},
	}
	for _, sc := range refused {
		_, err := tb.Choose(sc.id, us, p)
		e := commerce.AsError(err)
		if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "shipping_method_id" || !strings.Contains(e.Fields[0].Message, sc.reason) {
			t.Errorf("%s: %v (%+v), want shipping_method_id %q", sc.id, err, e, sc.reason)
		}
	}
	if _, err := tb.Choose("", Destination{Country: "FR"}, p); !errors.Is(err, ErrNotServed) {
		t.Fatalf("unserved: %v", err)
	}
	if _, err := tb.Choose("", us, Parcel{Currency: "UZS"}); !errors.Is(err, ErrNotServed) {
		t.Fatalf("no method in the currency: %v", err)
	}
}

func TestValidate(t *testing.T) {
	carriers := NewCarriers(Builtin()...)
	zone := func(f func(*ZoneInput)) ZoneInput {
		in := ZoneInput{Name: "US", Countries: []string{"us"}, Regions: []string{"ca"}, PostalPrefixes: []string{"941 "}}
		f(&in)
		return in
	}
	method := func(f func(*MethodInput)) MethodInput {
		in := MethodInput{ZoneID: "z", Name: "Ground", Kind: "weight", Currency: "usd", Brackets: []Bracket{{UpTo: 500, Amount: 1}, {UpTo: 1000, Amount: 2}}}
		f(&in)
		return in
	}
	scenarios := []struct {
		name   string
		err    error
		fields []string
	}{
		{"good zone", zone(func(*ZoneInput) {}).Normalize().Validate(), nil},
		{"every-country zone", zone(func(in *ZoneInput) { in.Countries, in.Regions, in.PostalPrefixes = nil, nil, nil }).Normalize().Validate(), nil},
		{"unknown country", zone(func(in *ZoneInput) { in.Countries = []string{"US", "XX"} }).Normalize().Validate(), []string{"countries[1]"}},
		{"regions need countries", zone(func(in *ZoneInput) { in.Countries = nil }).Normalize().Validate(), []string{"regions", "postal_prefixes"}},
		{"zone name", zone(func(in *ZoneInput) { in.Name = " " }).Normalize().Validate(), []string{"name"}},
		{"good method", method(func(*MethodInput) {}).Normalize().Validate(carriers), nil},
		{"unsorted brackets", method(func(in *MethodInput) { in.Brackets[1].UpTo = 500 }).Normalize().Validate(carriers), []string{"brackets[1].up_to"}},
		{"open bracket not last", method(func(in *MethodInput) { in.Brackets[0].UpTo = 0 }).Normalize().Validate(carriers), []string{"brackets[0].up_to"}},
		{"negative amounts", method(func(in *MethodInput) { in.Brackets[0].Amount = -1; in.PerExtraKg = -5 }).Normalize().Validate(carriers), []string{"per_extra_kg", "brackets[0].amount"}},
		{"no brackets", method(func(in *MethodInput) { in.Brackets = nil }).Normalize().Validate(carriers), []string{"brackets"}},
		{"unknown carrier", method(func(in *MethodInput) { in.CarrierID = "Pony" }).Normalize().Validate(carriers), []string{"carrier_id"}},
		{"unknown kind and currency", method(func(in *MethodInput) { in.Kind, in.Currency, in.Brackets = "teleport", "dollars", nil }).Normalize().Validate(carriers), []string{"kind", "currency"}},
		{"flat with brackets", method(func(in *MethodInput) { in.Kind = "flat" }).Normalize().Validate(carriers), []string{"brackets"}},
		{"free_over without threshold", method(func(in *MethodInput) { in.Kind, in.Brackets, in.Amount = "free_over", nil, -1 }).Normalize().Validate(carriers), []string{"amount", "threshold"}},
		{"pickup needs a location", method(func(in *MethodInput) { in.Kind, in.Brackets, in.Pickup = "pickup", nil, &Pickup{} }).Normalize().Validate(carriers), []string{"pickup.location"}},
		{"days", method(func(in *MethodInput) { in.MinDays, in.MaxDays = 5, 2 }).Normalize().Validate(carriers), []string{"max_days"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := commerce.AsError(sc.err)
			if sc.fields == nil {
				if sc.err != nil {
					t.Fatalf("unexpected error %v %+v", sc.err, e.Fields)
				}
				return
			}
			if e == nil {
				t.Fatalf("no error, want fields %v", sc.fields)
			}
			got := map[string]bool{}
			for _, f := range e.Fields {
				got[f.Field] = true
			}
			for _, f := range sc.fields {
				if !got[f] {
					t.Errorf("no error on %s: %+v", f, e.Fields)
				}
			}
		})
	}
}

func TestCarriers(t *testing.T) {
	cs := NewCarriers(append(Builtin(), Manual{CarrierID: "Pony", CarrierName: "Pony Express", URLTemplate: "https://pony.example/t/{number}"})...)
	if got := cs.TrackingURL("UPS", "1Z 99"); got != "https://www.ups.com/track?tracknum=1Z+99" {
		t.Fatalf("ups: %s", got)
	}
	if got := cs.TrackingURL("manual", "42"); got != "" {
		t.Fatalf("manual has no page: %s", got)
	}
	if got := cs.TrackingURL("pony", "a/b"); got != "https://pony.example/t/a%2Fb" {
		t.Fatalf("configured: %s", got)
	}
	if got := cs.TrackingURL("nope", "1"); got != "" {
		t.Fatalf("unknown: %s", got)
	}
}

// BenchmarkChoose is the checkout step's shipping cost: matching one of 22 zones and
// picking the cheapest of its methods.
func BenchmarkChoose(b *testing.B) {
	var zones []Zone
	var methods []Method
	for i := range 20 {
		id := fmt.Sprintf("z%02d", i)
		zones = append(zones, Zone{ID: id, Countries: []string{"US", "DE"}, PostalPrefixes: []string{fmt.Sprint(10 + i)}})
		methods = append(methods, Method{ID: "m" + id, ZoneID: id, Kind: KindFlat, Currency: "USD", Amount: 100, Active: true})
	}
	zones = append(zones, Zone{ID: "us", Countries: []string{"US"}}, Zone{ID: "ca", Countries: []string{"US"}, Regions: []string{"CA"}})
	methods = append(methods,
		Method{ID: "m1", ZoneID: "us", Kind: KindFlat, Currency: "USD", Amount: 1500, Active: true},
		Method{ID: "m2", ZoneID: "us", Kind: KindWeight, Currency: "USD", Brackets: []Bracket{{UpTo: 1000, Amount: 500}, {UpTo: 5000, Amount: 900}}, Active: true},
		Method{ID: "m3", ZoneID: "us", Kind: KindFreeOver, Currency: "USD", Amount: 700, Threshold: 5000, Active: true})
	t := NewTable(zones, methods)
	d, p := Destination{Country: "US", Region: "TX", PostalCode: "73301"}, Parcel{Currency: "USD", Subtotal: 3000, WeightGrams: 1200}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Choose("", d, p); err != nil {
			b.Fatal(err)
		}
	}
}
