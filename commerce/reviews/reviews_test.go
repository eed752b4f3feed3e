package reviews

import (
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func TestValidate(t *testing.T) {
	scenarios := []struct {
		name   string
		in     Input
		fields []string // fields reported, in order; none means valid
	}{
		{"rating only", Input{Rating: 5}, nil},
		{"full", Input{Rating: 1, Title: "Bad", Body: "Broke on day one.\nSecond line."}, nil},
		{"rating 0", Input{Rating: 0}, []string{"rating"}},
		{"rating 6", Input{Rating: 6}, []string{"rating"}},
		{"negative rating", Input{Rating: -1}, []string{"rating"}},
		{"title at the limit", Input{Rating: 3, Title: strings.Repeat("é", MaxTitleLen)}, nil},
		{"title too long", Input{Rating: 3, Title: strings.Repeat("a", MaxTitleLen+1)}, []string{"title"}},
		{"body too long", Input{Rating: 3, Body: strings.Repeat("a", MaxBodyLen+1)}, []string{"body"}},
		{"control character", Input{Rating: 3, Title: "a\x00b"}, []string{"title"}},
		{"bad UTF-8", Input{Rating: 3, Body: "\xff"}, []string{"body"}},
		{"everything wrong", Input{Rating: 9, Title: strings.Repeat("a", 200), Body: strings.Repeat("b", 6000)}, []string{"rating", "title", "body"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			err := s.in.normalize().Validate()
			if len(s.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid {
				t.Fatalf("Validate = %v, want a validation error", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(s.fields, ",") {
				t.Fatalf("fields %v, want %v", got, s.fields)
			}
		})
	}
}

func TestCanModerate(t *testing.T) {
	scenarios := []struct {
		from, to string
		ok       bool
	}{
		{StatusPending, StatusApproved, true},
		{StatusPending, StatusRejected, true},
		{StatusApproved, StatusRejected, true},
		{StatusRejected, StatusApproved, true},
		{StatusApproved, StatusApproved, false},
		{StatusRejected, StatusRejected, false},
		{StatusApproved, StatusPending, false}, // only an author's edit goes back to PENDING
		{StatusRejected, StatusPending, false},
		{StatusPending, StatusPending, false},
		{"", StatusApproved, false},
		{StatusPending, "DELETED", false},
	}
	for _, s := range scenarios {
		if got := CanModerate(s.from, s.to); got != s.ok {
			t.Errorf("CanModerate(%q, %q) = %v, want %v", s.from, s.to, got, s.ok)
		}
	}
}

func TestSummaryMath(t *testing.T) {
	approved := func(rating int) *Review { return &Review{Rating: rating, Status: StatusApproved} }
	pending := func(rating int) *Review { return &Review{Rating: rating, Status: StatusPending} }
	type move struct{ prev, next *Review }
	scenarios := []struct {
		name    string
		moves   []move
		avg     float64
		count   int
		hist    [5]int
		changed bool // whether the last move changed the summary
	}{
		{"empty", nil, 0, 0, [5]int{}, false},
		{"one five", []move{{nil, approved(5)}}, 5, 1, [5]int{0, 0, 0, 0, 1}, true},
		{"pending does not count", []move{{nil, pending(5)}}, 0, 0, [5]int{}, false},
		{"approve a pending one", []move{{pending(4), approved(4)}}, 4, 1, [5]int{0, 0, 0, 1, 0}, true},
		{"4.67 rounds up", []move{{nil, approved(5)}, {nil, approved(5)}, {nil, approved(4)}}, 4.67, 3, [5]int{0, 0, 0, 1, 2}, true},
		{"1.33 rounds down", []move{{nil, approved(1)}, {nil, approved(1)}, {nil, approved(2)}}, 1.33, 3, [5]int{2, 1, 0, 0, 0}, true},
		// 2.125 in exact arithmetic: half up gives 2.13 (a float product would give 2.12).
		{"half up at the third decimal", []move{{nil, approved(1)}, {nil, approved(2)}, {nil, approved(2)}, {nil, approved(2)},
			{nil, approved(2)}, {nil, approved(2)}, {nil, approved(3)}, {nil, approved(3)}}, 2.13, 8, [5]int{1, 5, 2, 0, 0}, true},
		{"remove the last one", []move{{nil, approved(3)}, {approved(3), nil}}, 0, 0, [5]int{}, true},
		{"remove a pending one", []move{{nil, approved(3)}, {pending(5), nil}}, 3, 1, [5]int{0, 0, 1, 0, 0}, false},
		{"edit an approved one back to pending", []move{{nil, approved(2)}, {nil, approved(4)}, {approved(4), pending(1)}}, 2, 1, [5]int{0, 1, 0, 0, 0}, true},
		{"reject an approved one", []move{{nil, approved(5)}, {nil, approved(1)}, {approved(5), &Review{Rating: 5, Status: StatusRejected}}}, 1, 1, [5]int{1, 0, 0, 0, 0}, true},
		{"approved rating changes in place", []move{{nil, approved(2)}, {approved(2), approved(5)}}, 5, 1, [5]int{0, 0, 0, 0, 1}, true},
		{"never below zero", []move{{approved(4), nil}}, 0, 0, [5]int{}, false},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			var sum Summary
			changed := false
			for _, m := range s.moves {
				changed = sum.Move(m.prev, m.next)
			}
			if sum.Average != s.avg || sum.Count != s.count || sum.Histogram != s.hist {
				t.Fatalf("summary %+v, want average %v count %d histogram %v", sum, s.avg, s.count, s.hist)
			}
			if changed != s.changed {
				t.Fatalf("last move changed = %v, want %v", changed, s.changed)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	scenarios := []struct{ name, want string }{
		{"Ann Lee", "Ann L."},
		{"Ann Marie lee", "Ann L."},
		{"  Ann  ", "Ann"},
		{"", "Customer"},
		{"   ", "Customer"},
		{"Алишер Навоий", "Алишер Н."},
		{"o'g'li Ali", "o'g'li A."},
		{strings.Repeat("x", 60), strings.Repeat("x", 40)},
	}
	for _, s := range scenarios {
		if got := DisplayName(s.name); got != s.want {
			t.Errorf("DisplayName(%q) = %q, want %q", s.name, got, s.want)
		}
	}
}

func TestViewerCanSee(t *testing.T) {
	r := Review{UserID: "u1", Status: StatusPending}
	scenarios := []struct {
		name string
		v    Viewer
		r    Review
		ok   bool
	}{
		{"anonymous, pending", Viewer{}, r, false},
		{"author, pending", Viewer{UserID: "u1"}, r, true},
		{"stranger, pending", Viewer{UserID: "u2"}, r, false},
		{"moderator, pending", Viewer{UserID: "u3", Moderator: true}, r, true},
		{"anonymous, approved", Viewer{}, Review{UserID: "u1", Status: StatusApproved}, true},
	}
	for _, s := range scenarios {
		if got := s.v.CanSee(s.r); got != s.ok {
			t.Errorf("%s: CanSee = %v, want %v", s.name, got, s.ok)
		}
	}
}
