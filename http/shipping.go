package http

import (
	stdhttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/shipping"
)

// ShippingDeps are the components of the shipping zones, methods, rate quotes and carriers routes.
type ShippingDeps struct {
	Shipping *shipping.Service
	// Carriers are the shop's carriers (built-in and configured); orders use them for
	// tracking links.
	Carriers *shipping.Carriers
}

type zoneList struct {
	Items      []shipping.Zone `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

type methodList struct {
	Items      []shipping.Method `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// carrierResponse is a carrier as shoppers and admins see it.
type carrierResponse struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	HasTracking bool   `json:"has_tracking"` // the carrier has a public tracking page
}

type carrierList struct {
	Items      []carrierResponse `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// ratesRequest asks what shipping to an address costs: for a cart (by its ID, like the cart
// routes) or for lines.
type ratesRequest struct {
	CartID  string           `json:"cart_id,omitempty"`
	Lines   []shipping.Line  `json:"lines,omitempty"`
	Address commerce.Address `json:"address"`
}

// rateResponse is one method serving the address with its price.
type rateResponse struct {
	MethodID    string           `json:"method_id"`
	Name        string           `json:"name"`
	Kind        string           `json:"kind"`
	Amount      commerce.Money   `json:"amount"`
	CarrierID   string           `json:"carrier_id"`
	CarrierName string           `json:"carrier_name,omitempty"`
	MinDays     int              `json:"min_days,omitempty"`
	MaxDays     int              `json:"max_days,omitempty"`
	Pickup      *shipping.Pickup `json:"pickup,omitempty"`
}

// ratesResponse lists the methods cheapest first, with what they were priced for.
type ratesResponse struct {
	Items       []rateResponse `json:"items"`
	NextCursor  string         `json:"next_cursor"`
	Subtotal    commerce.Money `json:"subtotal"`
	WeightGrams int64          `json:"weight_grams"`
}

// shippingRoutes registers the shipping zones, methods, rate quotes and carriers routes.
func (s *Server) shippingRoutes() {
	svc := func() (*shipping.Service, error) {
		if s.deps.Shipping == nil {
			return nil, unavailable("shipping")
		}
		return s.deps.Shipping, nil
	}
	errs := []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity}
	const zonesPath, methodsPath = "/api/v1/admin/shipping/zones", "/api/v1/admin/shipping/methods"
	const zoneDoc = "A zone is countries (ISO 3166-1 alpha-2; an empty list means every country), optionally narrowed by regions " +
		"(as the address gives them, or ISO 3166-2 like US-CA) and postal-code prefixes. An address belongs to the most specific " +
		"zone containing it: a postal prefix (longest first) beats a region, a region beats a country, a country beats an every-country zone."

	s.handle(Route{Method: "GET", Path: zonesPath, Tag: "shipping", Summary: "List shipping zones",
		Description: "Every shipping zone, oldest first (a shop has at most 500). " + zoneDoc,
		Perm:        auth.PermShippingManage, Response: zoneList{},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			zs, err := x.Zones(c.Request().Context())
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, zoneList{Items: zs})
		})})
	s.handle(Route{Method: "POST", Path: zonesPath, Tag: "shipping", Summary: "Create a shipping zone",
		Description: zoneDoc + " Emits shipping.zone_created.",
		Perm:        auth.PermShippingManage, Request: shipping.ZoneInput{}, Response: shipping.Zone{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, x *shipping.Service, in shipping.ZoneInput) error {
			z, err := x.CreateZone(c.Request().Context(), in)
			if err != nil {
				return err
			}
			c.Response().Header().Set(echo.HeaderLocation, zonesPath+"/"+z.ID)
			return jsonETag(c, stdhttp.StatusCreated, z.Version, z)
		})})
	s.handle(Route{Method: "GET", Path: zonesPath + "/:id", Tag: "shipping", Summary: "Get a shipping zone",
		Perm: auth.PermShippingManage, Response: shipping.Zone{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			z, err := x.Zone(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, z.Version, z)
		})})
	s.handle(Route{Method: "PUT", Path: zonesPath + "/:id", Tag: "shipping", Summary: "Replace a shipping zone",
		Description: "Replaces the zone's name and areas. If-Match (the zone's ETag) makes it conditional: a stale one is 412 " +
			"version_mismatch. Emits shipping.zone_updated.",
		Perm: auth.PermShippingManage, Request: shipping.ZoneInput{}, Response: shipping.Zone{}, Errors: errs,
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			var in shipping.ZoneInput
			version, err := ifMatchVersionBody(c, &in)
			if err != nil {
				return err
			}
			z, err := x.UpdateZone(c.Request().Context(), c.Param("id"), in, version)
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, z.Version, z)
		})})
	s.handle(Route{Method: "DELETE", Path: zonesPath + "/:id", Tag: "shipping", Summary: "Delete a shipping zone",
		Description: "Deletes a zone without methods (409 zone_has_methods names them otherwise). If-Match is honoured. " +
			"Emits shipping.zone_deleted.",
		Perm: auth.PermShippingManage, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			version, err := ifMatchVersion(c)
			if err != nil {
				return err
			}
			if err := x.DeleteZone(c.Request().Context(), c.Param("id"), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})

	const methodDoc = "kind: flat (amount), weight (brackets [{up_to grams, amount}], inclusive, ascending; up_to 0 on the last " +
		"bracket means \"and above\"; per_extra_kg adds an amount per started kg beyond the last bracket), price (brackets by " +
		"order subtotal in minor units), free_over (amount, free when the subtotal is at least threshold), pickup (pickup.location " +
		"and address; amount usually 0). Amounts are minor units of currency; a method serves only carts in its currency. " +
		"active (default true), min_days/max_days (estimated delivery), carrier_id (default manual; GET /api/v1/shipping/carriers)."
	s.handle(Route{Method: "GET", Path: methodsPath, Tag: "shipping", Summary: "List shipping methods",
		Description: "Every shipping method, oldest first, or those of one zone (zone_id). " + methodDoc,
		Perm:        auth.PermShippingManage, Response: methodList{}, Errors: []int{stdhttp.StatusNotFound},
		Query: []Param{{Name: "zone_id", Type: "string", Description: "only this zone's methods"}},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			ms, err := x.Methods(c.Request().Context(), strings.TrimSpace(c.QueryParam("zone_id")))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, methodList{Items: ms})
		})})
	s.handle(Route{Method: "POST", Path: methodsPath, Tag: "shipping", Summary: "Create a shipping method",
		Description: methodDoc + " Emits shipping.method_created.",
		Perm:        auth.PermShippingManage, Request: shipping.MethodInput{}, Response: shipping.Method{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, x *shipping.Service, in shipping.MethodInput) error {
			m, err := x.CreateMethod(c.Request().Context(), in)
			if err != nil {
				return err
			}
			c.Response().Header().Set(echo.HeaderLocation, methodsPath+"/"+m.ID)
			return jsonETag(c, stdhttp.StatusCreated, m.Version, m)
		})})
	s.handle(Route{Method: "GET", Path: methodsPath + "/:id", Tag: "shipping", Summary: "Get a shipping method",
		Perm: auth.PermShippingManage, Response: shipping.Method{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			m, err := x.Method(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, m.Version, m)
		})})
	s.handle(Route{Method: "PUT", Path: methodsPath + "/:id", Tag: "shipping", Summary: "Replace a shipping method",
		Description: methodDoc + " If-Match (the method's ETag) makes it conditional: a stale one is 412 version_mismatch. " +
			"Orders already placed keep the method as it was. Emits shipping.method_updated.",
		Perm: auth.PermShippingManage, Request: shipping.MethodInput{}, Response: shipping.Method{}, Errors: errs,
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			var in shipping.MethodInput
			version, err := ifMatchVersionBody(c, &in)
			if err != nil {
				return err
			}
			m, err := x.UpdateMethod(c.Request().Context(), c.Param("id"), in, version)
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, m.Version, m)
		})})
	s.handle(Route{Method: "DELETE", Path: methodsPath + "/:id", Tag: "shipping", Summary: "Delete a shipping method",
		Description: "Orders placed with it keep their copy. If-Match is honoured. Emits shipping.method_deleted.",
		Perm:        auth.PermShippingManage, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, x *shipping.Service) error {
			version, err := ifMatchVersion(c)
			if err != nil {
				return err
			}
			if err := x.DeleteMethod(c.Request().Context(), c.Param("id"), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/shipping/carriers", Tag: "shipping", Summary: "List carriers",
		Description: "The shop's carriers: manual (the merchant's own delivery), ups, usps, fedex, dhl and those of [shipping] carriers.",
		Response:    carrierList{},
		Handler: func(c echo.Context) error {
			cs := s.deps.Carriers
			if cs == nil {
				cs = shipping.NewCarriers(shipping.Builtin()...)
			}
			out := carrierList{Items: []carrierResponse{}}
			for _, x := range cs.List() {
				out.Items = append(out.Items, carrierResponse{ID: x.ID(), Name: x.Name(), HasTracking: x.TrackingURL("0") != ""})
			}
			return c.JSON(stdhttp.StatusOK, out)
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/shipping/rates", Tag: "shipping", Summary: "Quote shipping rates",
		Description: "The shipping methods serving an address (country required; region and postal_code pick narrower zones) " +
			"with their price for a cart (cart_id: a guest cart by its secret ID, an account cart by its owner) or for lines " +
			"[{variant_id, quantity}], cheapest first. The price uses the total weight (variants' weight_grams × quantity) and the " +
			"subtotal (the cart's priced lines, in the cart's currency; for lines, the variants' prices). An empty list means " +
			"nothing ships there.",
		OptionalAuth: true, Request: ratesRequest{}, Response: ratesResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, x *shipping.Service, req ratesRequest) error {
			ctx := c.Request().Context()
			req.CartID = strings.TrimSpace(req.CartID)
			var priced *shipping.Priced
			lines := req.Lines
			switch {
			case req.CartID != "" && len(req.Lines) > 0:
				return commerce.Invalid(commerce.FieldError{Field: "lines", Message: "send either cart_id or lines, not both"})
			case req.CartID == "" && len(req.Lines) == 0:
				return commerce.Invalid(commerce.FieldError{Field: "cart_id", Message: "cart_id or lines is required"})
			case req.CartID != "":
				if s.deps.Carts == nil {
					return unavailable("carts")
				}
				view, err := s.deps.Carts.Get(ctx, cartViewer(c), req.CartID)
				if err != nil {
					return err
				}
				lines = lines[:0]
				for _, it := range view.Items {
					if it.Available {
						lines = append(lines, shipping.Line{VariantID: it.VariantID, Quantity: it.Quantity})
					}
				}
				if len(lines) == 0 {
					return commerce.Invalid(commerce.FieldError{Field: "cart_id", Message: "the cart has no lines that can be bought"})
				}
				priced = &shipping.Priced{Currency: view.Totals.Subtotal.Currency, Subtotal: view.Totals.Subtotal.Amount}
			}
			a := req.Address.Normalize()
			rates, p, err := x.Rates(ctx, shipping.Destination{Country: a.Country, Region: a.Region, PostalCode: a.PostalCode}, lines, priced)
			if err != nil {
				return err
			}
			out := ratesResponse{Items: make([]rateResponse, len(rates)), WeightGrams: p.WeightGrams,
				Subtotal: commerce.Money{Amount: p.Subtotal, Currency: p.Currency}}
			for i, r := range rates {
				m := r.Method
				out.Items[i] = rateResponse{MethodID: m.ID, Name: m.Name, Kind: m.Kind, Amount: r.Amount, CarrierID: m.CarrierID,
					MinDays: m.MinDays, MaxDays: m.MaxDays, Pickup: m.Pickup}
				if cr, ok := x.Carriers().Get(m.CarrierID); ok {
					out.Items[i].CarrierName = cr.Name()
				}
			}
			return c.JSON(stdhttp.StatusOK, out)
		})})
}

// ifMatchVersionBody is ifMatchBody as the shipping service takes the version: nil when
// there is no precondition.
func ifMatchVersionBody(c echo.Context, req any) (*int64, error) {
	v, err := ifMatchBody(c, req)
	if err != nil || v == 0 {
		return nil, err
	}
	return &v, nil
}
