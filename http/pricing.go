package http

import (
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// PricingDeps are the components of the price lists, promotions, coupons and tax zones routes.
type PricingDeps struct {
	Pricing *pricing.Service
}

// priceListRequest is the body of a price list create or replace.
type priceListRequest struct {
	Name          string                          `json:"name"`
	Currency      string                          `json:"currency"`
	CustomerGroup string                          `json:"customer_group"`
	Priority      int                             `json:"priority"`
	StartsAt      time.Time                       `json:"starts_at,omitzero"`
	EndsAt        time.Time                       `json:"ends_at,omitzero"`
	Prices        map[string]pricing.VariantPrice `json:"prices"`
}

type taxZoneRequest struct {
	Name      string `json:"name"`
	Country   string `json:"country"`
	Region    string `json:"region"`
	Rate      int64  `json:"rate"`
	Inclusive bool   `json:"inclusive"`
}

type customerGroupRequest struct {
	CustomerGroup string `json:"customer_group"`
}

type customerGroupResponse struct {
	UserID        string `json:"user_id"`
	CustomerGroup string `json:"customer_group"`
}

type promotionUsageResponse struct {
	pricing.PromotionUsage
	NextCursor string `json:"next_cursor"`
}

const pricingIfMatch = " With If-Match, a stale version answers 412 version_mismatch."

// pricingRoutes registers the price lists, promotions, coupons and tax zones routes.
func (s *Server) pricingRoutes() {
	svc := func() (*pricing.Service, error) {
		if s.deps.Pricing == nil {
			return nil, unavailable("pricing")
		}
		return s.deps.Pricing, nil
	}
	pageQ := []Param{{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}}
	crud := []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity}
	perm := auth.PermPricingManage

	// Price lists.
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/price-lists", Tag: "pricing", Summary: "Price lists, by ID", Perm: perm,
		Query: pageQ, Response: commerce.List[pricing.PriceList]{}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			l, err := p.PriceLists(c.Request().Context(), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, l)
		}})
	savePriceList := func(c echo.Context, id string) error {
		p, err := svc()
		if err != nil {
			return err
		}
		version, err := ifMatch(c)
		if err != nil {
			return err
		}
		var req priceListRequest
		if err := bind(c, &req); err != nil {
			return err
		}
		l, err := p.SavePriceList(c.Request().Context(), id, pricing.PriceList{Name: req.Name, Currency: req.Currency, CustomerGroup: req.CustomerGroup,
			Priority: req.Priority, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Prices: req.Prices}, version)
		if err != nil {
			return err
		}
		setETag(c, l.Version)
		status := stdhttp.StatusOK
		if id == "" {
			status = stdhttp.StatusCreated
		}
		return c.JSON(status, l)
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/price-lists", Tag: "pricing", Summary: "Create a price list",
		Description: "Prices variants (by variant ID) in one currency for everyone or one customer group, optionally within starts_at/ends_at. " +
			"Each variant has amount (minor units), compare_at and quantity tiers [{min_quantity >= 2, amount}]. At checkout and in carts each line " +
			"gets the price of the applicable list with the highest priority (then the lower ID) at the tier of its quantity, else the variant's own price.",
		Perm: perm, Request: priceListRequest{}, Response: pricing.PriceList{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity}, Handler: func(c echo.Context) error { return savePriceList(c, "") }})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "A price list", Perm: perm,
		Response: pricing.PriceList{}, Errors: []int{stdhttp.StatusNotFound}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			l, err := p.PriceList(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			setETag(c, l.Version)
			return c.JSON(stdhttp.StatusOK, l)
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "Replace a price list",
		Description: "Every field is replaced." + pricingIfMatch, Perm: perm, Request: priceListRequest{}, Response: pricing.PriceList{},
		Errors: crud, Handler: func(c echo.Context) error { return savePriceList(c, c.Param("id")) }})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "Delete a price list",
		Description: pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent, Errors: crud[:2], Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			if err := p.DeletePriceList(c.Request().Context(), c.Param("id"), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})

	// Promotions and coupons.
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions", Tag: "pricing", Summary: "Promotions and coupons, by ID", Perm: perm,
		Query: pageQ, Response: commerce.List[pricing.PromotionRecord]{}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			l, err := p.Promotions(c.Request().Context(), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, l)
		}})
	savePromotion := func(c echo.Context, id string) error {
		p, err := svc()
		if err != nil {
			return err
		}
		version, err := ifMatch(c)
		if err != nil {
			return err
		}
		var req pricing.PromotionInput
		if err := bind(c, &req); err != nil {
			return err
		}
		rec, err := p.SavePromotion(c.Request().Context(), id, req, version)
		if err != nil {
			return err
		}
		setETag(c, rec.Version)
		status := stdhttp.StatusOK
		if id == "" {
			status = stdhttp.StatusCreated
		}
		return c.JSON(status, rec)
	}
	promoDoc := "kind percentage (percent in basis points), fixed_amount (amount), free_shipping or buy_x_get_y (buy_x, get_y, get_y_percent); " +
		"target {product_ids, category_ids} (empty = whole order); min_subtotal; starts_at/ends_at; usage_limit and per_customer_limit " +
		"(0 = unlimited, enforced at checkout); stackable and priority. Without code it applies automatically; with one (unique, " +
		"case-insensitive) only to carts or checkouts carrying it. A code used by another promotion is 409 coupon_code_taken."
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/promotions", Tag: "pricing", Summary: "Create a promotion or coupon",
		Description: promoDoc, Perm: perm, Request: pricing.PromotionInput{}, Response: pricing.PromotionRecord{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict}, Handler: func(c echo.Context) error { return savePromotion(c, "") }})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "A promotion", Perm: perm,
		Response: pricing.PromotionRecord{}, Errors: []int{stdhttp.StatusNotFound}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			rec, err := p.Promotion(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			setETag(c, rec.Version)
			return c.JSON(stdhttp.StatusOK, rec)
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "Replace a promotion",
		Description: promoDoc + pricingIfMatch, Perm: perm, Request: pricing.PromotionInput{}, Response: pricing.PromotionRecord{},
		Errors: append([]int{stdhttp.StatusConflict}, crud...), Handler: func(c echo.Context) error { return savePromotion(c, c.Param("id")) }})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "Delete a promotion",
		Description: "Its code is free again; its usage counters stay." + pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent,
		Errors: crud[:2], Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			if err := p.DeletePromotion(c.Request().Context(), c.Param("id"), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions/:id/usage", Tag: "pricing", Summary: "How often a promotion was redeemed",
		Description: "total counts every order it applied to; customers (a page at a time) are kept for promotions with a per_customer_limit.",
		Perm:        perm, Query: pageQ, Response: promotionUsageResponse{}, Errors: []int{stdhttp.StatusNotFound}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			u, next, err := p.Usage(c.Request().Context(), c.Param("id"), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, promotionUsageResponse{PromotionUsage: u, NextCursor: next})
		}})

	// Tax zones.
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/tax-zones", Tag: "pricing", Summary: "Every tax zone", Perm: perm,
		Response: commerce.List[pricing.TaxZone]{}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			zs, err := p.TaxZones(c.Request().Context())
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, commerce.List[pricing.TaxZone]{Items: zs})
		}})
	saveZone := func(c echo.Context, id string) error {
		p, err := svc()
		if err != nil {
			return err
		}
		version, err := ifMatch(c)
		if err != nil {
			return err
		}
		var req taxZoneRequest
		if err := bind(c, &req); err != nil {
			return err
		}
		z, err := p.SaveTaxZone(c.Request().Context(), id, pricing.TaxZone{Name: req.Name,
			Zone: pricing.Zone{Country: req.Country, Region: req.Region, Rate: req.Rate, Inclusive: req.Inclusive}}, version)
		if err != nil {
			return err
		}
		setETag(c, z.Version)
		status := stdhttp.StatusOK
		if id == "" {
			status = stdhttp.StatusCreated
		}
		return c.JSON(status, z)
	}
	zoneDoc := "A country (ISO 3166-1 alpha-2) and optionally a region with its rate in basis points (1200 = 12%). Checkout taxes an order " +
		"with the zone of its shipping address (the region's, else the country-wide one); inclusive zones (or [pricing] prices_include_tax) " +
		"take the tax out of the prices, others add it. One zone per country and region (409 tax_zone_taken)."
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/tax-zones", Tag: "pricing", Summary: "Create a tax zone", Description: zoneDoc,
		Perm: perm, Request: taxZoneRequest{}, Response: pricing.TaxZone{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict}, Handler: func(c echo.Context) error { return saveZone(c, "") }})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "A tax zone", Perm: perm,
		Response: pricing.TaxZone{}, Errors: []int{stdhttp.StatusNotFound}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			z, err := p.TaxZone(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			setETag(c, z.Version)
			return c.JSON(stdhttp.StatusOK, z)
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "Replace a tax zone",
		Description: zoneDoc + pricingIfMatch, Perm: perm, Request: taxZoneRequest{}, Response: pricing.TaxZone{},
		Errors: append([]int{stdhttp.StatusConflict}, crud...), Handler: func(c echo.Context) error { return saveZone(c, c.Param("id")) }})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "Delete a tax zone",
		Description: pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent, Errors: crud[:2], Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			if err := p.DeleteTaxZone(c.Request().Context(), c.Param("id"), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})

	// Customer groups.
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/customer-groups/:user_id", Tag: "pricing", Summary: "A user's customer group",
		Perm: perm, Response: customerGroupResponse{}, Errors: []int{stdhttp.StatusNotFound}, Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			g, err := p.Group(c.Request().Context(), c.Param("user_id"))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, customerGroupResponse{UserID: c.Param("user_id"), CustomerGroup: g})
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/customer-groups/:user_id", Tag: "pricing", Summary: "Put a user in a customer group",
		Description: "customer_group: 1-64 lower-case letters, digits, '-' or '_'; \"\" takes the user out of any group. Price lists for the " +
			"group apply to the user's carts and checkouts.",
		Perm: perm, Request: customerGroupRequest{}, Response: customerGroupResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			p, err := svc()
			if err != nil {
				return err
			}
			var req customerGroupRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			g, err := p.SetGroup(c.Request().Context(), c.Param("user_id"), req.CustomerGroup)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, customerGroupResponse{UserID: c.Param("user_id"), CustomerGroup: g})
		}})
}
