// Package commerce is the shared kernel of UltraMarket's business domains: error kinds,
// identifiers, money, the event envelope, the clock and list pagination. It imports only the
// standard library; every domain package under commerce/ builds on it, and adapters (store,
// http, bus, index) translate their engines' types to and from these.
package commerce
