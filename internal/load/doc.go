// Package load owns the storefront load run behind `make bench`: it drives a running
// UltraMarket server over HTTP for a fixed time per case with a fixed number of connections
// (closed loop, on fasthttp's client so the generator leaves the shared cores to the server), measures a bare Echo handler in another process as
// the machine's ceiling, checks after the checkout case that no unit was oversold, and
// reports requests/s, p50, p99 and errors per case against the targets.
//
// The cases are product by id, product list with a category filter, search, add-to-cart and
// checkout. Everything a timed case needs (carts, filled carts, hot variants with enough
// stock) is prepared before its clock starts.
package load
