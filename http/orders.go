package http

import (
	stdhttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// checkoutRequest is the body of POST /orders.
type checkoutRequest struct {
	CartID          string         `json:"cart_id"`
	Email           string         `json:"email,omitempty"` // required for guests; defaults to the account's
	PaymentMethod   string         `json:"payment_method"`  // one of GET /payments/methods
	ShippingAddress orders.Address `json:"shipping_address"`
	// ShippingMethodID picks a shipping method serving the address; "" the cheapest one.
	ShippingMethodID string `json:"shipping_method_id,omitempty"`
	// Coupons are coupon codes applied besides those kept on the cart.
	Coupons []string `json:"coupons,omitempty"`
	// GiftCardCode is the card paying with payment_method "gift_card".
	GiftCardCode string `json:"gift_card_code,omitempty"`
}

// orderResponse is an order. AccessKey is present only in the 201 of POST /orders (and its
// idempotent replays): GET /orders/:id?key=<access_key> opens the order without a token.
// Notes hold only customer notes for customers; internal_note is staff-only.
type orderResponse struct {
	ID              string              `json:"id"`
	Number          string              `json:"number"` // decimal digits, gap-free from "1"
	Status          string              `json:"status"`
	Email           string              `json:"email"`
	UserID          string              `json:"user_id,omitempty"`
	Lines           []orders.Line       `json:"lines"`
	Subtotal        commerce.Money      `json:"subtotal"`
	Discounts       []orders.Discount   `json:"discounts,omitempty"`
	DiscountTotal   commerce.Money      `json:"discount_total"`
	Shipping        *orders.Shipping    `json:"shipping,omitempty"`
	ShippingTotal   commerce.Money      `json:"shipping_total"`
	Taxes           []orders.Tax        `json:"taxes,omitempty"`
	TaxTotal        commerce.Money      `json:"tax_total"`
	TaxInclusive    bool                `json:"tax_inclusive,omitempty"`
	Total           commerce.Money      `json:"total"`
	PaymentStatus   string              `json:"payment_status,omitempty"`
	PaymentID       string              `json:"payment_id,omitempty"`
	ShippingAddress orders.Address      `json:"shipping_address"`
	PaymentMethod   string              `json:"payment_method"`
	Carrier         string              `json:"carrier,omitempty"`
	TrackingNumber  string              `json:"tracking_number,omitempty"`
	Fulfilments     []orders.Fulfilment `json:"fulfilments"`
	Returns         []orders.Return     `json:"returns"`
	Notes           []orders.Note       `json:"notes"`
	InternalNote    string              `json:"internal_note,omitempty"`
	Review          *orders.Review      `json:"review,omitempty"` // staff only: the fraud hold
	Invoice         *orders.Invoice     `json:"invoice,omitempty"`
	Deleted         bool                `json:"deleted,omitempty"`
	Version         int64               `json:"version"`
	CreatedAt       time.Time           `json:"created_at"`
	UpdatedAt       time.Time           `json:"updated_at"`
	AccessKey       string              `json:"access_key,omitempty"`
	History         []orders.Change     `json:"history,omitempty"`
	StatusAllowed   []string            `json:"next_statuses"` // the legal next statuses
}

type orderListResponse struct {
	Items      []orderResponse `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

type statusResponse struct {
	Status  string          `json:"status"`
	History []orders.Change `json:"history"`
}

type statusRequest struct {
	Status         string `json:"status"`
	Note           string `json:"note,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	Carrier        string `json:"carrier,omitempty"`
}

// orderOut is o as its customer sees it.
func orderOut(o orders.Order) orderResponse { return orderOutFor(o, orders.Viewer{}) }

// orderOutFor is o as v sees it.
func orderOutFor(o orders.Order, v orders.Viewer) orderResponse {
	out := orderResponse{ID: o.ID, Number: strconv.FormatInt(o.Number, 10), Status: o.Status, Email: o.Email, UserID: o.UserID,
		Lines: o.Lines, Subtotal: o.Subtotal, Discounts: o.Discounts, DiscountTotal: o.DiscountTotal, Shipping: o.Shipping,
		ShippingTotal: o.ShippingTotal, Taxes: o.Taxes, TaxTotal: o.TaxTotal, TaxInclusive: o.TaxInclusive, Total: o.Total,
		PaymentStatus: o.PaymentStatus, PaymentID: o.PaymentID, ShippingAddress: o.ShippingAddress, PaymentMethod: o.PaymentMethod,
		Carrier: o.Carrier, TrackingNumber: o.TrackingNumber, Fulfilments: o.Fulfilments, Returns: o.Returns, Notes: o.NotesFor(v),
		Invoice: o.Invoice, Deleted: o.Deleted, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		History: o.History, StatusAllowed: orders.NextStatuses(o.Status)}
	if out.Fulfilments == nil {
		out.Fulfilments = []orders.Fulfilment{}
	}
	if out.Returns == nil {
		out.Returns = []orders.Return{}
	}
	if v.Staff {
		out.InternalNote, out.Review = o.InternalNote, o.Review
	}
	return out
}

// orderViewer is who the request acts as, with the guest access key of ?key=.
func orderViewer(c echo.Context) orders.Viewer {
	p, _ := principalOf(c)
	return orders.Viewer{UserID: p.UserID, Staff: p.Can(auth.PermOrdersManage), Key: c.QueryParam("key")}
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(c echo.Context) (commerce.Page, error) {
	p := commerce.Page{Cursor: c.QueryParam("cursor")}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, commerce.Invalid(commerce.FieldError{Field: "limit", Message: "must be a positive integer"})
		}
		p.Limit = n
	}
	return p, nil
}

