package commerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewIDSortsByCreationAndIsValid(t *testing.T) {
	const n = 2000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = NewID()
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("IDs made one after another are not in increasing order")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !ValidID(id) {
			t.Fatalf("invalid ID %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate ID %q", id)
		}
		seen[id] = true
	}
	before := time.Now().Add(-time.Millisecond)
	got, ok := IDTime(NewID())
	if !ok || got.Before(before.Truncate(time.Millisecond)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("IDTime = %v %v, want about %v", got, ok, before)
	}
	ms := uint64(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixMilli())
	raw := [16]byte{byte(ms >> 40), byte(ms >> 32), byte(ms >> 24), byte(ms >> 16), byte(ms >> 8), byte(ms), 0xff}
	if got, _ := IDTime(encodeULID(raw)); got.UnixMilli() != int64(ms) {
		t.Errorf("IDTime of a crafted ID = %v", got)
	}
}

func TestNewIDConcurrentUnique(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				id := NewID()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestValidID(t *testing.T) {
	scenarios := []struct {
		id string
		ok bool
	}{
		{NewID(), true},
		{"", false},
		{"01M8A5G47799AE0MJ8FFQJ8Y2", false},   // 25 chars
		{"01M8A5G47799AE0MJ8FFQJ8Y2EE", false}, // 27 chars
		{"81M8A5G47799AE0MJ8FFQJ8Y2E", false},  // overflows 128 bits
		{"01M8A5G47799AE0MJ8FFQJ8Y2I", false},  // I is not Crockford
		{"01m8a5g47799ae0mj8ffqj8y2e", false},  // lower case
		{"../../../../etc/passwd/xxxx", false},
	}
	for _, s := range scenarios {
		if ValidID(s.id) != s.ok {
			t.Errorf("ValidID(%q) = %v", s.id, !s.ok)
		}
	}
}

func TestNewSecretLength(t *testing.T) {
	a, b := NewSecret(16), NewSecret(16)
	if len(a) != 22 || a == b || strings.ContainsAny(a, "+/=") {
		t.Errorf("secrets %q %q", a, b)
	}
}

func TestMoney(t *testing.T) {
	usd := func(a int64) Money { return Money{Amount: a, Currency: "USD"} }
	scenarios := []struct {
		name    string
		got     func() (Money, error)
		want    Money
		errCode string
	}{
		{"add", func() (Money, error) { return usd(1999).Add(usd(1)) }, usd(2000), ""},
		{"add negative", func() (Money, error) { return usd(100).Add(usd(-250)) }, usd(-150), ""},
		{"currency mismatch", func() (Money, error) { return usd(1).Add(Money{1, "UZS"}) }, Money{}, "currency_mismatch"},
		{"add overflow", func() (Money, error) { return usd(math.MaxInt64).Add(usd(1)) }, Money{}, "amount_overflow"},
		{"add underflow", func() (Money, error) { return usd(math.MinInt64).Add(usd(-1)) }, Money{}, "amount_overflow"},
		{"mul", func() (Money, error) { return usd(1999).Mul(3) }, usd(5997), ""},
		{"mul zero", func() (Money, error) { return usd(1999).Mul(0) }, usd(0), ""},
		{"mul negative qty", func() (Money, error) { return usd(1).Mul(-1) }, Money{}, "negative_quantity"},
		{"mul overflow", func() (Money, error) { return usd(math.MaxInt64 / 2).Mul(3) }, Money{}, "amount_overflow"},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			got, err := s.got()
			if s.errCode != "" {
				if e := AsError(err); e == nil || e.Code != s.errCode {
					t.Fatalf("err %v, want code %s", err, s.errCode)
				}
				return
			}
			if err != nil || got != s.want {
				t.Fatalf("got %v %v, want %v", got, err, s.want)
			}
		})
	}
	if s := usd(-1999).String(); s != "-19.99 USD" {
		t.Errorf("String %q", s)
	}
	for c, ok := range map[string]bool{"USD": true, "UZS": true, "usd": false, "US": false, "USDT": false} {
		if ValidCurrency(c) != ok {
			t.Errorf("ValidCurrency(%q)", c)
		}
	}
	b, _ := json.Marshal(usd(1999))
	if string(b) != `{"amount":1999,"currency":"USD"}` {
		t.Errorf("JSON %s", b)
	}
}

