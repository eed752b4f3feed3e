package catalog

import (
	"context"
	"strings"
	"unicode"
)

// MaxSlugLen is the longest slug, in bytes (slugs are ASCII).
const MaxSlugLen = 100

// reservedSlugs are path segments the API uses after /products/ or /categories/: a product
// with such a slug could never be fetched by it.
var reservedSlugs = map[string]bool{"search": true, "featured": true, "trending": true}

// Slugify turns a title into a slug: lower-case ASCII letters and digits separated by single
// hyphens. Latin letters with diacritics and Cyrillic (Russian and Uzbek) are transliterated;
// other characters separate words. The result is at most MaxSlugLen bytes, cut at a hyphen
// when possible, and may be empty (a title made only of, say, Chinese characters).
func Slugify(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	word := func(w string) {
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(w)
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			word(string(r))
		case r >= 'A' && r <= 'Z':
			word(string(r + 'a' - 'A'))
		case r == '\'' || r == '’' || r == 'ʻ' || r == 'ʼ':
			// apostrophes join a word ("o'zbek", "children's")
		default:
			if t, ok := translit[r]; ok {
				if t != "" {
					word(t)
				}
				continue
			}
			if lr := unicode.ToLower(r); lr != r {
				if t, ok := translit[lr]; ok && t != "" {
					word(t)
					continue
				}
			}
			dash = true
		}
	}
	out := b.String()
	if len(out) > MaxSlugLen {
		out = out[:MaxSlugLen]
		if i := strings.LastIndexByte(out, '-'); i > MaxSlugLen/2 {
			out = out[:i]
		}
		out = strings.TrimRight(out, "-")
	}
	return out
}

// ValidSlug reports whether s is a well-formed slug: 1 to MaxSlugLen bytes of a-z and 0-9 in
// words joined by single hyphens.
func ValidSlug(s string) bool {
	if s == "" || len(s) > MaxSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// slugCandidate returns the n-th candidate for a slug based on base: base itself, then
// base-2, base-3, ... cut so the result stays within MaxSlugLen.
func slugCandidate(base string, n int) string {
	if n <= 1 {
		return base
	}
	suffix := "-" + itoa(n)
	if len(base)+len(suffix) > MaxSlugLen {
		base = strings.TrimRight(base[:MaxSlugLen-len(suffix)], "-")
	}
	return base + suffix
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(buf[i:])
}

// translit maps lower-case letters to ASCII; "" drops the letter (soft and hard signs).
var translit = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ð': "d", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'þ': "th", 'ÿ': "y", 'ß': "ss",
	'ā': "a", 'ă': "a", 'ą': "a", 'ć': "c", 'ĉ': "c", 'ċ': "c", 'č': "c", 'ď': "d",
	'đ': "d", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e", 'ĝ': "g", 'ğ': "g",
	'ġ': "g", 'ģ': "g", 'ĥ': "h", 'ħ': "h", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i",
	'ı': "i", 'ĳ': "ij", 'ĵ': "j", 'ķ': "k", 'ĺ': "l", 'ļ': "l", 'ľ': "l", 'ŀ': "l",
	'ł': "l", 'ń': "n", 'ņ': "n", 'ň': "n", 'ŋ': "n", 'ō': "o", 'ŏ': "o", 'ő': "o",
	'œ': "oe", 'ŕ': "r", 'ŗ': "r", 'ř': "r", 'ś': "s", 'ŝ': "s", 'ş': "s", 'š': "s",
	'ţ': "t", 'ť': "t", 'ŧ': "t", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u",
	'ų': "u", 'ŵ': "w", 'ŷ': "y", 'ź': "z", 'ż': "z", 'ž': "z", 'ș': "s", 'ț': "t",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu",
	'я': "ya", 'є': "ye", 'і': "i", 'ї': "yi", 'ў': "o", 'қ': "q", 'ғ': "g", 'ҳ': "h",
}

// ProductRedirect returns the product whose slug was ref before a slug change, so that an
// old link can be redirected to the current slug; ErrProductNotFound when ref is no former
// slug, its product is gone, or a shopper may not see it.
func (s *Service) ProductRedirect(ctx context.Context, ref string, staff bool) (Product, error) {
	if !ValidSlug(ref) {
		return Product{}, ErrProductNotFound
	}
	id, err := s.repo.ProductIDByFormerSlug(ctx, ref)
	if err != nil {
		return Product{}, err
	}
	if id == "" {
		return Product{}, ErrProductNotFound
	}
	p, err := s.repo.Product(ctx, id)
	if err != nil {
		return Product{}, err
	}
	if !visible(p, staff) || p.Slug == ref {
		return Product{}, ErrProductNotFound
	}
	return p, nil
}

// CategoryRedirect returns the category whose slug was ref before a slug change;
// ErrCategoryNotFound when there is none.
func (s *Service) CategoryRedirect(ctx context.Context, ref string) (Category, error) {
	if !ValidSlug(ref) {
		return Category{}, ErrCategoryNotFound
	}
	id, err := s.repo.CategoryIDByFormerSlug(ctx, ref)
	if err != nil {
		return Category{}, err
	}
	if id == "" {
		return Category{}, ErrCategoryNotFound
	}
	c, err := s.repo.Category(ctx, id)
	if err != nil {
		return Category{}, err
	}
	if c.Slug == ref {
		return Category{}, ErrCategoryNotFound
	}
	return c, nil
}
