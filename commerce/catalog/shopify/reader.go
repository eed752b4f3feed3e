// Package shopify reads and writes Shopify product CSV files: both header sets (the classic
// `Handle`, `Body (HTML)`, `Variant SKU`… and the 2024 `URL handle`, `Description`, `SKU`…),
// columns mapped by name, rows sharing a handle grouped into one product. The Reader turns
// a file into catalog.ImportItem values with every row problem and its line number; the
// Writer exports products in the classic header set. Applying an import is the catalog
// service's job (catalog.Service.Import).
package shopify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Column keys: every header this package reads, by its classic name. aliases maps a
// header, lower-cased, to its key (both header sets).
const (
	colHandle = iota
	colTitle
	colBody
	colVendor
	colCategory
	colType
	colTags
	colPublished
	colOpt1Name
	colOpt1Value
	colOpt2Name
	colOpt2Value
	colOpt3Name
	colOpt3Value
	colSKU
	colGrams
	colQty
	colPrice
	colCompareAt
	colBarcode
	colImageSrc
	colImagePosition
	colImageAlt
	colSEOTitle
	colSEODescription
	colVariantImage
	colStatus
	colBrand
	numCols
)

// colNames are the classic names of the columns, for error messages.
var colNames = [numCols]string{
	"Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
	"Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
	"Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price", "Variant Compare At Price",
	"Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "SEO Title", "SEO Description",
	"Variant Image", "Status", BrandColumn,
}

// BrandColumn holds a product's brand, which Shopify has no column for: a product metafield
// column, so Shopify keeps it as such on its side.
const BrandColumn = "Brand (product.metafields.custom.brand)"

var aliases = func() map[string]int {
	m := map[string]int{
		// The 2024 header set.
		"url handle":                 colHandle,
		"description":                colBody,
		"published on online store":  colPublished,
		"sku":                        colSKU,
		"weight value (grams)":       colGrams,
		"inventory quantity":         colQty,
		"price":                      colPrice,
		"compare-at price":           colCompareAt,
		"barcode":                    colBarcode,
		"product image url":          colImageSrc,
		"variant image url":          colVariantImage,
		"product category":           colCategory,
		"option1 name":               colOpt1Name,
		"option1 value":              colOpt1Value,
		"option2 name":               colOpt2Name,
		"option2 value":              colOpt2Value,
		"option3 name":               colOpt3Name,
		"option3 value":              colOpt3Value,
		"variant inventory quantity": colQty,
	}
	for i, n := range colNames {
		m[strings.ToLower(n)] = i
	}
	return m
}()

// Options tune a Reader.
type Options struct {
	// Currency of the prices in the file (a CSV does not say); "" means USD.
	Currency string
}

// Reader reads the products of a Shopify product CSV one at a time.
type Reader struct {
	csv      *csv.Reader
	currency string
	cols     [numCols]int // field index of each column, -1 when absent
	extraOpt int          // field index of an "Option4 Name/Value" column, -1 when none
	started  bool
	fatal    error

	cur     *group
	pending []catalog.ImportItem // finished products (and unreadable rows) waiting to be returned
	seen    map[string]int       // handle -> line of its first row
	skus    map[string]string    // upper-cased SKU -> handle of the product that has it
	eof     bool
}

// group is the product being assembled from its rows.
type group struct {
	item      catalog.ImportItem
	names     []string // option names from the first row
	noOptions bool     // Option1 Name "Title" with "Default Title": a product without options
	values    []map[string]bool
	varImages []varImage // Variant Image of each variant row, attached when the product ends
	failed    bool
}

type varImage struct {
	url, sku string
	line     int
}

// NewReader returns a Reader of the CSV in r (UTF-8; a UTF-8 byte-order mark is skipped).
func NewReader(r io.Reader, opts Options) *Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	rd := &Reader{currency: opts.Currency, seen: map[string]int{}, skus: map[string]string{}, extraOpt: -1}
	if rd.currency == "" {
		rd.currency = "USD"
	}
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	} else if len(bom) >= 2 && (bom[0] == 0xFF && bom[1] == 0xFE || bom[0] == 0xFE && bom[1] == 0xFF) {
		rd.fatal = &catalog.ImportError{Line: 1, Message: "the file is UTF-16: save it as UTF-8 CSV"}
	}
	rd.csv = csv.NewReader(br)
	rd.csv.FieldsPerRecord = -1 // short rows are read with their missing cells empty
	rd.csv.ReuseRecord = true
	for i := range rd.cols {
		rd.cols[i] = -1
	}
	return rd
}

func fatalf(line int, format string, args ...any) error {
	return &catalog.ImportError{Line: line, Message: fmt.Sprintf(format, args...)}
}

