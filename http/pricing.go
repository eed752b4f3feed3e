package http

import (
	"context"
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
	lists := versioned[*pricing.Service, pricing.PriceList, priceListRequest]{svc: svc,
		list: (*pricing.Service).PriceLists, get: (*pricing.Service).PriceList, delete: (*pricing.Service).DeletePriceList,
		save: func(p *pricing.Service, ctx context.Context, id string, req priceListRequest, version int64) (pricing.PriceList, error) {
			return p.SavePriceList(ctx, id, pricing.PriceList{Name: req.Name, Currency: req.Currency, CustomerGroup: req.CustomerGroup,
				Priority: req.Priority, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Prices: req.Prices}, version)
		},
		version: func(l pricing.PriceList) int64 { return l.Version }}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/price-lists", Tag: "pricing", Summary: "Price lists, by ID", Perm: perm,
		Query: pageQ, Response: commerce.List[pricing.PriceList]{}, Handler: lists.page()})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/price-lists", Tag: "pricing", Summary: "Create a price list",
		Description: "Prices variants (by variant ID) in one currency for everyone or one customer group, optionally within starts_at/ends_at. " +
			"Each variant has amount (minor units), compare_at and quantity tiers [{min_quantity >= 2, amount}]. At checkout and in carts each line " +
			"gets the price of the applicable list with the highest priority (then the lower ID) at the tier of its quantity, else the variant's own price.",
		Perm: perm, Request: priceListRequest{}, Response: pricing.PriceList{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity}, Handler: lists.create()})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "A price list", Perm: perm,
		Response: pricing.PriceList{}, Errors: []int{stdhttp.StatusNotFound}, Handler: lists.read()})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "Replace a price list",
		Description: "Every field is replaced." + pricingIfMatch, Perm: perm, Request: priceListRequest{}, Response: pricing.PriceList{},
		Errors: crud, Handler: lists.replace()})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/price-lists/:id", Tag: "pricing", Summary: "Delete a price list",
		Description: pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent, Errors: crud[:2], Handler: lists.remove()})

	// Promotions and coupons.
	promos := versioned[*pricing.Service, pricing.PromotionRecord, pricing.PromotionInput]{svc: svc,
		list: (*pricing.Service).Promotions, get: (*pricing.Service).Promotion, save: (*pricing.Service).SavePromotion,
		delete: (*pricing.Service).DeletePromotion, version: func(r pricing.PromotionRecord) int64 { return r.Version }}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions", Tag: "pricing", Summary: "Promotions and coupons, by ID", Perm: perm,
		Query: pageQ, Response: commerce.List[pricing.PromotionRecord]{}, Handler: promos.page()})
	promoDoc := "kind percentage (percent in basis points), fixed_amount (amount), free_shipping or buy_x_get_y (buy_x, get_y, get_y_percent); " +
		"target {product_ids, category_ids} (empty = whole order); min_subtotal; starts_at/ends_at; usage_limit and per_customer_limit " +
		"(0 = unlimited, enforced at checkout); stackable and priority. Without code it applies automatically; with one (unique, " +
		"case-insensitive) only to carts or checkouts carrying it. A code used by another promotion is 409 coupon_code_taken."
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/promotions", Tag: "pricing", Summary: "Create a promotion or coupon",
		Description: promoDoc, Perm: perm, Request: pricing.PromotionInput{}, Response: pricing.PromotionRecord{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict}, Handler: promos.create()})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "A promotion", Perm: perm,
		Response: pricing.PromotionRecord{}, Errors: []int{stdhttp.StatusNotFound}, Handler: promos.read()})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "Replace a promotion",
		Description: promoDoc + pricingIfMatch, Perm: perm, Request: pricing.PromotionInput{}, Response: pricing.PromotionRecord{},
		Errors: append([]int{stdhttp.StatusConflict}, crud...), Handler: promos.replace()})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/promotions/:id", Tag: "pricing", Summary: "Delete a promotion",
		Description: "Its code is free again; its usage counters stay." + pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent,
		Errors: crud[:2], Handler: promos.remove()})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/promotions/:id/usage", Tag: "pricing", Summary: "How often a promotion was redeemed",
		Description: "total counts every order it applied to; customers (a page at a time) are kept for promotions with a per_customer_limit.",
		Perm:        perm, Query: pageQ, Response: promotionUsageResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, p *pricing.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			u, next, err := p.Usage(c.Request().Context(), c.Param("id"), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, promotionUsageResponse{PromotionUsage: u, NextCursor: next})
		})})

	// Tax zones.
	zones := versioned[*pricing.Service, pricing.TaxZone, taxZoneRequest]{svc: svc,
		get: (*pricing.Service).TaxZone, delete: (*pricing.Service).DeleteTaxZone,
		save: func(p *pricing.Service, ctx context.Context, id string, req taxZoneRequest, version int64) (pricing.TaxZone, error) {
			return p.SaveTaxZone(ctx, id, pricing.TaxZone{Name: req.Name,
				Zone: pricing.Zone{Country: req.Country, Region: req.Region, Rate: req.Rate, Inclusive: req.Inclusive}}, version)
		},
		version: func(z pricing.TaxZone) int64 { return z.Version }}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/tax-zones", Tag: "pricing", Summary: "Every tax zone", Perm: perm,
		Response: commerce.List[pricing.TaxZone]{}, Handler: withService(svc, func(c echo.Context, p *pricing.Service) error {
			zs, err := p.TaxZones(c.Request().Context())
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, commerce.List[pricing.TaxZone]{Items: zs})
		})})
	zoneDoc := "A country (ISO 3166-1 alpha-2) and optionally a region with its rate in basis points (1200 = 12%). Checkout taxes an order " +
		"with the zone of its shipping address (the region's, else the country-wide one); inclusive zones (or [pricing] prices_include_tax) " +
		"take the tax out of the prices, others add it. One zone per country and region (409 tax_zone_taken)."
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/tax-zones", Tag: "pricing", Summary: "Create a tax zone", Description: zoneDoc,
		Perm: perm, Request: taxZoneRequest{}, Response: pricing.TaxZone{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict}, Handler: zones.create()})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "A tax zone", Perm: perm,
		Response: pricing.TaxZone{}, Errors: []int{stdhttp.StatusNotFound}, Handler: zones.read()})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "Replace a tax zone",
		Description: zoneDoc + pricingIfMatch, Perm: perm, Request: taxZoneRequest{}, Response: pricing.TaxZone{},
		Errors: append([]int{stdhttp.StatusConflict}, crud...), Handler: zones.replace()})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/admin/tax-zones/:id", Tag: "pricing", Summary: "Delete a tax zone",
		Description: pricingIfMatch, Perm: perm, Status: stdhttp.StatusNoContent, Errors: crud[:2], Handler: zones.remove()})

	// Customer groups.
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/customer-groups/:user_id", Tag: "pricing", Summary: "A user's customer group",
		Perm: perm, Response: customerGroupResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, p *pricing.Service) error {
			g, err := p.Group(c.Request().Context(), c.Param("user_id"))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, customerGroupResponse{UserID: c.Param("user_id"), CustomerGroup: g})
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/admin/customer-groups/:user_id", Tag: "pricing", Summary: "Put a user in a customer group",
		Description: "customer_group: 1-64 lower-case letters, digits, '-' or '_'; \"\" takes the user out of any group. Price lists for the " +
			"group apply to the user's carts and checkouts.",
		Perm: perm, Request: customerGroupRequest{}, Response: customerGroupResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, p *pricing.Service, req customerGroupRequest) error {
			g, err := p.SetGroup(c.Request().Context(), c.Param("user_id"), req.CustomerGroup)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, customerGroupResponse{UserID: c.Param("user_id"), CustomerGroup: g})
		})})
}
