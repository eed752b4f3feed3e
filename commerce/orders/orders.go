// Package orders owns orders after they are placed: their lines, totals, status machine and
// history.
package orders

// Service runs the order use cases.
type Service struct{}
