// Package payments owns payments of orders: the payment record and its status machine,
// the methods a shop accepts (offline: cash and a manual card terminal; stored value:
// wallet and gift card, settled from a ledger balance; gateways: Stripe, PayPal, Payme,
// Click, UzCard), refunds, and the idempotent handling of what gateways tell us. Gateway
// adapters live outside the domain (package gateways/...) and meet it through Gateway,
// Webhook and Notifier; stored value meets it through Ledger.
package payments