func TestErrors(t *testing.T) {
	errOut := &Error{Kind: EConflict, Code: "out_of_stock", Message: "inventory: out of stock"}
	detailed := errOut.WithDetails(map[string]any{"variant_id": "v1"})
	wrapped := fmt.Errorf("place order: %w", detailed)
	if !errors.Is(wrapped, errOut) {
		t.Error("a detailed copy does not match its sentinel")
	}
	if errOut.Details != nil {
		t.Error("WithDetails changed the sentinel")
	}
	if KindOf(wrapped) != EConflict || KindOf(errors.New("x")) != EInternal {
		t.Error("KindOf")
	}
	if AsError(wrapped).Details["variant_id"] != "v1" {
		t.Error("details lost")
	}
	cause := errors.New("disk on fire")
	e := Errorf(EInternal, "io", "write order %s: %w", "42", cause)
	if !errors.Is(e, cause) || e.Message != "write order 42: disk on fire" {
		t.Errorf("Errorf: %v", e)
	}
	if errors.Is(&Error{Kind: EInvalid}, &Error{Kind: EInvalid}) {
		t.Error("errors without a code must not match each other")
	}

	var v Validator
	v.Check(true, "name", "is required")
	if v.Err() != nil {
		t.Error("no failures yet")
	}
	v.Check(false, "email", "is required")
	v.Add("password", "is too short")
	err := v.Err()
	ae := AsError(err)
	if ae == nil || ae.Kind != EInvalid || len(ae.Fields) != 2 {
		t.Fatalf("validator error %v", err)
	}
	if got := err.Error(); got != "invalid input: email: is required; password: is too short" {
		t.Errorf("message %q", got)
	}
}

func TestValidatorText(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        string
		max      int
		required bool
		want     string // the message, "" for none
	}{
		{"empty optional", "", 5, false, ""},
		{"empty required", "", 5, true, "is required"},
		{"blank required", " \t\n", 5, true, "is required"},
		{"at max", "héllo", 5, true, ""},
		{"over max", "héllo!", 5, false, "must be at most 5 characters"},
		{"invalid utf8", "a\xffb", 5, true, "must be valid UTF-8"},
		{"line breaks and tabs", "a\r\n\tb", 10, true, ""},
		{"control", "a\x00b", 10, true, "must not contain control characters"},
		{"c1 control", "a\u0085b", 10, true, "must not contain control characters"},
		{"delete", "a\x7fb", 10, true, "must not contain control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v Validator
			v.Text("f", tc.s, tc.max, tc.required)
			var got string
			if e := AsError(v.Err()); e != nil {
				if len(e.Fields) != 1 || e.Fields[0].Field != "f" {
					t.Fatalf("fields %+v", e.Fields)
				}
				got = e.Fields[0].Message
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPageNormalize(t *testing.T) {
	for in, want := range map[int]int{0: DefaultPageLimit, -5: DefaultPageLimit, 1: 1, 100: 100, 1000: MaxPageLimit} {
		if got := (Page{Limit: in}).Normalize().Limit; got != want {
			t.Errorf("limit %d -> %d, want %d", in, got, want)
		}
	}
}

func TestNewEvent(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("UZT", 5*3600))
	ev, err := NewEvent("orders.placed", "o1", at, map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Subject() != "um.orders.placed" || !ValidID(ev.ID) || ev.Time.Location() != time.UTC || string(ev.Data) != `{"n":1}` {
		t.Errorf("event %+v", ev)
	}
	if _, err := NewEvent("x.y", "a", at, func() {}); KindOf(err) != EInternal {
		t.Errorf("unencodable data: %v", err)
	}
}

func TestTransitions(t *testing.T) {
	tr := Transitions{"A": {"B", "C"}, "B": {"C"}}
	scenarios := []struct {
		from, to string
		want     bool
	}{
		{"A", "B", true}, {"A", "C", true}, {"B", "C", true},
		{"B", "A", false}, {"C", "A", false}, {"X", "A", false}, {"A", "A", false},
	}
	for _, s := range scenarios {
		if got := tr.Allows(s.from, s.to); got != s.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", s.from, s.to, got, s.want)
		}
	}
	if next := tr.Next("C"); next == nil || len(next) != 0 {
		t.Errorf("Next of a final status = %#v, want an empty non-nil slice", next)
	}
	next := tr.Next("A")
	next[0] = "Z" // a copy: the table is not changed through it
	if tr["A"][0] != "B" {
		t.Error("Next returned the table's own slice")
	}
}
