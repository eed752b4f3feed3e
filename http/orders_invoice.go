package http

import (
	"bytes"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/invoice"
)

// invoiceSellerName heads every invoice; the seller's second line is the shop's base URL
// as the request reached it (there is no shop identity in the configuration yet).
const invoiceSellerName = "UltraMarket"

type invoiceResponse struct {
	OrderID  string    `json:"order_id"`
	Number   string    `json:"number"`
	Year     int       `json:"year"`
	IssuedAt time.Time `json:"issued_at"`
	PDFURL   string    `json:"pdf_url"`
}

var errNoInvoice = &commerce.Error{Kind: commerce.ENotFound, Code: "invoice_not_issued", Message: "orders: the order has no invoice yet"}

func (s *Server) orderDocumentRoutes() {
	s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/invoice", Tag: "orders", Summary: "Issue an order's invoice",
		Description: "Gives the order an invoice number, gap-free and sequential per calendar year (UTC) of issue: " +
			"INV-2026-000001, INV-2026-000002, ... taken in the same write that issues it. 201 the first time; an order " +
			"with an invoice answers 200 with it unchanged. A cancelled order is 409 order_cancelled. Emits orders.invoice_issued.",
		Perm: auth.PermOrdersManage, Response: invoiceResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: func(c echo.Context) error {
			a, err := s.actOnOrder(c, orderIn{})
			if err != nil {
				return err
			}
			o, issued, err := a.svc.IssueInvoice(a.ctx, a.actor, a.id)
			if err != nil {
				return err
			}
			status := stdhttp.StatusOK
			if issued {
				status = stdhttp.StatusCreated
			}
			return jsonETag(c, status, o.Version, invoiceResponse{OrderID: o.ID, Number: o.Invoice.Number, Year: o.Invoice.Year,
				IssuedAt: o.Invoice.IssuedAt, PDFURL: "/api/v1/orders/" + o.ID + "/invoice.pdf"})
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/invoice.pdf", Tag: "orders", Summary: "An order's invoice as PDF",
		Description: "The issued invoice (POST /orders/:id/invoice): seller, buyer, lines with unit price, discount and tax, " +
			"shipping, totals, number and date. 404 invoice_not_issued before it is issued." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam},
		RawResponse: "application/pdf", Errors: []int{stdhttp.StatusNotFound},
		Handler: func(c echo.Context) error {
			o, err := s.viewOrder(c)
			if err != nil {
				return err
			}
			if o.Invoice == nil {
				return errNoInvoice
			}
			seller := invoice.Seller{Name: invoiceSellerName, Address: []string{c.Scheme() + "://" + c.Request().Host}}
			var b bytes.Buffer
			if err := invoice.Render(&b, seller, o); err != nil {
				return err
			}
			noStore(c)
			c.Response().Header().Set(echo.HeaderContentDisposition, `inline; filename="`+o.Invoice.Number+`.pdf"`)
			return c.Blob(stdhttp.StatusOK, "application/pdf", b.Bytes())
		}})
}
