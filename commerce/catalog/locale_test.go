package catalog

import "testing"

func TestLocalize(t *testing.T) {
	p := Product{Title: "Tee", Description: "Soft.", SEO: SEO{Title: "Tee | Shop", Description: "A tee."},
		Translations: map[string]Translation{"ru": {Title: "Футболка", SEODescription: "Футболка."}, "uz": {Description: "Yumshoq.", SEOTitle: "Futbolka"}}}
	scenarios := []struct {
		locale                  string
		title, desc, seoT, seoD string
	}{
		{"", "Tee", "Soft.", "Tee | Shop", "A tee."},
		{"en", "Tee", "Soft.", "Tee | Shop", "A tee."}, // no translation: the product's own text
		{"ru", "Футболка", "Soft.", "Tee | Shop", "Футболка."},
		{"uz", "Tee", "Yumshoq.", "Futbolka", "A tee."},
	}
	for _, sc := range scenarios {
		got := Localize(p, sc.locale)
		if got.Title != sc.title || got.Description != sc.desc || got.SEO.Title != sc.seoT || got.SEO.Description != sc.seoD {
			t.Errorf("%q: %q %q %+v", sc.locale, got.Title, got.Description, got.SEO)
		}
		if len(got.Translations) != 2 {
			t.Errorf("%q: translations dropped", sc.locale)
		}
	}
	if p.Title != "Tee" {
		t.Error("Localize changed its argument")
	}
}

func TestTreeOrder(t *testing.T) {
	cs := []Category{
		{ID: "5", Name: "Green", ParentID: "3"},
		{ID: "1", Name: "Drinks", Position: 1},
		{ID: "2", Name: "Food", Position: 0},
		{ID: "3", Name: "Tea", ParentID: "1", Position: 1},
		{ID: "4", Name: "Coffee", ParentID: "1", Position: 1},
		{ID: "6", Name: "Orphan", ParentID: "gone"},
	}
	var got []string
	for _, c := range TreeOrder(cs) {
		got = append(got, c.Name)
	}
	want := []string{"Food", "Orphan", "Drinks", "Coffee", "Tea", "Green"}
	if len(got) != len(want) {
		t.Fatalf("tree %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tree %q, want %q", got, want)
		}
	}
}