// readHeader maps the header row's columns by name.
func (r *Reader) readHeader() error {
	rec, err := r.csv.Read()
	if err == io.EOF {
		return fatalf(1, "the file is empty: no header row")
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fatalf(pe.Line, "header row: %v", pe.Err)
		}
		return err
	}
	for i, h := range rec {
		if !utf8.ValidString(h) {
			return fatalf(1, "the header is not valid UTF-8 (%s): save the file as UTF-8", encodingGuess(h))
		}
		name := strings.ToLower(strings.TrimSpace(h))
		if k, ok := aliases[name]; ok && r.cols[k] < 0 {
			r.cols[k] = i
		} else if strings.HasPrefix(name, "option") && len(name) > 7 && name[6] > '3' && name[6] <= '9' && (strings.HasSuffix(name, " name") || strings.HasSuffix(name, " value")) {
			if r.extraOpt < 0 {
				r.extraOpt = i
			}
		}
	}
	if r.cols[colHandle] < 0 && r.cols[colTitle] < 0 {
		return fatalf(1, "not a Shopify product CSV: no Handle, URL handle or Title column")
	}
	return nil
}

// Next returns the next product, io.EOF after the last one. A returned error other than
// io.EOF is fatal: a *catalog.ImportError with its line for a file that is not a readable
// product CSV (no header, UTF-16), else the underlying read error.
func (r *Reader) Next() (catalog.ImportItem, error) {
	if r.fatal != nil {
		return catalog.ImportItem{}, r.fatal
	}
	if !r.started {
		r.started = true
		if err := r.readHeader(); err != nil {
			r.fatal = err
			return catalog.ImportItem{}, err
		}
	}
	for {
		if len(r.pending) > 0 {
			it := r.pending[0]
			r.pending = r.pending[1:]
			return it, nil
		}
		if r.eof {
			return catalog.ImportItem{}, io.EOF
		}
		rec, err := r.csv.Read()
		if err == io.EOF {
			r.eof = true
			r.flush()
			continue
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return catalog.ImportItem{}, err
			}
			// The row cannot be read, so which product it belongs to is unknown: the
			// product being read is failed (never half a product) and the row reported.
			line := pe.StartLine
			msg := fmt.Sprintf("the row cannot be read (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)
			if r.cur != nil {
				r.cur.addErr(line, "", msg+"; this product is not imported")
				r.cur.failed = true
			} else {
				r.pending = append(r.pending, catalog.ImportItem{Line: line, Errors: []catalog.ImportError{{Line: line, Message: msg}}})
			}
			continue
		}
		line, _ := r.csv.FieldPos(0)
		r.row(rec, line)
	}
}

