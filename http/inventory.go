package http

// InventoryDeps are the components of the stock per warehouse, reservations, adjustments, transfers and movements routes.
type InventoryDeps struct{}

// inventoryRoutes registers the stock per warehouse, reservations, adjustments, transfers and movements routes.
func (s *Server) inventoryRoutes() {}
