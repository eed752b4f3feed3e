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
	PaymentMethod   string         `json:"payment_method"`  // "cash"
	ShippingAddress orders.Address `json:"shipping_address"`
}

// orderResponse is an order. AccessKey is present only in the 201 of POST /orders (and its
// idempotent replays): GET /orders/:id?key=<access_key> opens the order without a token.
type orderResponse struct {
	ID              string          `json:"id"`
	Number          string          `json:"number"` // decimal digits, gap-free from "1"
	Status          string          `json:"status"`
	Email           string          `json:"email"`
	UserID          string          `json:"user_id,omitempty"`
	Lines           []orders.Line   `json:"lines"`
	Subtotal        commerce.Money  `json:"subtotal"`
	Total           commerce.Money  `json:"total"`
	ShippingAddress orders.Address  `json:"shipping_address"`
	PaymentMethod   string          `json:"payment_method"`
	Carrier         string          `json:"carrier,omitempty"`
	TrackingNumber  string          `json:"tracking_number,omitempty"`
	Version         int64           `json:"version"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	AccessKey       string          `json:"access_key,omitempty"`
	History         []orders.Change `json:"history,omitempty"`
	StatusAllowed   []string        `json:"next_statuses"` // the legal next statuses
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

type trackingResponse struct {
	OrderID        string          `json:"order_id"`
	Status         string          `json:"status"`
	Carrier        string          `json:"carrier"`
	TrackingNumber string          `json:"tracking_number"`
	TrackingURL    string          `json:"tracking_url"`
	History        []orders.Change `json:"history"`
}

func orderOut(o orders.Order) orderResponse {
	return orderResponse{ID: o.ID, Number: strconv.FormatInt(o.Number, 10), Status: o.Status, Email: o.Email, UserID: o.UserID,
		Lines: o.Lines, Subtotal: o.Subtotal, Total: o.Total, ShippingAddress: o.ShippingAddress, PaymentMethod: o.PaymentMethod,
		Carrier: o.Carrier, TrackingNumber: o.TrackingNumber, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		History: o.History, StatusAllowed: orders.NextStatuses(o.Status)}
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
	keyParam := Param{Name: "key", Type: "string", Description: "the order's access_key (guests)"}
	svc := func() (*orders.Service, error) {
		if s.deps.Orders == nil {
			return nil, unavailable("orders")
		}
		return s.deps.Orders, nil
	}
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
			res, err := s.deps.Checkout.PlaceOrder(c.Request().Context(), checkout.Buyer{UserID: p.UserID, Actor: p.Actor()},
				checkout.Input{CartID: req.CartID, Email: req.Email, PaymentMethod: req.PaymentMethod, ShippingAddress: req.ShippingAddress}, idem)
			if err != nil {
				return err
			}
			out := orderOut(res.Order)
			out.AccessKey = res.AccessKey
			noStore(c)
			setETag(c, res.Order.Version)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/orders/"+res.Order.ID)
			return c.JSON(stdhttp.StatusCreated, out)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders", Tag: "orders", Summary: "List orders, newest first",
		Description: "A customer sees their own orders; ADMIN+ see every order. ?status= filters by status.",
		Auth:        true, Response: orderListResponse{},
		Query: []Param{{Name: "status", Type: "string", Description: strings.Join(orders.Statuses, ", ")},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Handler: func(c echo.Context) error {
			o, err := svc()
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
				out.Items[i] = orderOut(x)
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		}})
	// read answers one view of the order the caller may see, with its version as ETag.
	read := func(view func(orders.Order) any) echo.HandlerFunc {
		return func(c echo.Context) error {
			os, err := svc()
			if err != nil {
				return err
			}
			o, err := os.Get(c.Request().Context(), orderViewer(c), c.Param("id"))
			if err != nil {
				return err
			}
			noStore(c)
			setETag(c, o.Version)
			return c.JSON(stdhttp.StatusOK, view(o))
		}
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id", Tag: "orders", Summary: "Read an order",
		Description:  "Answers with an ETag (the order's version) for PUT /orders/:id/status If-Match." + orderAccess,
		OptionalAuth: true, Query: []Param{keyParam}, Response: orderResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: read(func(o orders.Order) any { return orderOut(o) })})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/status", Tag: "orders", Summary: "An order's status and history",
		Description:  "The current status and every change with its time, actor and note." + orderAccess,
		OptionalAuth: true, Query: []Param{keyParam}, Response: statusResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: read(func(o orders.Order) any { return statusResponse{Status: o.Status, History: o.History} })})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/tracking", Tag: "orders", Summary: "An order's shipment tracking",
		Description:  "Carrier, tracking number and, for UPS, USPS, FedEx and DHL, the carrier's tracking page." + orderAccess,
		OptionalAuth: true, Query: []Param{keyParam}, Response: trackingResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: read(func(o orders.Order) any {
			return trackingResponse{OrderID: o.ID, Status: o.Status, Carrier: o.Carrier,
				TrackingNumber: o.TrackingNumber, TrackingURL: o.TrackingURL(), History: o.History}
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/orders/:id/status", Tag: "orders", Summary: "Move an order to its next status",
		Description: "Legal transitions: PENDING → CONFIRMED → PROCESSING → SHIPPED → DELIVERED, and CANCELLED from PENDING, " +
			"CONFIRMED or PROCESSING (which returns every line's stock). Anything else is 409 illegal_transition naming from and " +
			"to. carrier and tracking_number are kept when given. Honours If-Match (412 version_mismatch).",
		Perm: auth.PermOrdersManage, Request: statusRequest{}, Response: orderResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			o, err := svc()
			if err != nil {
				return err
			}
			var req statusRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			p, _ := principalOf(c)
			out, err := o.SetStatus(c.Request().Context(), p.Actor(), c.Param("id"), orders.StatusInput{
				Status: req.Status, Note: req.Note, TrackingNumber: req.TrackingNumber, Carrier: req.Carrier, IfVersion: version})
			if err != nil {
				return err
			}
			setETag(c, out.Version)
			return c.JSON(stdhttp.StatusOK, orderOut(out))
		}})
}
