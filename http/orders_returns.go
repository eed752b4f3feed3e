package http

import (
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

type returnRequest struct {
	Lines  []orders.Qty `json:"lines,omitempty"` // default: every delivered unit not yet returned
	Reason string       `json:"reason"`
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

type receiveLine struct {
	VariantID string `json:"variant_id"`
	Restock   bool   `json:"restock"`
}

// receiveRequest says per line whether its units go back to stock; lines not named are
// restocked.
type receiveRequest struct {
	Lines []receiveLine `json:"lines,omitempty"`
}

type refundRequest struct {
	Amount *commerce.Money `json:"amount,omitempty"` // default: the lines' paid value
	To     string          `json:"to,omitempty"`     // original (default) or store_credit
	Reason string          `json:"reason,omitempty"`
}

type returnResponse struct {
	Return orders.Return `json:"return"`
	Order  orderResponse `json:"order"`
}

type returnListResponse struct {
	Items      []orders.Return `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// returnOf finds return rid of o.
func returnOf(o orders.Order, rid string) orders.Return {
	for _, r := range o.Returns {
		if r.ID == rid {
			return r
		}
	}
	return orders.Return{}
}

func (s *Server) returnRoutes() {
	s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/returns", Tag: "orders", Summary: "Ask to return delivered units (RMA)",
		Description: "lines [{variant_id, quantity}] of delivered units not already in a return (default: all of them) and a " +
			"reason. Customers may ask within 30 days of the order's last delivery (409 return_window_closed after); staff at " +
			"any time. The return starts requested. Emits orders.return_requested." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Request: returnRequest{}, Response: returnResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			var req returnRequest
			a, err := s.actOnOrder(c, orderIn{body: &req})
			if err != nil {
				return err
			}
			o, r, err := a.svc.RequestReturn(a.ctx, orderViewer(c), a.actor, a.id, orders.ReturnInput{Lines: req.Lines, Reason: req.Reason})
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusCreated, o.Version, returnResponse{Return: r, Order: orderOutFor(o, orderViewer(c))})
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/returns", Tag: "orders", Summary: "An order's returns",
		Description:  "Every return of the order, oldest first, with its lines, status and refund." + orderAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: returnListResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: s.readOrder(func(_ echo.Context, o orders.Order) any {
			out := returnListResponse{Items: o.Returns}
			if out.Items == nil {
				out.Items = []orders.Return{}
			}
			return out
		})})
	step := func(path, summary, desc string, req any, run func(c echo.Context, a orderCall) (orders.Order, error)) {
		s.handle(Route{Method: "POST", Path: "/api/v1/orders/:id/returns/:rid/" + path, Tag: "orders", Summary: summary,
			Description: desc + " A return in another state is 409 illegal_return_transition.",
			Perm:        auth.PermOrdersManage, Request: req, Response: returnResponse{},
			Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
			Handler: func(c echo.Context) error {
				a, err := s.actOnOrder(c, orderIn{})
				if err != nil {
					return err
				}
				o, err := run(c, a)
				if err != nil {
					return err
				}
				return jsonETag(c, stdhttp.StatusOK, o.Version, returnResponse{Return: returnOf(o, c.Param("rid")), Order: orderOutFor(o, orderViewer(c))})
			}})
	}
	step("approve", "Approve a return", "requested → approved. Emits orders.return_approved.", nil,
		func(c echo.Context, a orderCall) (orders.Order, error) {
			return a.svc.ApproveReturn(a.ctx, a.actor, a.id, c.Param("rid"))
		})
	step("reject", "Reject a return", "requested → rejected with a reason (required); its units may be asked for again. "+
		"Emits orders.return_rejected.", rejectRequest{},
		func(c echo.Context, a orderCall) (orders.Order, error) {
			var req rejectRequest
			if err := bind(c, &req); err != nil {
				return orders.Order{}, err
			}
			return a.svc.RejectReturn(a.ctx, a.actor, a.id, c.Param("rid"), req.Reason)
		})
	step("receive", "Receive a return's units", "approved → received. lines [{variant_id, restock}] say which units go back "+
		"to stock (lines not named, or no body: restocked). The order becomes RETURNED once it was DELIVERED and every unit "+
		"has come back. Emits orders.return_received (and orders.returned).", receiveRequest{},
		func(c echo.Context, a orderCall) (orders.Order, error) {
			var req receiveRequest
			if err := bindOptional(c, &req); err != nil {
				return orders.Order{}, err
			}
			restock := map[string]bool{}
			for _, l := range req.Lines {
				restock[l.VariantID] = l.Restock
			}
			return a.svc.ReceiveReturn(a.ctx, a.actor, a.id, c.Param("rid"), restock)
		})
	step("refund", "Refund a received return", "amount (default: the lines' paid value: price less their discount share, "+
		"plus their tax when added on top), to original (default) or store_credit. The payment service refunds the order's "+
		"payment (applied once per return), then the return is marked refunded; a retry after a failure in between only "+
		"marks it, and a refunded return answers as it is. More than was paid and not yet refunded is 422 "+
		"refund_exceeds_paid; an unpaid order 409 order_not_paid; 503 without the payment service. Emits "+
		"orders.return_refunded.", refundRequest{},
		func(c echo.Context, a orderCall) (orders.Order, error) {
			var req refundRequest
			if err := bindOptional(c, &req); err != nil {
				return orders.Order{}, err
			}
			if s.deps.Payments == nil {
				return orders.Order{}, unavailable("payments")
			}
			ctx, id, rid := a.ctx, a.id, c.Param("rid")
			plan, err := a.svc.PlanRefund(ctx, id, rid, orders.RefundInput{Amount: req.Amount, To: req.To})
			if err != nil || plan.Done {
				return plan.Order, err
			}
			reason := req.Reason
			if reason == "" {
				reason = "return " + rid
			}
			p, err := s.deps.Payments.Refund(ctx, a.actor, plan.Order.PaymentID, payments.RefundInput{Amount: plan.Amount, Reason: reason, To: plan.To, ReturnID: rid})
			if err != nil {
				return orders.Order{}, err
			}
			rec := orders.RefundRecord{Amount: plan.Amount, To: plan.To}
			for _, r := range p.Refunds { // the refund of this return, as first applied
				if r.ReturnID == rid {
					rec = orders.RefundRecord{Amount: r.Amount, To: r.To, RefundID: r.ID}
				}
			}
			return a.svc.MarkRefunded(ctx, a.actor, id, rid, rec)
		})
}
