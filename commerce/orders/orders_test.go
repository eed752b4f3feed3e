package orders

import "testing"

func TestTransitions(t *testing.T) {
	legal := map[string]bool{
		"PENDING>CONFIRMED": true, "CONFIRMED>PROCESSING": true, "PROCESSING>SHIPPED": true, "SHIPPED>DELIVERED": true,
		"PENDING>CANCELLED": true, "CONFIRMED>CANCELLED": true, "PROCESSING>CANCELLED": true, "DELIVERED>RETURNED": true,
	}
	for _, from := range Statuses {
		for _, to := range append(Statuses, "", "pending", "LOST") {
			if got := CanTransition(from, to); got != legal[from+">"+to] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	for _, s := range []string{StatusReturned, StatusCancelled} {
		if n := NextStatuses(s); n == nil || len(n) != 0 {
			t.Errorf("NextStatuses(%s) = %#v, want an empty list", s, n)
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
