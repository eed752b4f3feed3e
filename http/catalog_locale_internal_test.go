package http

import "testing"

func TestAcceptedLocale(t *testing.T) {
	scenarios := []struct{ header, want string }{
		{"", ""},
		{"de-DE,de;q=0.9", ""},
		{"ru-RU,ru;q=0.9,en;q=0.8", "ru"},
		{"en;q=0.5, uz;q=0.7", "uz"},
		{"fr, EN-gb;q=0.3", "en"},
		{"ru;q=0, en;q=0.1", "en"},
		{"ru;q=bad, uz", "uz"},
		{"*", ""},
	}
	for _, sc := range scenarios {
		if got := acceptedLocale(sc.header); got != sc.want {
			t.Errorf("acceptedLocale(%q) = %q, want %q", sc.header, got, sc.want)
		}
	}
}
