package http

import (
	stdhttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/inventory"
)

// InventoryDeps are the components of the stock per warehouse, reservations, adjustments, transfers and movements routes.
type InventoryDeps struct {
	Inventory *inventory.Service // warehouses, levels, adjustments, transfers, movements, SKU settings, reservations
}

// levelResponse is a variant's level in one warehouse.
type levelResponse struct {
	VariantID string `json:"variant_id"`
	Warehouse string `json:"warehouse"`
	OnHand    int64  `json:"on_hand"`
	Reserved  int64  `json:"reserved"`
	Available int64  `json:"available"`
}

type warehouseList struct {
	Items []inventory.Warehouse `json:"items"`
}

type levelList struct {
	Items      []levelResponse `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

type movementList struct {
	Items      []inventory.Movement `json:"items"`
	NextCursor string               `json:"next_cursor"`
}

type reservationList struct {
	Items      []inventory.Reservation `json:"items"`
	NextCursor string                  `json:"next_cursor"`
}

var pageParams = []Param{
	{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
}

// inventoryRoutes registers the stock per warehouse, reservations, adjustments, transfers and movements routes.
func (s *Server) inventoryRoutes() {
	svc := func() (*inventory.Service, error) {
		if s.deps.Inventory == nil {
			return nil, unavailable("inventory")
		}
		return s.deps.Inventory, nil
	}
	const base = "/api/v1/admin/inventory"
	perm := auth.PermInventoryManage

	s.handle(Route{Method: "GET", Path: base + "/warehouses", Tag: "inventory", Summary: "Warehouses in allocation order",
		Description: "Every warehouse, active or not, in the order checkout allocates from (priority ascending, then code). " +
			"The default warehouse \"main\" always exists.",
		Perm: perm, Response: warehouseList{},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			ws, err := v.Warehouses(c.Request().Context())
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, warehouseList{Items: ws})
		})})
	s.handle(Route{Method: "POST", Path: base + "/warehouses", Tag: "inventory", Summary: "Create a warehouse",
		Description: "code (1-32 of a-z 0-9 - _, fixed once made), name, optional address, priority (lower allocates first, " +
			"default 100) and active (default true). A taken code is 409 warehouse_exists. Emits inventory.warehouse_created (audited).",
		Perm: perm, Request: inventory.WarehouseInput{}, Response: inventory.Warehouse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: withBody(svc, func(c echo.Context, v *inventory.Service, in inventory.WarehouseInput) error {
			w, err := v.CreateWarehouse(c.Request().Context(), in)
			if err != nil {
				return err
			}
			c.Response().Header().Set(echo.HeaderLocation, base+"/warehouses/"+w.Code)
			return jsonETag(c, stdhttp.StatusCreated, w.Version, w)
		})})
	s.handle(Route{Method: "GET", Path: base + "/warehouses/:code", Tag: "inventory", Summary: "A warehouse",
		Description: "The ETag is the warehouse's version.", Perm: perm, Response: inventory.Warehouse{},
		Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			w, err := v.Warehouse(c.Request().Context(), c.Param("code"))
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, w.Version, w)
		})})
	s.handle(Route{Method: "PUT", Path: base + "/warehouses/:code", Tag: "inventory", Summary: "Update a warehouse",
		Description: "Replaces name and address; priority and active change when given. If-Match with the ETag makes it " +
			"conditional (412 version_mismatch when stale). Deactivating follows the rules of .../deactivate. Emits " +
			"inventory.warehouse_updated (audited).",
		Perm: perm, Request: inventory.WarehouseInput{}, Response: inventory.Warehouse{},
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			var in inventory.WarehouseInput
			version, err := ifMatchBody(c, &in)
			if err != nil {
				return err
			}
			w, err := v.UpdateWarehouse(c.Request().Context(), c.Param("code"), in, version)
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, w.Version, w)
		})})
	s.handle(Route{Method: "POST", Path: base + "/warehouses/:code/deactivate", Tag: "inventory", Summary: "Deactivate a warehouse",
		Description: "Checkout stops allocating from it. It must hold no stock (409 warehouse_not_empty naming a variant: " +
			"transfer it first); the default warehouse cannot be deactivated (409 default_warehouse). If-Match optional. " +
			"Reactivate with PUT {\"active\": true}. Emits inventory.warehouse_updated (audited).",
		Perm: perm, Response: inventory.Warehouse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			w, err := v.DeactivateWarehouse(c.Request().Context(), c.Param("code"), version)
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, w.Version, w)
		})})
	s.handle(Route{Method: "GET", Path: base + "/warehouses/:code/levels", Tag: "inventory", Summary: "Stock levels in a warehouse",
		Description: "Every variant with a level in the warehouse, by variant ID: on_hand, reserved, available.",
		Perm:        perm, Query: pageParams, Response: levelList{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := v.WarehouseLevels(c.Request().Context(), c.Param("code"), page)
			if err != nil {
				return err
			}
			out := levelList{Items: make([]levelResponse, len(list.Items)), NextCursor: list.NextCursor}
			for i, l := range list.Items {
				out.Items[i] = levelResponse{VariantID: l.VariantID, Warehouse: l.Warehouse, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available()}
			}
			return c.JSON(stdhttp.StatusOK, out)
		})})
	s.handle(Route{Method: "GET", Path: base + "/warehouses/:code/movements", Tag: "inventory", Summary: "A warehouse's stock movements, newest first",
		Description: "Every change of on-hand or reserved units in the warehouse with its reason, actor, time and order or transfer.",
		Perm:        perm, Query: pageParams, Response: movementList{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: s.movements(svc, func(c echo.Context) inventory.MovementFilter {
			return inventory.MovementFilter{Warehouse: c.Param("code")}
		})})

	s.handle(Route{Method: "GET", Path: base + "/variants/:id", Tag: "inventory", Summary: "A variant's stock in every warehouse",
		Description: "on_hand, reserved and available per warehouse and in total; sellable is what the catalog shows (available, " +
			"not below zero); settings are the SKU's backorder policy and low-stock threshold.",
		Perm: perm, Response: inventory.VariantStock{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			st, err := v.VariantStock(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, st)
		})})
	s.handle(Route{Method: "GET", Path: base + "/variants/:id/movements", Tag: "inventory", Summary: "A variant's stock movements, newest first",
		Description: "Every change of the variant's on-hand or reserved units in any warehouse, with reason, actor, time and order or transfer.",
		Perm:        perm, Query: pageParams, Response: movementList{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: s.movements(svc, func(c echo.Context) inventory.MovementFilter {
			return inventory.MovementFilter{VariantID: c.Param("id")}
		})})
	s.handle(Route{Method: "GET", Path: base + "/variants/:id/settings", Tag: "inventory", Summary: "A SKU's stock settings",
		Description: "backorder (deny or allow, with an optional backorder_limit) and low_stock_threshold (absent: the configured " +
			"inventory.low_stock_threshold). The ETag is their version (0 before any PUT).",
		Perm: perm, Response: inventory.Item{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			it, err := v.Item(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, it.Version, it)
		})})
	s.handle(Route{Method: "PUT", Path: base + "/variants/:id/settings", Tag: "inventory", Summary: "Set a SKU's stock settings",
		Description: "backorder allow lets checkout reserve beyond stock (down to -backorder_limit available units when a " +
			"limit is given) and adjustments take on-hand below what is reserved. If-Match optional (412 when stale). Emits " +
			"inventory.item_updated (audited).",
		Perm: perm, Request: inventory.ItemInput{}, Response: inventory.Item{},
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			var in inventory.ItemInput
			version, err := ifMatchBody(c, &in)
			if err != nil {
				return err
			}
			it, err := v.PutItem(c.Request().Context(), c.Param("id"), in, version)
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, it.Version, it)
		})})

	s.handle(Route{Method: "POST", Path: base + "/adjustments", Tag: "inventory", Summary: "Adjust on-hand stock with a reason",
		Description: "quantity is the change (not zero): reason received or returned adds, damaged or lost takes away, " +
			"count_correction or other goes either way; note is free text; warehouse defaults to main. Taking on-hand below " +
			"zero, or below what is reserved unless the SKU allows backorders, is 409 insufficient_stock and nothing changes. " +
			"An unknown variant or warehouse is 422 naming the field. Emits inventory.adjusted (audited) and, when the " +
			"sellable units fall below the threshold, inventory.low_stock.",
		Perm: perm, Request: inventory.AdjustInput{}, Response: inventory.AdjustResult{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: withBody(svc, func(c echo.Context, v *inventory.Service, in inventory.AdjustInput) error {
			res, err := v.Adjust(c.Request().Context(), in)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusCreated, res)
		})})
	s.handle(Route{Method: "POST", Path: base + "/transfers", Tag: "inventory", Summary: "Transfer stock between warehouses",
		Description: "Moves every line's units from one warehouse's on-hand to another's in one atomic write. A line the source " +
			"does not have available is 409 insufficient_stock with {variant_id, sku, warehouse, requested, available} and " +
			"nothing moves; an inactive destination is 409 warehouse_inactive; unknown warehouses or variants are 422 naming " +
			"the field. Emits inventory.transferred (audited).",
		Perm: perm, Request: inventory.TransferInput{}, Response: inventory.Transfer{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: withBody(svc, func(c echo.Context, v *inventory.Service, in inventory.TransferInput) error {
			t, err := v.Transfer(c.Request().Context(), in)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusCreated, t)
		})})

	s.handle(Route{Method: "GET", Path: base + "/reservations", Tag: "inventory", Summary: "Active reservations, soonest expiry first",
		Description: "Orders holding stock: their allocation per warehouse and expires_at (absent: held until paid, shipped or " +
			"cancelled, for offline payment methods; listed last).",
		Perm: perm, Query: pageParams, Response: reservationList{}, Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := v.ActiveReservations(c.Request().Context(), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, reservationList{Items: list.Items, NextCursor: list.NextCursor})
		})})
	s.handle(Route{Method: "GET", Path: base + "/reservations/:order_id", Tag: "inventory", Summary: "An order's reservation",
		Description: "status active, committed (sold) or released, the allocation per warehouse and expires_at.",
		Perm:        perm, Response: inventory.Reservation{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *inventory.Service) error {
			r, err := v.Reservation(c.Request().Context(), strings.TrimSpace(c.Param("order_id")))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, r)
		})})
}

// movements is the handler of a movement list.
func (s *Server) movements(svc func() (*inventory.Service, error), filter func(echo.Context) inventory.MovementFilter) echo.HandlerFunc {
	return withService(svc, func(c echo.Context, v *inventory.Service) error {
		page, err := pageOf(c)
		if err != nil {
			return err
		}
		list, err := v.Movements(c.Request().Context(), filter(c), page)
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, movementList{Items: list.Items, NextCursor: list.NextCursor})
	})
}
