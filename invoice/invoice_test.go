package invoice

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

func TestRender(t *testing.T) {
	usd := func(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }
	o := orders.Order{ID: commerce.NewID(), Number: 42, Email: "ann@example.com",
		Lines:    []orders.Line{{Title: "Green tea", SKU: "TEA-1", Quantity: 2, UnitPrice: usd(1000), LineTotal: usd(2000), Discount: usd(200), Tax: usd(216)}},
		Subtotal: usd(2000), DiscountTotal: usd(200), ShippingTotal: usd(500), Shipping: &orders.Shipping{Name: "Courier"},
		Taxes: []orders.Tax{{Name: "VAT", RateBP: 1200, Amount: usd(216)}}, TaxTotal: usd(216), Total: usd(2516),
		ShippingAddress: orders.Address{Name: "Ann Lee", Line1: "1 Main St", City: "Tashkent", Country: "UZ"},
		PaymentMethod:   "cash", PaymentStatus: orders.PaymentPaid,
		Invoice: &orders.Invoice{Number: "INV-2026-000017", Year: 2026, Seq: 17, IssuedAt: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)}}
	b, err := Bytes(Seller{Name: "UltraMarket Shop", Address: []string{"https://shop.example"}}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 20)])
	}
	for _, want := range []string{"INV-2026-000017", "2026-05-04", "Ann Lee", "UltraMarket Shop", `Green tea \(TEA-1\)`, "20.00 USD", "-2.00 USD", "25.16 USD", "VAT 12.00%", "Courier"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the PDF does not hold %q", want)
		}
	}
	o.Invoice = nil
	if _, err := Bytes(Seller{}, o); err == nil {
		t.Error("an order without an invoice rendered")
	}
}
