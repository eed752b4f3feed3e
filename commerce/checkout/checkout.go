// Package checkout turns a cart into an order: it prices the lines from the catalog, takes
// the stock and writes the order in one atomic step.
package checkout

// Service runs checkout.
type Service struct{}