func (r *Reader) cell(rec []string, col int) string {
	i := r.cols[col]
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// row adds one CSV row to the product being read, starting a new one on a new handle.
func (r *Reader) row(rec []string, line int) {
	badUTF8 := ""
	for i, f := range rec {
		if !utf8.ValidString(f) {
			badUTF8 = fmt.Sprintf("column %d is not valid UTF-8 (%s): save the file as UTF-8", i+1, encodingGuess(f))
			break
		}
	}
	handle := r.cell(rec, colHandle)
	title := r.cell(rec, colTitle)
	if handle == "" && title != "" && badUTF8 == "" {
		handle = catalog.Slugify(title)
	}
	if handle == "" {
		if blank(rec) {
			return // an empty line
		}
		msg := "the row has no Handle (or URL handle) and no Title"
		if badUTF8 != "" {
			msg = badUTF8
		}
		r.flush()
		r.pending = append(r.pending, catalog.ImportItem{Line: line, Errors: []catalog.ImportError{{Line: line, Field: colNames[colHandle], Message: msg}}})
		return
	}
	if r.cur == nil || r.cur.item.Handle != handle {
		if first, ok := r.seen[handle]; ok {
			// Rows of one product must be contiguous: this one cannot be joined to a product
			// that was already handed on.
			r.flush()
			r.pending = append(r.pending, catalog.ImportItem{Line: line, Handle: handle, Errors: []catalog.ImportError{{Line: line, Handle: handle, Field: colNames[colHandle],
				Message: fmt.Sprintf("handle %q first appeared at line %d: the rows of a product must be next to each other", handle, first)}}})
			return
		}
		r.flush()
		r.seen[handle] = line
		r.cur = r.start(rec, line, handle)
	}
	g := r.cur
	if badUTF8 != "" {
		g.addErr(line, "", badUTF8)
		return
	}
	r.addRow(g, rec, line)
}

// start begins a product from its first row: the product-level columns.
func (r *Reader) start(rec []string, line int, handle string) *group {
	g := &group{}
	in := &g.item.Input
	g.item.Line, g.item.Handle = line, handle
	in.Slug = handle
	in.Title = r.cell(rec, colTitle)
	if i := r.cols[colBody]; i >= 0 && i < len(rec) {
		in.Description = strings.TrimSpace(rec[i])
	}
	in.Vendor = r.cell(rec, colVendor)
	in.Brand = r.cell(rec, colBrand)
	if t := r.cell(rec, colType); t != "" {
		in.Attributes = map[string]string{AttrType: t}
	}
	for _, t := range strings.Split(r.cell(rec, colTags), ",") {
		if t = strings.TrimSpace(t); t != "" && !containsFold(in.Tags, t) {
			in.Tags = append(in.Tags, t)
		}
	}
	for _, c := range strings.Split(r.cell(rec, colCategory), ">") {
		if c = strings.TrimSpace(c); c != "" {
			g.item.Category = append(g.item.Category, c)
		}
	}
	in.SEO = catalog.SEO{Title: r.cell(rec, colSEOTitle), Description: r.cell(rec, colSEODescription)}

	published := true
	if s := r.cell(rec, colPublished); s != "" {
		b, ok := parseBool(s)
		if !ok {
			g.addErr(line, colNames[colPublished], fmt.Sprintf("%q is not TRUE or FALSE", s))
		}
		published = b
	}
	switch s := strings.ToLower(r.cell(rec, colStatus)); s {
	case "":
		in.Status = catalog.StatusActive
	case catalog.StatusActive, catalog.StatusDraft, catalog.StatusArchived:
		in.Status = s
	default:
		g.addErr(line, colNames[colStatus], fmt.Sprintf("%q is not active, draft or archived", r.cell(rec, colStatus)))
	}
	if !published && in.Status == catalog.StatusActive {
		in.Status = catalog.StatusDraft // not on the online store: shoppers must not see it
	}

	for n := 0; n < 3; n++ {
		name := r.cell(rec, colOpt1Name+2*n)
		if name == "" {
			continue
		}
		if n == 0 && strings.EqualFold(name, "Title") && strings.EqualFold(r.cell(rec, colOpt1Value), "Default Title") {
			g.noOptions = true
			break
		}
		if len(g.names) != n {
			g.addErr(line, colNames[colOpt1Name+2*n], fmt.Sprintf("is set but Option%d Name is empty", len(g.names)+1))
			continue
		}
		g.names = append(g.names, name)
		g.values = append(g.values, map[string]bool{})
		in.Options = append(in.Options, catalog.Option{Name: name})
	}
	return g
}

// AttrType is the attribute that holds a Shopify product's Type.
const AttrType = "type"

// addRow adds the variant and/or image of one row to g.
func (r *Reader) addRow(g *group, rec []string, line int) {
	if r.extraOpt >= 0 && r.extraOpt < len(rec) && strings.TrimSpace(rec[r.extraOpt]) != "" {
		g.addErr(line, "", fmt.Sprintf("too many options: a product has at most %d (Option1..Option3)", catalog.MaxOptions))
	}
	var vals [3]string
	anyValue := false
	for n := 0; n < 3; n++ {
		vals[n] = r.cell(rec, colOpt1Value+2*n)
		if vals[n] != "" {
			anyValue = true
		}
		if name := r.cell(rec, colOpt1Name+2*n); name != "" && line != g.item.Line && n < len(g.names) && name != g.names[n] {
			g.addErr(line, colNames[colOpt1Name+2*n], fmt.Sprintf("%q differs from the product's first row (%q)", name, g.names[n]))
		}
	}
	sku, price := r.cell(rec, colSKU), r.cell(rec, colPrice)
	src := r.cell(rec, colImageSrc)
	if anyValue || sku != "" || price != "" {
		r.addVariant(g, rec, line, vals, sku, price)
	}
	if src != "" {
		r.addImage(g, line, src, r.cell(rec, colImagePosition), r.cell(rec, colImageAlt), colNames[colImageSrc])
	}
}

func (r *Reader) addVariant(g *group, rec []string, line int, vals [3]string, sku, price string) {
	in := &g.item.Input
	v := catalog.VariantInput{SKU: sku, Barcode: r.cell(rec, colBarcode)}
	if !g.noOptions {
		for n, name := range g.names {
			if v.Options == nil {
				v.Options = make(map[string]string, len(g.names))
			}
			v.Options[name] = vals[n]
			if vals[n] != "" && !g.values[n][vals[n]] {
				g.values[n][vals[n]] = true
				in.Options[n].Values = append(in.Options[n].Values, vals[n])
			}
		}
		for n := len(g.names); n < 3; n++ {
			if vals[n] != "" {
				g.addErr(line, colNames[colOpt1Value+2*n], fmt.Sprintf("is set but the product has no Option%d Name", n+1))
			}
		}
	} else if line != g.item.Line && (vals[0] != "" && !strings.EqualFold(vals[0], "Default Title") || vals[1] != "" || vals[2] != "") {
		g.addErr(line, colNames[colOpt1Value], "a product with the Default Title option has a single variant")
	}
	if v.SKU == "" {
		// Shopify allows variants without SKU; the catalog needs one to upsert by, so the
		// variant gets a stable one made of the handle and its position.
		suffix := "-" + strconv.Itoa(len(in.Variants)+1)
		h := g.item.Handle
		if len(h)+len(suffix) > catalog.MaxSKULen {
			h = h[:catalog.MaxSKULen-len(suffix)]
		}
		v.SKU = h + suffix
	}
	key := strings.ToUpper(v.SKU)
	if other, dup := r.skus[key]; dup && other != g.item.Handle {
		g.addErr(line, colNames[colSKU], fmt.Sprintf("SKU %q is already used by product %q in this file", v.SKU, other))
	} else {
		r.skus[key] = g.item.Handle
	}
	if price == "" {
		g.addErr(line, colNames[colPrice], "is required for a variant")
	} else if n, err := catalog.ParseDecimal(price, 2, false); err != nil {
		g.addErr(line, colNames[colPrice], fmt.Sprintf("%q %v", price, err))
	} else {
		v.Price = commerce.Money{Amount: n, Currency: r.currency}
	}
	if s := r.cell(rec, colCompareAt); s != "" {
		if n, err := catalog.ParseDecimal(s, 2, false); err != nil {
			g.addErr(line, colNames[colCompareAt], fmt.Sprintf("%q %v", s, err))
		} else {
			// Kept even when not above the price (Shopify's own template has one): the
			// catalog shows no sale then (catalog.OnSaleOf).
			v.CompareAtPrice = &commerce.Money{Amount: n, Currency: r.currency}
		}
	}
	if s := r.cell(rec, colGrams); s != "" {
		if n, err := catalog.ParseDecimal(s, 0, true); err != nil {
			g.addErr(line, colNames[colGrams], fmt.Sprintf("%q %v", s, err))
		} else {
			v.WeightGrams = n
		}
	}
	if s := r.cell(rec, colQty); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil {
			g.addErr(line, colNames[colQty], fmt.Sprintf("%q is not a whole number", s))
		} else {
			v.Stock = &n
		}
	}
	if u := r.cell(rec, colVariantImage); u != "" {
		if checkURL(u) {
			g.varImages = append(g.varImages, varImage{url: u, sku: v.SKU, line: line})
		} else {
			g.addErr(line, colNames[colVariantImage], fmt.Sprintf("%q is not an http(s) URL", u))
		}
	}
	in.Variants = append(in.Variants, v)
	g.item.VariantLines = append(g.item.VariantLines, line)
}

