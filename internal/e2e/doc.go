// Package e2e holds end-to-end tests that run the whole in-process app (internal/apptest)
// against local fakes of the outside services it talks to, such as the payment gateways'
// APIs (gateways/stripe/stripetest, gateways/paypal/paypaltest).
package e2e