const orderAccess = " Readable by its owner, ADMIN+, or anyone with ?key=<access_key> from the 201 of POST /orders; " +
	"anyone else gets 404."

func (s *Server) orderRoutes() {
	s.handle(Route{Method: "POST", Path: "/api/v1/orders", Tag: "orders", Summary: "Check out a cart",
		Description: "Prices every line from the catalog, checks and takes the stock of all lines, numbers the order and marks " +
			"the cart checked out, in one atomic write. Not enough stock is 409 out_of_stock with details {variant_id, sku, " +
			"requested, available} and nothing changes; a cart checked out already is 409 cart_checked_out; an empty cart is 422. " +
			"payment_method accepts \"cash\". email is required for guests and defaults to the account's e-mail with a bearer " +
			"token (the order then belongs to the account). The 201 carries access_key once: GET /orders/:id?key= opens the order. " +
			"With an Idempotency-Key a retry (even after a crash) answers the same order; the same key with another body is 422.",
		OptionalAuth: true, Request: checkoutRequest{}, Response: orderResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			if s.deps.Checkout == nil {
				return unavailable("checkout")
			}
			var req checkoutRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			p, _ := principalOf(c)
			var idem checkout.Idempotency
			if key := c.Request().Header.Get(headerIdempotencyKey); key != "" {
				idem = checkout.Idempotency{Scope: idemScope(c), Key: key}
			}
			res, err := s.deps.Checkout.PlaceOrder(c.Request().Context(), checkout.Buyer{UserID: p.UserID, Actor: p.Actor(), IP: c.RealIP()},
				checkout.Input{CartID: req.CartID, Email: req.Email, PaymentMethod: req.PaymentMethod, ShippingAddress: req.ShippingAddress,
					ShippingMethodID: req.ShippingMethodID, Coupons: req.Coupons, GiftCardCode: req.GiftCardCode}, idem)
			if err != nil {
				return err
			}
			out := orderOutFor(res.Order, orderViewer(c))
			out.AccessKey = res.AccessKey
			noStore(c)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/orders/"+res.Order.ID)
			return jsonETag(c, stdhttp.StatusCreated, res.Order.Version, out)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders", Tag: "orders", Summary: "List orders, newest first",
		Description: "A customer sees their own orders; ADMIN+ see every order. ?status= filters by status.",
		Auth:        true, Response: orderListResponse{},
		Query: []Param{{Name: "status", Type: "string", Description: strings.Join(orders.Statuses, ", ")},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Handler: func(c echo.Context) error {
			o, err := s.ordersService()
			if err != nil {
				return err
			}
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := o.List(c.Request().Context(), orderViewer(c), c.QueryParam("status"), page)
			if err != nil {
				return err
			}
			out := orderListResponse{Items: make([]orderResponse, len(list.Items)), NextCursor: list.NextCursor}
			for i, x := range list.Items {
				out.Items[i] = orderOutFor(x, orderViewer(c))
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id", Tag: "orders", Summary: "Read an order",
		Description:  "Answers with an ETag (the order's version) for PUT /orders/:id/status If-Match." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: orderResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: s.readOrder(func(c echo.Context, o orders.Order) any { return orderOutFor(o, orderViewer(c)) })})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/status", Tag: "orders", Summary: "An order's status and history",
		Description:  "The current status and every change with its time, actor and note." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: statusResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: s.readOrder(func(_ echo.Context, o orders.Order) any { return statusResponse{Status: o.Status, History: o.History} })})
	s.handle(Route{Method: "PUT", Path: "/api/v1/orders/:id/status", Tag: "orders", Summary: "Move an order to its next status",
		Description: "Legal transitions: PENDING → CONFIRMED → PROCESSING → SHIPPED → DELIVERED, and CANCELLED from PENDING, " +
			"CONFIRMED or PROCESSING (which returns every line's stock). Anything else is 409 illegal_transition naming from and " +
			"to. Cancelling an order with shipments is 409 order_fulfilled. SHIPPED ships every unit not yet shipped as one fulfilment " +
			"(carrier: a carrier ID of GET /shipping/carriers, tracking_number); DELIVERED delivers every fulfilment; RETURNED needs " +
			"every unit returned and received (409 units_not_returned). Honours If-Match (412 version_mismatch).",
		Perm: auth.PermOrdersManage, Request: statusRequest{}, Response: orderResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			var req statusRequest
			a, err := s.actOnOrder(c, orderIn{body: &req, ifMatch: true, carrier: &req.Carrier})
			if err != nil {
				return err
			}
			o, err := a.svc.SetStatus(a.ctx, a.actor, a.id, orders.StatusInput{
				Status: req.Status, Note: req.Note, TrackingNumber: req.TrackingNumber, Carrier: req.Carrier, IfVersion: a.version})
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, o.Version, orderOutFor(o, orderViewer(c)))
		}})
	s.orderManageRoutes()
	s.fulfilmentRoutes()
	s.returnRoutes()
	s.orderDocumentRoutes()
}
