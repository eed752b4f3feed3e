package catalog

import "slices"

// ValidLocale reports whether products may be translated into locale (one of Locales).
func ValidLocale(locale string) bool { return slices.Contains(Locales, locale) }

// Localize returns p with its title, description, SEO title and SEO description taken from
// its translation into locale, field by field: a field the translation leaves empty keeps
// the product's own text. Without a translation into locale, p is returned as it is. The
// Translations map is kept; callers that show one locale may drop it.
func Localize(p Product, locale string) Product {
	t, ok := p.Translations[locale]
	if !ok {
		return p
	}
	if t.Title != "" {
		p.Title = t.Title
	}
	if t.Description != "" {
		p.Description = t.Description
	}
	if t.SEOTitle != "" {
		p.SEO.Title = t.SEOTitle
	}
	if t.SEODescription != "" {
		p.SEO.Description = t.SEODescription
	}
	return p
}
