package shopify

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Header is the classic Shopify header set the Writer exports, in the legacy template's order.
var Header = []string{
	"Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
	"Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
	"Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
	"Variant Fulfillment Service", "Variant Price", "Variant Compare At Price", "Variant Requires Shipping",
	"Variant Taxable", "Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "Gift Card",
	"SEO Title", "SEO Description", "Variant Image", "Variant Weight Unit", "Status", BrandColumn,
}

// Writer exports products as a Shopify product CSV (classic header set), one row per variant
// and one more per image beyond the variants, so that reading the file back gives the same
// products.
type Writer struct {
	csv    *csv.Writer
	base   string
	header bool
	col    map[string]int
	row    []string
}

// NewWriter returns a Writer to w. baseURL (e.g. "https://shop.example") is put in front
// of image URLs that are paths on this server (uploaded images); "" leaves them as they are.
func NewWriter(w io.Writer, baseURL string) *Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // as Shopify writes them
	col := make(map[string]int, len(Header))
	for i, h := range Header {
		col[h] = i
	}
	return &Writer{csv: cw, base: strings.TrimRight(baseURL, "/"), col: col, row: make([]string, len(Header))}
}

func (w *Writer) set(name, v string) { w.row[w.col[name]] = v }

func (w *Writer) flushRow() error {
	err := w.csv.Write(w.row)
	clear(w.row)
	return err
}

// Write writes one product; category is its category's name path, root first.
func (w *Writer) Write(p catalog.Product, category []string) error {
	if !w.header {
		w.header = true
		if err := w.csv.Write(Header); err != nil {
			return err
		}
	}
	images := slices.Clone(p.Images)
	slices.SortStableFunc(images, func(a, b catalog.Image) int { return a.Position - b.Position })
	imageOf := func(variantID string) string {
		for _, im := range images {
			if slices.Contains(im.VariantIDs, variantID) {
				return w.url(im)
			}
		}
		return ""
	}
	options := p.Options
	rows := max(len(p.Variants), len(images), 1)
	for i := 0; i < rows; i++ {
		w.set("Handle", p.Slug)
		if i == 0 {
			w.set("Title", p.Title)
			w.set("Body (HTML)", p.Description)
			w.set("Vendor", p.Vendor)
			w.set("Product Category", strings.Join(category, " > "))
			w.set("Type", p.Attributes[AttrType])
			w.set("Tags", strings.Join(p.Tags, ", "))
			w.set("Published", boolText(p.Status == catalog.StatusActive))
			w.set("Gift Card", "FALSE")
			w.set("SEO Title", p.SEO.Title)
			w.set("SEO Description", p.SEO.Description)
			w.set("Status", p.Status)
			w.set(BrandColumn, p.Brand)
			if len(options) == 0 {
				w.set("Option1 Name", "Title")
			}
			for n, o := range options {
				w.set("Option"+strconv.Itoa(n+1)+" Name", o.Name)
			}
		}
		if i < len(p.Variants) {
			v := p.Variants[i]
			if len(options) == 0 {
				w.set("Option1 Value", "Default Title")
			}
			for n, o := range options {
				w.set("Option"+strconv.Itoa(n+1)+" Value", v.Options[o.Name])
			}
			w.set("Variant SKU", v.SKU)
			w.set("Variant Grams", strconv.FormatInt(v.WeightGrams, 10))
			w.set("Variant Inventory Tracker", "shopify")
			w.set("Variant Inventory Qty", strconv.FormatInt(v.Stock, 10))
			w.set("Variant Inventory Policy", "deny")
			w.set("Variant Fulfillment Service", "manual")
			w.set("Variant Price", amountText(v.Price))
			if v.CompareAtPrice != nil {
				w.set("Variant Compare At Price", amountText(*v.CompareAtPrice))
			}
			w.set("Variant Requires Shipping", "TRUE")
			w.set("Variant Taxable", "TRUE")
			w.set("Variant Barcode", v.Barcode)
			w.set("Variant Image", imageOf(v.ID))
			w.set("Variant Weight Unit", "g")
		}
		if i < len(images) {
			w.set("Image Src", w.url(images[i]))
			w.set("Image Position", strconv.Itoa(i+1))
			w.set("Image Alt Text", images[i].Alt)
		}
		if err := w.flushRow(); err != nil {
			return err
		}
	}
	return nil
}

// url is where an exported image can be fetched from: its source, or the served URL.
func (w *Writer) url(im catalog.Image) string {
	if im.Source != "" {
		return im.Source
	}
	if strings.HasPrefix(im.URL, "/") {
		return w.base + im.URL
	}
	return im.URL
}

// Flush writes buffered rows out (the header alone when no product was written) and
// returns the first write error.
func (w *Writer) Flush() error {
	if !w.header {
		w.header = true
		if err := w.csv.Write(Header); err != nil {
			return err
		}
	}
	w.csv.Flush()
	return w.csv.Error()
}

func boolText(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// amountText writes minor units as a decimal with two places ("25.00").
func amountText(m commerce.Money) string {
	a := m.Amount
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return sign + strconv.FormatInt(a/100, 10) + "." + string([]byte{byte('0' + a%100/10), byte('0' + a%10)})
}
