package http

// LedgerDeps are the components of the gift cards, wallets (store credit), the ledger check and the fraud review queue routes.
type LedgerDeps struct{}

// ledgerRoutes registers the gift cards, wallets (store credit), the ledger check and the fraud review queue routes.
func (s *Server) ledgerRoutes() {}
