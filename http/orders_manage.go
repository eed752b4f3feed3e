package http

import (
	"context"
	stdhttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// updateOrderRequest is the body of PUT /orders/:id: every field is optional.
type updateOrderRequest struct {
	Status          *string         `json:"status,omitempty"`
	Note            string          `json:"note,omitempty"`            // the status change's history note
	Carrier         string          `json:"carrier,omitempty"`         // with status SHIPPED
	TrackingNumber  string          `json:"tracking_number,omitempty"` // with status SHIPPED
	ShippingAddress *orders.Address `json:"shipping_address,omitempty"`
	InternalNote    *string         `json:"internal_note,omitempty"`
}

// ordersService returns the order service, or 503 when the app has none.
func (s *Server) ordersService() (*orders.Service, error) {
	if s.deps.Orders == nil {
		return nil, unavailable("orders")
	}
	return s.deps.Orders, nil
}

// orderKeyParam is ?key=, the order's access key that opens it to a guest.
var orderKeyParam = Param{Name: "key", Type: "string", Description: "the order's access_key (guests)"}

// viewOrder loads order :id as the caller may see it (404 for anyone else).
func (s *Server) viewOrder(c echo.Context) (orders.Order, error) {
	svc, err := s.ordersService()
	if err != nil {
		return orders.Order{}, err
	}
	return svc.Get(c.Request().Context(), orderViewer(c), c.Param("id"))
}

// readOrder answers one view of the order the caller may see, with its version as ETag.
func (s *Server) readOrder(view func(echo.Context, orders.Order) any) echo.HandlerFunc {
	return func(c echo.Context) error {
		o, err := s.viewOrder(c)
		if err != nil {
			return err
		}
		noStore(c)
		return jsonETag(c, stdhttp.StatusOK, o.Version, view(c, o))
	}
}

// orderCall is a request acting on order :id, as its handler passes it to the order service.
type orderCall struct {
	svc     *orders.Service
	ctx     context.Context
	actor   string // who acts: the order's history and the audit
	id      string // :id
	version int64  // If-Match's version on a route that honours it; 0: no precondition
}

// orderIn says what a route acting on an order reads from its request.
type orderIn struct {
	body     any     // the DTO the strict JSON body binds into; nil: the route takes no body
	optional bool    // a request without a body leaves body as it is (see bindOptional)
	ifMatch  bool    // the route honours If-Match
	carrier  *string // the body's carrier ID, checked and made canonical (see carrierID)
}

// actOnOrder reads a request acting on order :id in the order every such route checks it:
// the order service (503 without it), the body, If-Match, then the carrier.
func (s *Server) actOnOrder(c echo.Context, in orderIn) (orderCall, error) {
	svc, err := s.ordersService()
	if err != nil {
		return orderCall{}, err
	}
	if in.body != nil {
		read := bind
		if in.optional {
			read = bindOptional
		}
		if err := read(c, in.body); err != nil {
			return orderCall{}, err
		}
	}
	call := orderCall{svc: svc, ctx: c.Request().Context(), id: c.Param("id")}
	if in.ifMatch {
		if call.version, err = ifMatch(c); err != nil {
			return orderCall{}, err
		}
	}
	if in.carrier != nil {
		if *in.carrier, err = s.carrierID(*in.carrier); err != nil {
			return orderCall{}, err
		}
	}
	p, _ := principalOf(c)
	call.actor = p.Actor()
	return call, nil
}

// carrierID checks a carrier ID against the shop's carriers and returns its canonical
// form; "" stays "" (the order's shipping carrier).
func (s *Server) carrierID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" || s.deps.Carriers == nil {
		return id, nil
	}
	if cr, ok := s.deps.Carriers.Get(id); ok {
		return cr.ID(), nil
	}
	var ids []string
	for _, cr := range s.deps.Carriers.List() {
		ids = append(ids, cr.ID())
	}
	return "", commerce.Invalid(commerce.FieldError{Field: "carrier", Message: "must be one of " + strings.Join(ids, ", ")})
}

// bindOptional binds a JSON body when there is one; no body leaves v as it is.
func bindOptional(c echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return bind(c, v)
}

// orderJSON answers an order as the caller sees it, with its ETag.
func orderJSON(c echo.Context, status int, o orders.Order) error {
	noStore(c)
	return jsonETag(c, status, o.Version, orderOutFor(o, orderViewer(c)))
}

func (s *Server) orderManageRoutes() {
	s.handle(Route{Method: "PUT", Path: "/api/v1/orders/:id", Tag: "orders", Summary: "Change an order",
		Description: "Staff (orders:manage) may change status (legal transitions only, with the side effects of PUT " +
			"/orders/:id/status), shipping_address (only before anything shipped, and in the same country: shipping and tax " +
			"were priced for it; 409 order_shipped) and internal_note (staff-only text). The order's owner, or a guest with " +
			"?key=, may change only the shipping_address of a PENDING order (403 for other fields, 409 order_not_editable " +
			"later). Honours If-Match (412 version_mismatch). Emits orders.updated and orders.status_changed." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Request: updateOrderRequest{}, Response: orderResponse{},
		Errors: []int{stdhttp.StatusForbidden, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			var req updateOrderRequest
			a, err := s.actOnOrder(c, orderIn{body: &req, ifMatch: true, carrier: &req.Carrier})
			if err != nil {
				return err
			}
			o, err := a.svc.Update(a.ctx, orderViewer(c), a.actor, a.id, orders.UpdateInput{
				Status: req.Status, Note: req.Note, Carrier: req.Carrier, TrackingNumber: req.TrackingNumber,
				ShippingAddress: req.ShippingAddress, InternalNote: req.InternalNote, IfVersion: a.version})
			if err != nil {
				return err
			}
			return orderJSON(c, stdhttp.StatusOK, o)
		}})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/orders/:id", Tag: "orders", Summary: "Delete an unpaid draft order",
		Description: "Only a PENDING order with payment_status unpaid: it is cancelled (its stock goes back), marked deleted " +
			"and leaves its owner's list and reads; staff still see it, and its number stays used (numbers stay gap-free). " +
			"Anything else is 409 order_not_deletable. By the owner, a guest with ?key=, or staff. Emits orders.status_changed, " +
			"orders.cancelled and orders.deleted." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: func(c echo.Context) error {
			a, err := s.actOnOrder(c, orderIn{})
			if err != nil {
				return err
			}
			if err := a.svc.Delete(a.ctx, orderViewer(c), a.actor, a.id); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/notes", Tag: "orders", Summary: "Add a note to an order",
		Description: "visibility internal (default: staff only) or customer (shown to the customer with the order). " +
			"Emits orders.note_added.",
		Perm: auth.PermOrdersManage, Request: noteRequest{}, Response: noteResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			var req noteRequest
			a, err := s.actOnOrder(c, orderIn{body: &req})
			if err != nil {
				return err
			}
			o, n, err := a.svc.AddNote(a.ctx, a.actor, a.id, orders.NoteInput{Text: req.Text, Visibility: req.Visibility})
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusCreated, o.Version, noteResponse{Note: n, OrderVersion: o.Version})
		}})
}

type noteRequest struct {
	Text       string `json:"text"`
	Visibility string `json:"visibility,omitempty"` // internal (default) or customer
}

type noteResponse struct {
	Note         orders.Note `json:"note"`
	OrderVersion int64       `json:"order_version"`
}
