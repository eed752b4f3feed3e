package http

import (
	"errors"
	"io"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// PaymentDeps are the components of the payments, refunds, methods and gateway webhooks routes.
type PaymentDeps struct {
	Payments *payments.Service
	Webhooks map[string]payments.Webhook // gateways' inbound endpoints by method ID
}

// webhookBodyLimit is the largest webhook body read.
const webhookBodyLimit = 1 << 20

type paymentMethodsResponse struct {
	Items []payments.Method `json:"items"`
}

type paymentProcessRequest struct {
	OrderID      string `json:"order_id"`
	Method       string `json:"method,omitempty"`         // "" means the order's payment method
	ReturnURL    string `json:"return_url,omitempty"`     // gateways: back after paying
	CancelURL    string `json:"cancel_url,omitempty"`     // gateways: back after giving up
	AccessKey    string `json:"access_key,omitempty"`     // guests: the order's access_key
	GiftCardCode string `json:"gift_card_code,omitempty"` // method gift_card
}

type paymentRefundRequest struct {
	Amount commerce.Money `json:"amount"`           // currency may be omitted (the payment's)
	Reason string         `json:"reason,omitempty"` //
	To     string         `json:"to,omitempty"`     // "original" (default) or "store_credit"
}

// paymentActionResponse is what the shopper does next with a gateway.
type paymentActionResponse struct {
	ExternalID   string `json:"external_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"` // Stripe.js confirmCardPayment
	RedirectURL  string `json:"redirect_url,omitempty"`  // send the shopper there
}

type paymentResponse struct {
	ID          string                 `json:"id"`
	OrderID     string                 `json:"order_id"`
	OrderNumber int64                  `json:"order_number"`
	Method      string                 `json:"method"`
	Status      string                 `json:"status"`
	Amount      commerce.Money         `json:"amount"`
	Captured    commerce.Money         `json:"captured"`
	Refunded    commerce.Money         `json:"refunded"`
	Refundable  commerce.Money         `json:"refundable"`
	ExternalID  string                 `json:"external_id,omitempty"`
	Action      *paymentActionResponse `json:"action,omitempty"`
	Refunds     []payments.Refund      `json:"refunds"`
	Version     int64                  `json:"version"`
	CreatedAt   time.Time              `json:"created_at"`
	UpdatedAt   time.Time              `json:"updated_at"`
}

type paymentListResponse struct {
	Items      []paymentResponse `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func paymentOut(p payments.Payment) paymentResponse {
	out := paymentResponse{ID: p.ID, OrderID: p.OrderID, OrderNumber: p.OrderNumber, Method: p.Method, Status: p.Status,
		Amount: p.Amount, Captured: p.Captured, Refunded: p.Refunded, Refundable: p.Refundable(), ExternalID: p.ExternalID,
		Refunds: p.Refunds, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if out.Refunds == nil {
		out.Refunds = []payments.Refund{}
	}
	if a := p.Action; a != nil && p.Status == payments.StatusPending {
		out.Action = &paymentActionResponse{ExternalID: a.ExternalID, ClientSecret: a.ClientSecret, RedirectURL: a.RedirectURL}
	}
	return out
}

// paymentJSON answers p with its version as ETag.
func paymentJSON(c echo.Context, p payments.Payment) error {
	return jsonETag(c, stdhttp.StatusOK, p.Version, paymentOut(p))
}

// paymentViewer is who the request acts as for an order's payments: staff manage payments.
func paymentViewer(c echo.Context, key string) orders.Viewer {
	p, _ := principalOf(c)
	return orders.Viewer{UserID: p.UserID, Staff: p.Can(auth.PermPaymentsManage), Key: key}
}

const paymentAccess = " Readable by the order's owner, ADMIN+ (payments:manage), or anyone with ?key=<access_key> of the order; " +
	"anyone else gets 404."

func (s *Server) paymentRoutes() {
	svc := func() (*payments.Service, error) {
		if s.deps.Payments == nil || s.deps.Orders == nil {
			return nil, unavailable("payments")
		}
		return s.deps.Payments, nil
	}
	// visible returns the payment id when the caller may see its order, else 404.
	visible := func(c echo.Context, ps *payments.Service, id, key string) (payments.Payment, error) {
		p, err := ps.Get(c.Request().Context(), id)
		if err != nil {
			return p, err
		}
		if _, err := s.deps.Orders.Get(c.Request().Context(), paymentViewer(c, key), p.OrderID); errors.Is(err, orders.ErrNotFound) {
			return p, payments.ErrNotFound
		} else if err != nil {
			return p, err
		}
		return p, nil
	}

	s.handle(Route{Method: "GET", Path: "/api/v1/payments/methods", Tag: "payments", Summary: "Payment methods on offer",
		Description: "The enabled methods (cash, manual card terminal, wallet store credit, gift card and every configured gateway) " +
			"with their kind (offline, stored, gateway); ?currency= keeps those that accept it.",
		Query:    []Param{{Name: "currency", Type: "string", Description: "ISO 4217 code, e.g. USD"}},
		Response: paymentMethodsResponse{},
		Handler: func(c echo.Context) error {
			if s.deps.Payments == nil {
				return unavailable("payments")
			}
			cur := c.QueryParam("currency")
			if cur != "" && !commerce.ValidCurrency(cur) {
				return commerce.Invalid(commerce.FieldError{Field: "currency", Message: "must be an ISO 4217 code"})
			}
			return c.JSON(stdhttp.StatusOK, paymentMethodsResponse{Items: s.deps.Payments.Methods(cur)})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/payments/process", Tag: "payments", Summary: "Pay an order",
		Description: "Starts or resumes the payment of an order. A gateway method (stripe, paypal, payme, click, uzcard) is registered " +
			"with the gateway and answers an action: a Stripe client_secret or a redirect_url; the order is paid when the gateway " +
			"notifies us. Retrying answers the same pending payment and action. wallet and gift_card (with gift_card_code) pay at once; " +
			"cash and manual wait for staff (POST /payments/:id/capture). method defaults to the order's; another method cancels the " +
			"open payment. Allowed to the order's owner, a guest with the order's access_key, or ADMIN+; anyone else gets 404. A paid " +
			"order is 409 order_paid, a cancelled one 409 order_closed.",
		OptionalAuth: true, Request: paymentProcessRequest{}, Response: paymentResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity, stdhttp.StatusServiceUnavailable},
		Handler: withBody(svc, func(c echo.Context, ps *payments.Service, req paymentProcessRequest) error {
			ctx := c.Request().Context()
			if req.OrderID == "" {
				return commerce.Invalid(commerce.FieldError{Field: "order_id", Message: "is required"})
			}
			v := paymentViewer(c, req.AccessKey)
			if _, err := s.deps.Orders.Get(ctx, v, req.OrderID); err != nil {
				return err
			}
			pr, _ := principalOf(c)
			p, err := ps.Process(ctx, pr.Actor(), payments.ProcessInput{OrderID: req.OrderID, Method: req.Method, ReturnURL: req.ReturnURL,
				CancelURL: req.CancelURL, GiftCardCode: req.GiftCardCode, Payer: pr.UserID, Staff: v.Staff})
			if err != nil {
				return err
			}
			noStore(c)
			return paymentJSON(c, p)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/payments/:id", Tag: "payments", Summary: "Read a payment",
		Description:  "Status, amounts, the gateway action while pending, and refunds." + paymentAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: paymentResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, ps *payments.Service) error {
			p, err := visible(c, ps, c.Param("id"), c.QueryParam("key"))
			if err != nil {
				return err
			}
			noStore(c)
			return paymentJSON(c, p)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/orders/:id/payments", Tag: "payments", Summary: "An order's payments",
		Description:  "Every payment attempt of the order, oldest first." + paymentAccess,
		OptionalAuth: true, Query: []Param{orderKeyParam}, Response: paymentListResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, ps *payments.Service) error {
			ctx := c.Request().Context()
			o, err := s.deps.Orders.Get(ctx, paymentViewer(c, c.QueryParam("key")), c.Param("id"))
			if err != nil {
				return err
			}
			list, err := ps.OrderPayments(ctx, o.ID)
			if err != nil {
				return err
			}
			out := paymentListResponse{Items: make([]paymentResponse, len(list))}
			for i, p := range list {
				out.Items[i] = paymentOut(p)
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/payments/:id/capture", Tag: "payments", Summary: "Record offline money received",
		Description: "Staff record a cash or manual card-terminal payment as received: the payment is captured, the order paid and " +
			"CONFIRMED and its reserved stock committed, in one write. Capturing it again answers it unchanged; a gateway or stored-value " +
			"payment is 409 capture_not_supported; a cancelled or failed one 409 illegal_transition.",
		Perm: auth.PermPaymentsManage, Response: paymentResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: withService(svc, func(c echo.Context, ps *payments.Service) error {
			p, err := ps.Capture(c.Request().Context(), actorID(c), c.Param("id"))
			if err != nil {
				return err
			}
			return paymentJSON(c, p)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/payments/:id/refund", Tag: "payments", Summary: "Refund a payment",
		Description: "Returns amount of a captured payment: to \"original\" (default: back to the card through the gateway, to the gift " +
			"card or wallet, or cash handed back) or to \"store_credit\" (the order owner's wallet; a guest order cannot get store " +
			"credit, 422). amount may not exceed captured − refunded (422 refund_too_large naming amount; nothing changes). The payment " +
			"and the order's payment status become partially_refunded or refunded. A gateway refund the gateway confirms later is " +
			"recorded as pending.",
		Perm: auth.PermPaymentsManage, Request: paymentRefundRequest{}, Response: paymentResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity, stdhttp.StatusServiceUnavailable},
		Handler: withBody(svc, func(c echo.Context, ps *payments.Service, req paymentRefundRequest) error {
			p, err := ps.Refund(c.Request().Context(), actorID(c), c.Param("id"), payments.RefundInput{Amount: req.Amount, Reason: req.Reason, To: req.To})
			if err != nil {
				return err
			}
			return paymentJSON(c, p)
		})})
	for _, g := range payments.GatewayIDs {
		s.handle(Route{Method: "POST", Path: "/api/v1/payments/webhooks/" + g, Tag: "payments", Summary: "Gateway webhook: " + g,
			Description: "The gateway's notifications, verified (signature, timestamp, credentials) and applied once each; the answer is in " +
				"the gateway's own format. 404 gateway_not_configured when the gateway is not configured.",
			RawResponse: "application/json", Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusRequestEntityTooLarge},
			BodyLimit: webhookBodyLimit,
			Handler: func(c echo.Context) error {
				w, ok := s.deps.Webhooks[g]
				if !ok && s.deps.Payments != nil {
					w, ok = s.deps.Payments.Webhook(g) // registered after the server was built
				}
				if !ok {
					return payments.ErrNotConfigured
				}
				body, err := io.ReadAll(io.LimitReader(c.Request().Body, webhookBodyLimit+1))
				if err != nil {
					return &commerce.Error{Kind: commerce.EInvalid, Code: "malformed_body", Message: "cannot read the request body", Err: err}
				}
				if len(body) > webhookBodyLimit {
					return &commerce.Error{Kind: commerce.ETooLarge, Code: "body_too_large", Message: "the webhook body is over 1 MiB"}
				}
				status, ct, resp := w.HandleWebhook(c.Request().Context(), c.Request().Header, body)
				if ct == "" {
					ct = echo.MIMEApplicationJSON
				}
				return c.Blob(status, ct, resp)
			}})
	}
}