func (r *Reader) addImage(g *group, line int, src, pos, alt, col string) {
	in := &g.item.Input
	if !checkURL(src) {
		g.addErr(line, col, fmt.Sprintf("%q is not an http(s) URL", src))
		return
	}
	for _, im := range in.Images {
		if im.Source == src {
			return // the same picture listed again
		}
	}
	img := catalog.ImageInput{Source: src, Alt: alt, Position: len(in.Images) + 1}
	if pos != "" {
		if n, err := strconv.Atoi(pos); err != nil || n < 1 {
			g.addErr(line, colNames[colImagePosition], fmt.Sprintf("%q is not a position (1, 2, …)", pos))
		} else {
			img.Position = n
		}
	}
	in.Images = append(in.Images, img)
}

// flush finishes the product being read: its variant images, then hands it on.
func (r *Reader) flush() {
	g := r.cur
	if g == nil {
		return
	}
	r.cur = nil
	in := &g.item.Input
	for _, vi := range g.varImages {
		found := -1
		for i, im := range in.Images {
			if im.Source == vi.url {
				found = i
				break
			}
		}
		if found < 0 {
			in.Images = append(in.Images, catalog.ImageInput{Source: vi.url, Position: len(in.Images) + 1})
			found = len(in.Images) - 1
		}
		if !containsFold(in.Images[found].VariantSKUs, vi.sku) {
			in.Images[found].VariantSKUs = append(in.Images[found].VariantSKUs, vi.sku)
		}
	}
	if len(in.Options) == 0 {
		in.Options = nil
	}
	r.pending = append(r.pending, g.item)
}

func (g *group) addErr(line int, field, msg string) {
	g.item.Errors = append(g.item.Errors, catalog.ImportError{Line: line, Handle: g.item.Handle, Field: field, Message: msg})
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// parseBool reads TRUE/FALSE in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// checkURL reports whether s is an absolute http or https URL with a host.
func checkURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// encodingGuess names the likely encoding of text that is not UTF-8.
func encodingGuess(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 && c <= 0x9F {
			return "it looks like Windows-1252"
		}
	}
	return "it looks like Windows-1252 or ISO-8859-1"
}
