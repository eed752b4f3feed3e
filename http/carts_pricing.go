package http

import (
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce/cart"
)

// couponRequest is the body of POST /carts/:id/coupons.
type couponRequest struct {
	Code string `json:"code"`
}

// cartPricingRoutes registers the cart's coupon, merge and recovery routes.
func (s *Server) cartPricingRoutes(carts func() (*cart.Service, error)) {
	s.handle(Route{Method: "POST", Path: "/api/v1/carts/:id/coupons", Tag: "carts", Summary: "Keep a coupon code on a cart",
		Description: "The code (1-64 characters, compared case-insensitively) is kept on the cart, at most 10; the cart's promotions and " +
			"rejected_coupons show whether it applies now. Checkout applies the cart's codes with its own coupons and refuses a code " +
			"that does not apply (422)." + cartAccess,
		OptionalAuth: true, Request: couponRequest{}, Response: cartResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: cartReplyBody(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service, req couponRequest) (cart.View, error) {
			return svc.AddCoupon(c.Request().Context(), cartViewer(c), c.Param("id"), req.Code)
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/carts/:id/coupons/:code", Tag: "carts", Summary: "Drop a coupon code from a cart",
		Description: "A code the cart does not keep is 404 coupon_not_found." + cartAccess, OptionalAuth: true, Response: cartResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: cartReply(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			return svc.RemoveCoupon(c.Request().Context(), cartViewer(c), c.Param("id"), c.Param("code"))
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/carts/:id/merge", Tag: "carts", Summary: "Merge a guest cart into your account's cart on sign-in",
		Description: "Signed in: the guest cart's lines and coupon codes move into your open account cart (the most recently changed one; " +
			"a new one if you have none), quantities of the same variant summed and capped at 999; the guest cart is closed (status merged, " +
			"409 to further changes). Answers with the account cart. Carts in different currencies are 409 currency_mismatch; merging your " +
			"own account cart answers it unchanged.",
		Auth: true, Response: cartResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict},
		Handler: cartReply(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			if err := bindNoBody(c); err != nil {
				return cart.View{}, err
			}
			return svc.Merge(c.Request().Context(), cartViewer(c), c.Param("id"))
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/carts/recover/:token", Tag: "carts", Summary: "Open an abandoned cart from its recovery token",
		Description: "The token comes with the cart.abandoned event (e.g. in a reminder e-mail) and is valid until the cart expires; " +
			"it answers the cart (a guest cart's id again, so the shopper can continue). An unknown or expired token is 404.",
		OptionalAuth: true, Response: cartResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: cartReply(carts, stdhttp.StatusOK, func(c echo.Context, svc *cart.Service) (cart.View, error) {
			return svc.Recover(c.Request().Context(), c.Param("token"))
		})})
}
