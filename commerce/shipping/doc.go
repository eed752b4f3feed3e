// Package shipping owns how orders reach shoppers: shipping zones (countries and regions),
// methods priced flat, by weight, by order value, free over an amount, or local pickup; the
// rate quote for a cart and an address; and carriers, which name a shipment's tracking page.
package shipping
