// Package cart owns shopping carts: guest carts addressed by an unguessable ID, account
// carts that belong to a user, their lines, and totals priced from the catalog.
package cart

// Service runs the cart use cases.
type Service struct{}
