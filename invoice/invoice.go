// Package invoice renders an order's invoice as a PDF (github.com/go-pdf/fpdf): seller,
// buyer, lines with unit price, discount and tax, shipping, totals, the invoice number and
// date. Numbering is commerce/orders' (gap-free per year); this package only draws.
//
// Text uses the PDF core fonts (no font files to ship), so characters outside Windows-1252
// print as "?"; streams are left uncompressed, which keeps an invoice of a few lines small
// and its text greppable.
package invoice

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// Seller is who issues the invoice.
type Seller struct {
	Name    string
	Address []string // lines under the name (address, tax ID, web site)
}

// Render writes order o's invoice, issued by seller, to w. The order must have an invoice.
func Render(w io.Writer, seller Seller, o orders.Order) error {
	if o.Invoice == nil {
		return fmt.Errorf("invoice: order %s has no invoice", o.ID)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCreationDate(o.Invoice.IssuedAt)
	pdf.SetModificationDate(o.Invoice.IssuedAt)
	pdf.SetTitle("Invoice "+o.Invoice.Number, false)
	pdf.SetAuthor(seller.Name, false)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 10, tr("Invoice "+o.Invoice.Number), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, tr(fmt.Sprintf("Date: %s    Order: #%d", o.Invoice.IssuedAt.UTC().Format(time.DateOnly), o.Number)), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	// Seller and buyer side by side.
	y := pdf.GetY()
	block := func(x float64, title string, lines []string) float64 {
		pdf.SetXY(x, y)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(90, 5, tr(title), "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				pdf.CellFormat(90, 5, tr(l), "", 2, "L", false, 0, "")
			}
		}
		return pdf.GetY()
	}
	a := o.ShippingAddress
	buyer := []string{a.Name, o.Email, a.Line1, a.Line2, strings.TrimSpace(strings.Join([]string{a.PostalCode, a.City, a.Region}, " ")), a.Country, a.Phone}
	y1 := block(10, "Seller", append([]string{seller.Name}, seller.Address...))
	y2 := block(110, "Bill to", buyer)
	pdf.SetXY(10, max(y1, y2)+6)

	// Lines.
	widths := []float64{70, 14, 26, 26, 26, 28}
	head := []string{"Item", "Qty", "Unit price", "Discount", "Tax", "Amount"}
	pdf.SetFont("Helvetica", "B", 9)
	for i, h := range head {
		align := "R"
		if i == 0 {
			align = "L"
		}
		pdf.CellFormat(widths[i], 7, h, "B", 0, align, false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range o.Lines {
		title := l.Title
		if l.SKU != "" {
			title += " (" + l.SKU + ")"
		}
		if len(title) > 48 {
			title = title[:45] + "..."
		}
		amount, _ := l.LineTotal.Sub(l.Discount)
		cells := []string{title, fmt.Sprint(l.Quantity), money(l.UnitPrice), money(l.Discount), money(l.Tax), money(amount)}
		for i, c := range cells {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(widths[i], 6, tr(c), "", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(4)

	// Totals.
	total := func(label, value string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(150, 6, tr(label), "", 0, "R", false, 0, "")
		pdf.CellFormat(40, 6, tr(value), "", 1, "R", false, 0, "")
	}
	total("Subtotal", money(o.Subtotal), false)
	if o.DiscountTotal.Amount != 0 {
		total("Discounts", "-"+money(o.DiscountTotal), false)
	}
	shipping := "Shipping"
	if o.Shipping != nil && o.Shipping.Name != "" {
		shipping += " (" + o.Shipping.Name + ")"
	}
	total(shipping, money(o.ShippingTotal), false)
	for _, t := range o.Taxes {
		label := fmt.Sprintf("%s %d.%02d%%", t.Name, t.RateBP/100, t.RateBP%100)
		if o.TaxInclusive {
			label += " (included)"
		}
		total(label, money(t.Amount), false)
	}
	if len(o.Taxes) == 0 && o.TaxTotal.Amount != 0 {
		total("Tax", money(o.TaxTotal), false)
	}
	total("Total", money(o.Total), true)
	if o.PaymentStatus != "" {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(0, 5, tr("Payment: "+o.PaymentMethod+", "+strings.ReplaceAll(o.PaymentStatus, "_", " ")), "", 1, "L", false, 0, "")
	}
	return pdf.Output(w)
}

// Bytes renders the invoice into memory.
func Bytes(seller Seller, o orders.Order) ([]byte, error) {
	var b bytes.Buffer
	if err := Render(&b, seller, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// money prints an amount with two decimals and its currency ("12.50 USD").
func money(m commerce.Money) string { return m.String() }
