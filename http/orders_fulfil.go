package http

import (
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// fulfilRequest is the body of POST /orders/:id/fulfilments; no lines ships every unit left.
type fulfilRequest struct {
	Lines          []orders.Qty `json:"lines,omitempty"`
	Carrier        string       `json:"carrier,omitempty"` // a carrier ID (GET /shipping/carriers); default the order's shipping carrier
	TrackingNumber string       `json:"tracking_number,omitempty"`
	Note           string       `json:"note,omitempty"`
}

// shipmentOut is a fulfilment with its carrier's name and tracking page.
type shipmentOut struct {
	ID             string       `json:"id"`
	Status         string       `json:"status"`
	Lines          []orders.Qty `json:"lines"`
	Carrier        string       `json:"carrier"`
	CarrierName    string       `json:"carrier_name"`
	TrackingNumber string       `json:"tracking_number"`
	TrackingURL    string       `json:"tracking_url"`
	ShippedAt      time.Time    `json:"shipped_at"`
	DeliveredAt    time.Time    `json:"delivered_at,omitzero"`
}

type fulfilmentResponse struct {
	Fulfilment shipmentOut   `json:"fulfilment"`
	Order      orderResponse `json:"order"`
}

// trackingResponse is an order's shipments. Carrier, TrackingNumber and TrackingURL repeat
// the latest shipment's.
type trackingResponse struct {
	OrderID        string          `json:"order_id"`
	Status         string          `json:"status"`
	Shipments      []shipmentOut   `json:"shipments"`
	Carrier        string          `json:"carrier"`
	TrackingNumber string          `json:"tracking_number"`
	TrackingURL    string          `json:"tracking_url"`
	History        []orders.Change `json:"history"`
}

// shipment describes f with its carrier from the shop's carriers.
func (s *Server) shipment(f orders.Fulfilment) shipmentOut {
	out := shipmentOut{ID: f.ID, Status: f.Status, Lines: f.Lines, Carrier: f.Carrier, CarrierName: f.Carrier,
		TrackingNumber: f.TrackingNumber, ShippedAt: f.ShippedAt, DeliveredAt: f.DeliveredAt}
	if s.deps.Carriers != nil {
		if cr, ok := s.deps.Carriers.Get(f.Carrier); ok {
			out.CarrierName, out.TrackingURL = cr.Name(), cr.TrackingURL(f.TrackingNumber)
		}
	}
	return out
}

func (s *Server) tracking(o orders.Order) trackingResponse {
	out := trackingResponse{OrderID: o.ID, Status: o.Status, Shipments: []shipmentOut{}, History: o.History}
	fs := o.Fulfilments
	if len(fs) == 0 && o.TrackingNumber != "" { // shipped before fulfilments existed
		fs = []orders.Fulfilment{{Carrier: o.Carrier, TrackingNumber: o.TrackingNumber, Status: orders.FulfilmentShipped}}
	}
	for _, f := range fs {
		out.Shipments = append(out.Shipments, s.shipment(f))
	}
	if n := len(out.Shipments); n > 0 {
		last := out.Shipments[n-1]
		out.Carrier, out.TrackingNumber, out.TrackingURL = last.Carrier, last.TrackingNumber, last.TrackingURL
	}
	return out
}

func (s *Server) fulfilmentRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/tracking", Tag: "orders", Summary: "An order's shipments and tracking",
		Description:  "Every fulfilment with its carrier's name, tracking number and tracking page (from the shop's carriers)." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: trackingResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: s.readOrder(func(_ echo.Context, o orders.Order) any { return s.tracking(o) })})
	s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/fulfilments", Tag: "orders", Summary: "Ship some or all of an order's units",
		Description: "lines [{variant_id, quantity}] (default: every unit not yet shipped), carrier (a carrier ID; default the " +
			"order's shipping carrier), tracking_number, note. The order moves to PROCESSING on its first shipment (through " +
			"CONFIRMED from PENDING) and to SHIPPED once every unit shipped; the order's stock is committed. More than is left is " +
			"422 naming the line; an order that cannot ship (SHIPPED, DELIVERED, CANCELLED...) is 409 illegal_transition, one on " +
			"fraud hold 409 order_under_review. Honours If-Match. Emits orders.fulfilled and orders.status_changed.",
		Perm: auth.PermOrdersManage, Request: fulfilRequest{}, Response: fulfilmentResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			var req fulfilRequest
			a, err := s.actOnOrder(c, orderIn{body: &req, optional: true, ifMatch: true, carrier: &req.Carrier})
			if err != nil {
				return err
			}
			o, f, err := a.svc.Fulfil(a.ctx, a.actor, a.id, orders.FulfilInput{Lines: req.Lines,
				Carrier: req.Carrier, TrackingNumber: req.TrackingNumber, Note: req.Note, IfVersion: a.version})
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusCreated, o.Version, fulfilmentResponse{Fulfilment: s.shipment(f), Order: orderOutFor(o, orderViewer(c))})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/fulfilments/:fid/delivered", Tag: "orders", Summary: "Mark a shipment delivered",
		Description: "The order is DELIVERED once every unit shipped and every shipment is delivered. Marking a delivered " +
			"shipment again changes nothing. Emits orders.fulfilment_delivered (and orders.status_changed).",
		Perm: auth.PermOrdersManage, Response: orderResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: func(c echo.Context) error {
			a, err := s.actOnOrder(c, orderIn{ifMatch: true})
			if err != nil {
				return err
			}
			o, err := a.svc.Deliver(a.ctx, a.actor, a.id, c.Param("fid"), a.version)
			if err != nil {
				return err
			}
			return orderJSON(c, stdhttp.StatusOK, o)
		}})
}
