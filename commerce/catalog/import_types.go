package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// ImportItem is one product read from an import file (a Shopify CSV, a JSON catalog): the
// product as a ProductInput, where it came from, and what the reader found wrong with it.
// A product with reader errors is reported and never applied.
type ImportItem struct {
	Line   int    // line of the product's first row or record in the file
	Handle string // the product's slug in the file; Input.Slug holds it too
	Input  ProductInput
	// Category is the product's category as a path of names, root first (Shopify's
	// "Apparel > Clothing > Tops"); the import files the product under it, creating the
	// categories that are missing. Empty means no category.
	Category []string
	// VariantLines is the line of each of Input.Variants, so a problem found later (a SKU
	// taken by a product already stored) is reported on the variant's own row.
	VariantLines []int
	Errors       []ImportError
}

// ImportError is one problem of an import: the file line it was found on, the product
// (handle), the field or column, and what is wrong.
type ImportError struct {
	Line    int    `json:"line,omitempty"`
	Handle  string `json:"handle,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportReader streams the products of an import file. Next returns io.EOF after the last
// one; any other error (the file cannot be read at all) ends the import.
type ImportReader interface {
	Next() (ImportItem, error)
}

// Decimal parse errors.
var (
	errNotDecimal   = errors.New("is not a decimal number")
	errTooPrecise   = errors.New("has too many decimal places")
	errDecimalRange = errors.New("is too large")
)

// ParseDecimal parses a plain decimal number ("19.99", "-3", "0.5", "1,234.50" is refused)
// into an integer scaled by 10^scale, exactly (no floating point: 0.29 is 29 cents, not
// 28.999...). With round, digits beyond scale are rounded half away from zero; without it
// they are an error unless they are zeros. It is how imports turn prices (scale 2) and
// decimal grams (scale 0, rounded) into integers.
func ParseDecimal(s string, scale int, round bool) (int64, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" || hasDot && frac == "" && intPart == "" {
		return 0, errNotDecimal
	}
	const limit = 1 << 62
	var n int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, errNotDecimal
		}
		if n > (limit-9)/10 {
			return 0, errDecimalRange
		}
		n = n*10 + int64(c-'0')
	}
	for i := 0; i < len(frac); i++ {
		if c := frac[i]; c < '0' || c > '9' {
			return 0, errNotDecimal
		}
	}
	for i := 0; i < scale; i++ {
		d := int64(0)
		if i < len(frac) {
			d = int64(frac[i] - '0')
		}
		if n > (limit-9)/10 {
			return 0, errDecimalRange
		}
		n = n*10 + d
	}
	if len(frac) > scale {
		rest := frac[scale:]
		if round {
			if rest[0] >= '5' {
				n++
			}
		} else if strings.Trim(rest, "0") != "" {
			return 0, errTooPrecise
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}

// Error makes an ImportError usable as the error that stops a reader (a file that is not
// a product file at all).
func (e *ImportError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}
