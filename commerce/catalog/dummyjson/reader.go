// Package dummyjson reads the DummyJSON product catalog format (a JSON array of products, or
// the API's {"products": [...]} page) into catalog.ImportItem values for catalog.Service.Import.
// Prices are read from the JSON text as decimals (never through float64), so 0.29 is exactly
// 29 cents. Reviews, rating, discount, dimensions and the policy texts are not imported: the
// catalog's ratings come from its own reviews.
package dummyjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Options tune a Reader.
type Options struct {
	Currency string // of the prices; "" means USD
}

// record is one product of the file (the fields the import uses).
type record struct {
	ID          json.Number `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Category    string      `json:"category"`
	Price       json.Number `json:"price"`
	Stock       *int64      `json:"stock"`
	Tags        []string    `json:"tags"`
	Brand       string      `json:"brand"`
	SKU         string      `json:"sku"`
	Weight      json.Number `json:"weight"`
	Images      []string    `json:"images"`
	Meta        struct {
		Barcode string `json:"barcode"`
	} `json:"meta"`
}

// Reader reads products one at a time from a DummyJSON file.
type Reader struct {
	dec      *json.Decoder
	lines    *lineCounter
	currency string
	started  bool
	handles  map[string]bool
	skus     map[string]int // upper-cased SKU -> line of the product that has it
	n        int
}

// NewReader returns a Reader of the JSON in r.
func NewReader(r io.Reader, opts Options) *Reader {
	lc := &lineCounter{r: bufio.NewReaderSize(r, 64<<10), line: 1}
	dec := json.NewDecoder(lc)
	dec.UseNumber()
	cur := opts.Currency
	if cur == "" {
		cur = "USD"
	}
	return &Reader{dec: dec, lines: lc, currency: cur, handles: map[string]bool{}, skus: map[string]int{}}
}

// lineCounter counts the lines of what the decoder has read, to report a record's line. It
// keeps the bytes after the last offset asked about; offsets are asked in increasing order.
type lineCounter struct {
	r       io.Reader
	line    int    // line at offset from
	from    int64  // offset of pending[0]
	pending []byte // bytes read from offset from on
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.pending = append(l.pending, p[:n]...)
	return n, err
}

// lineAt returns the line of offset off (not before the last offset asked about).
func (l *lineCounter) lineAt(off int64) int {
	i := min(max(off-l.from, 0), int64(len(l.pending)))
	l.line += bytes.Count(l.pending[:i], []byte{'\n'})
	l.pending = append(l.pending[:0], l.pending[i:]...)
	l.from += i
	return l.line
}

func (r *Reader) fatal(format string, args ...any) error {
	return &catalog.ImportError{Line: r.lines.lineAt(r.dec.InputOffset()), Message: fmt.Sprintf(format, args...)}
}

// start positions the decoder inside the product array.
func (r *Reader) start() error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.fatal("not a JSON product catalog: %v", err)
	}
	switch tok {
	case json.Delim('['):
		return nil
	case json.Delim('{'):
		// The API's page: {"products": [...], "total": ...}.
		for r.dec.More() {
			key, err := r.dec.Token()
			if err != nil {
				return r.fatal("not a JSON product catalog: %v", err)
			}
			if key == "products" {
				if tok, err := r.dec.Token(); err != nil || tok != json.Delim('[') {
					return r.fatal(`"products" is not an array`)
				}
				return nil
			}
			var skip json.RawMessage
			if err := r.dec.Decode(&skip); err != nil {
				return r.fatal("not a JSON product catalog: %v", err)
			}
		}
		return r.fatal(`no "products" array`)
	}
	return r.fatal("not a JSON product catalog: it must be an array of products")
}

// Next returns the next product, io.EOF after the last one. Broken JSON is a fatal
// *catalog.ImportError with its line: nothing after it can be read.
func (r *Reader) Next() (catalog.ImportItem, error) {
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			return catalog.ImportItem{}, err
		}
	}
	if !r.dec.More() {
		return catalog.ImportItem{}, io.EOF
	}
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		return catalog.ImportItem{}, r.fatal("broken JSON: %v", err)
	}
	line := r.lines.lineAt(r.dec.InputOffset() - int64(len(raw)))
	r.n++
	return r.item(raw, line), nil
}

func (r *Reader) item(raw json.RawMessage, line int) catalog.ImportItem {
	it := catalog.ImportItem{Line: line}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		var te *json.UnmarshalTypeError
		field := ""
		if errors.As(err, &te) {
			field = te.Field
		}
		it.Errors = append(it.Errors, catalog.ImportError{Line: line, Field: field, Message: fmt.Sprintf("product %d: %v", r.n, err)})
		return it
	}
	add := func(field, msg string) {
		it.Errors = append(it.Errors, catalog.ImportError{Line: line, Handle: it.Handle, Field: field, Message: msg})
	}
	// The handle is the title's slug; a second product with the same title (the catalog
	// has two "Rolex Cellini Moonphase") gets its file ID appended.
	h := catalog.Slugify(rec.Title)
	if h == "" {
		h = "product"
	}
	if r.handles[h] {
		h = catalog.Slugify(h + "-" + rec.ID.String())
	}
	r.handles[h] = true
	it.Handle = h
	in := &it.Input
	in.Slug, in.Title, in.Description, in.Brand, in.Status = h, strings.TrimSpace(rec.Title), strings.TrimSpace(rec.Description), strings.TrimSpace(rec.Brand), catalog.StatusActive
	for _, t := range rec.Tags {
		if t = strings.TrimSpace(t); t != "" && !containsFold(in.Tags, t) {
			in.Tags = append(in.Tags, t)
		}
	}
	if c := strings.TrimSpace(rec.Category); c != "" {
		it.Category = []string{categoryName(c)}
	}
	v := catalog.VariantInput{SKU: strings.TrimSpace(rec.SKU), Stock: rec.Stock, Barcode: strings.TrimSpace(rec.Meta.Barcode)}
	if v.SKU == "" {
		add("sku", "is required")
	} else if line0, dup := r.skus[strings.ToUpper(v.SKU)]; dup {
		add("sku", fmt.Sprintf("SKU %q is already used by the product at line %d", v.SKU, line0))
	} else {
		r.skus[strings.ToUpper(v.SKU)] = line
	}
	if n, err := catalog.ParseDecimal(rec.Price.String(), 2, false); err != nil {
		add("price", fmt.Sprintf("%q %v", rec.Price.String(), err))
	} else {
		v.Price = commerce.Money{Amount: n, Currency: r.currency}
	}
	if rec.Weight != "" {
		// The unit is not stated; the figure is taken as grams.
		if n, err := catalog.ParseDecimal(rec.Weight.String(), 0, true); err != nil {
			add("weight", fmt.Sprintf("%q %v", rec.Weight.String(), err))
		} else {
			v.WeightGrams = n
		}
	}
	in.Variants = []catalog.VariantInput{v}
	it.VariantLines = []int{line}
	for i, src := range rec.Images {
		u, err := url.Parse(src)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(fmt.Sprintf("images[%d]", i), fmt.Sprintf("%q is not an http(s) URL", src))
			continue
		}
		in.Images = append(in.Images, catalog.ImageInput{Source: src, Position: i + 1, Alt: in.Title})
	}
	return it
}

// categoryName turns a category slug ("kitchen-accessories") into a name ("Kitchen
// Accessories"), whose own slug is the same again.
func categoryName(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
