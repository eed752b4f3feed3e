package http

import (
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
)

// cartResponse is a cart priced from the catalog at read time. Only available lines count
// in the totals.
type cartResponse struct {
	ID       string             `json:"id"` // a guest's bearer secret: whoever holds it may use the cart
	Status   string             `json:"status"`
	OrderID  string             `json:"order_id,omitempty"`
	Currency string             `json:"currency"`
	Lines    []cartLineResponse `json:"lines"`
	Totals   cartTotals         `json:"totals"`
	// Coupons are the codes kept on the cart; Promotions the promotions that apply now and
	// RejectedCoupons the kept codes that do not, with the reason (checkout refuses those).
	Coupons         []string                `json:"coupons"`
	Promotions      []cart.AppliedPromotion `json:"promotions"`
	RejectedCoupons []cart.RejectedCoupon   `json:"rejected_coupons"`
	Version         int64                   `json:"version"`
	CreatedAt       time.Time               `json:"created_at"`
	UpdatedAt       time.Time               `json:"updated_at"`
	ExpiresAt       time.Time               `json:"expires_at"`
}

type cartLineResponse struct {
	ID        string            `json:"id"`
	VariantID string            `json:"variant_id"`
	ProductID string            `json:"product_id"`
	SKU       string            `json:"sku"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	Quantity  int64             `json:"quantity"`
	UnitPrice commerce.Money    `json:"unit_price"`
	// CompareAt is the "was" price (zero amount when none); PriceListID the price list the
	// unit price comes from ("" = the variant's own price).
	CompareAt   commerce.Money `json:"compare_at"`
	PriceListID string         `json:"price_list_id,omitempty"`
	LineTotal   commerce.Money `json:"line_total"`
	Discount    commerce.Money `json:"discount"`
	Tax         commerce.Money `json:"tax"`
	Available   bool           `json:"available"`
}

// cartTotals: Total = Subtotal - Discount (+ Tax unless TaxInclusive). Tax is an estimate
// for the shop's estimate country (TaxEstimated false: none); checkout taxes by the
// shipping address and adds shipping.
type cartTotals struct {
	Subtotal     commerce.Money `json:"subtotal"`
	Discount     commerce.Money `json:"discount"`
	Tax          commerce.Money `json:"tax"`
	TaxInclusive bool           `json:"tax_inclusive"`
	TaxEstimated bool           `json:"tax_estimated"`
	Total        commerce.Money `json:"total"`
	ItemCount    int64          `json:"item_count"`
}

// addItemRequest is the body of POST /carts/:id/items. There is no price: prices come from
// the catalog, and strict decoding refuses a "price" field.
type addItemRequest struct {
	VariantID string `json:"variant_id"`
	Quantity  int64  `json:"quantity"`
}

type updateItemRequest struct {
	Quantity int64 `json:"quantity"`
}

// createCartRequest is the optional (empty) body of POST /carts.
type createCartRequest struct{}

func cartOut(v cart.View) cartResponse {
	out := cartResponse{ID: v.ID, Status: v.Status, OrderID: v.OrderID, Currency: v.Currency, Version: v.Version,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, ExpiresAt: v.ExpiresAt, Lines: make([]cartLineResponse, len(v.Items)),
		Totals:  cartTotals{Subtotal: v.Totals.Subtotal, Total: v.Totals.Total, ItemCount: v.Totals.ItemCount},
		Coupons: v.Coupons, Promotions: []cart.AppliedPromotion{}, RejectedCoupons: []cart.RejectedCoupon{}}
	if out.Coupons == nil {
		out.Coupons = []string{}
	}
	zero := commerce.Money{Currency: v.Currency}
	out.Totals.Discount, out.Totals.Tax = zero, zero
	if p := v.Pricing; p != nil {
		out.Totals.Discount, out.Totals.Tax, out.Totals.TaxInclusive, out.Totals.TaxEstimated = p.Discount, p.Tax, p.TaxInclusive, p.TaxEstimated
		out.Promotions, out.RejectedCoupons = p.Applied, p.Rejected
	}
	for i, it := range v.Items {
		l := cartLineResponse{ID: it.ID, VariantID: it.VariantID, ProductID: it.ProductID, SKU: it.SKU, Title: it.Title,
			Options: it.Options, Quantity: it.Quantity, UnitPrice: it.UnitPrice, LineTotal: it.LineTotal, Available: it.Available,
			CompareAt: zero, Discount: zero, Tax: zero}
		if v.Pricing != nil && i < len(v.Pricing.Lines) && it.Available {
			pl := v.Pricing.Lines[i]
			l.CompareAt, l.PriceListID, l.Discount, l.Tax = pl.CompareAt, pl.PriceListID, pl.Discount, pl.Tax
		}
		out.Lines[i] = l
	}
	return out
}

// cartViewer is who the request acts as, for the cart's access rule.
func cartViewer(c echo.Context) cart.Viewer {
	p, _ := principalOf(c)
	return cart.Viewer{UserID: p.UserID, Staff: p.Can(auth.PermCartsManage)}
}

const cartAccess = " A guest cart is open to whoever holds its id; an account cart (created with a bearer token) " +
	"only to its owner and ADMIN+ — anyone else gets 404. Carts untouched for 30 days expire (404)."

// cartReply is a handler answering, with status, the cart f makes with the cart service
// (none: 503 carts_unavailable). Cart answers are never cached.
func cartReply(carts func() (*cart.Service, error), status int, f func(c echo.Context, svc *cart.Service) (cart.View, error)) echo.HandlerFunc {
	return withService(carts, func(c echo.Context, svc *cart.Service) error {
		v, err := f(c, svc)
		if err != nil {
			return err
		}
		noStore(c)
		return c.JSON(status, cartOut(v))
	})
}

// cartReplyBody is cartReply that first binds the strict JSON body into a new T.
func cartReplyBody[T any](carts func() (*cart.Service, error), status int, f func(c echo.Context, svc *cart.Service, req T) (cart.View, error)) echo.HandlerFunc {
	return cartReply(carts, status, func(c echo.Context, svc *cart.Service) (cart.View, error) {
		var req T
		if err := bind(c, &req); err != nil {
			return cart.View{}, err
		}
		return f(c, svc, req)
	})
}

// bindNoBody refuses a body other than an empty JSON object (createCartRequest); no body
// at all is fine.
func bindNoBody(c echo.Context) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return bind(c, &createCartRequest{})
}

func (s *Server) cartRoutes() {
	carts := func() (*cart.Service, error) {
		if s.deps.Carts == nil {
			return nil, unavailable("carts")
		}
		return s.deps.Carts, nil
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/carts", Tag: "carts", Summary: "Create a cart",
		Description: "Creates an empty cart. Without a bearer token it is a guest cart whose id is an unguessable " +
			"secret (128 random bits); with one it belongs to that account." + cartAccess,
		OptionalAuth: true, Request: createCartRequest{}, Response: cartResponse{}, Status: stdhttp.StatusCreated,
		Handler: cartReply(carts, stdhttp.StatusCreated, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			if err := bindNoBody(c); err != nil {
				return cart.View{}, err
			}
			return svc.Create(c.Request().Context(), cartViewer(c))
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/carts/:id", Tag: "carts", Summary: "Read a cart with prices from the catalog",
		Description:  "Unit prices, availability and totals are computed from the catalog now; only available lines count in the totals." + cartAccess,
		OptionalAuth: true, Response: cartResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: cartReply(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			return svc.Get(c.Request().Context(), cartViewer(c), c.Param("id"))
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/carts/:id/items", Tag: "carts", Summary: "Add a variant to a cart",
		Description: "Adds quantity (1-999) units of a variant; a variant already in the cart gets them added to its line. " +
			"An unknown variant or one whose product is not active is a 422 on variant_id; a variant priced in another currency " +
			"than the cart's is 409 currency_mismatch; not enough stock is 409 out_of_stock; a 101st line is 409 cart_full; " +
			"a checked-out cart is 409 cart_checked_out." + cartAccess,
		OptionalAuth: true, Request: addItemRequest{}, Response: cartResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: cartReplyBody(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service, req addItemRequest) (cart.View, error) {
			return svc.AddItem(c.Request().Context(), cartViewer(c), c.Param("id"), cart.AddItemInput{VariantID: req.VariantID, Quantity: req.Quantity})
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/carts/:id/items/:item_id", Tag: "carts", Summary: "Set a cart line's quantity",
		Description:  "Sets the line's quantity (1-999); raising it needs the stock." + cartAccess,
		OptionalAuth: true, Request: updateItemRequest{}, Response: cartResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: cartReplyBody(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service, req updateItemRequest) (cart.View, error) {
			return svc.UpdateItem(c.Request().Context(), cartViewer(c), c.Param("id"), c.Param("item_id"), req.Quantity)
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/carts/:id/items/:item_id", Tag: "carts", Summary: "Remove a cart line",
		Description:  "Removes the line and answers with the cart." + cartAccess,
		OptionalAuth: true, Response: cartResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: cartReply(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			return svc.RemoveItem(c.Request().Context(), cartViewer(c), c.Param("id"), c.Param("item_id"))
		})})
	s.cartPricingRoutes(carts)
}
