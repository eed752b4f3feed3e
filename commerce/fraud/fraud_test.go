package fraud

import (
	"slices"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestEvaluate(t *testing.T) {
	rules := Rules{Enabled: true, Window: time.Hour, MaxOrdersPerAccount: 3, MaxOrdersPerIP: 5, MaxOrdersPerCard: 2,
		MaxOrderAmount: map[string]int64{"USD": 100000}, HoldFirstOrderOver: map[string]int64{"USD": 20000}}
	usd := func(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }
	scenarios := []struct {
		name  string
		rules Rules
		s     Signals
		want  []string
	}{
		{"quiet", rules, Signals{UserID: "u", IP: "1.2.3.4", Amount: usd(500), Recent: map[string]int{RuleOrdersPerAccount: 2, RuleOrdersPerIP: 4}}, nil},
		{"account velocity", rules, Signals{UserID: "u", IP: "1.2.3.4", Amount: usd(500), Recent: map[string]int{RuleOrdersPerAccount: 3}}, []string{RuleOrdersPerAccount}},
		{"ip and card velocity", rules, Signals{IP: "1.2.3.4", CardFingerprint: "f", Amount: usd(500), Recent: map[string]int{RuleOrdersPerIP: 5, RuleOrdersPerCard: 9}}, []string{RuleOrdersPerIP, RuleOrdersPerCard}},
		{"guest has no account counter", rules, Signals{IP: "1.2.3.4", Amount: usd(500), Recent: map[string]int{RuleOrdersPerAccount: 9}}, nil},
		{"amount", rules, Signals{Amount: usd(100001)}, []string{RuleOrderAmount}},
		{"amount at the limit", rules, Signals{Amount: usd(100000)}, nil},
		{"amount in another currency", rules, Signals{Amount: commerce.Money{Amount: 1 << 40, Currency: "UZS"}}, nil},
		{"large first order", rules, Signals{Amount: usd(20001), FirstOrder: true}, []string{RuleFirstOrder}},
		{"large later order", rules, Signals{Amount: usd(20001)}, nil},
		{"small first order", rules, Signals{Amount: usd(20000), FirstOrder: true}, nil},
		{"disabled", Rules{MaxOrderAmount: map[string]int64{"USD": 1}}, Signals{Amount: usd(5)}, nil},
		{"limit 0 is off", Rules{Enabled: true, Window: time.Hour}, Signals{UserID: "u", Recent: map[string]int{RuleOrdersPerAccount: 100}}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			d := Evaluate(sc.rules, sc.s)
			if !slices.Equal(d.Reasons, sc.want) || d.Hold != (len(sc.want) > 0) {
				t.Fatalf("decision %+v, want %v", d, sc.want)
			}
		})
	}
}

func TestSlide(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var times []int64
	var got []int
	// Orders every 10 minutes, a 30-minute window, limit 2.
	for i := range 6 {
		var n int
		n, times = Slide(times, t0.Add(time.Duration(i)*10*time.Minute), 30*time.Minute, 2)
		got = append(got, n)
		if len(times) > 2 {
			t.Fatalf("kept %d times", len(times))
		}
	}
	if !slices.Equal(got, []int{0, 1, 2, 2, 2, 2}) {
		t.Fatalf("recent counts %v", got)
	}
	// After a quiet window the count starts again.
	n, times := Slide(times, t0.Add(3*time.Hour), 30*time.Minute, 2)
	if n != 0 || len(times) != 1 {
		t.Fatalf("after the window: %d %v", n, times)
	}
}
