// Package pricing owns the pure price arithmetic of the shop: promotions and coupons
// (percentage, fixed amount, free shipping, buy X get Y; validity windows, usage and
// per-customer limits, stacking rules) evaluated against a cart, and tax zones with
// inclusive or exclusive rates. It does no I/O: callers load promotions, usage counts and
// zones and persist what was applied. It imports only the standard library and commerce.
//
// Amounts are integer minor units (commerce.Money). Rounding rules:
//   - a percentage discount is computed per line and rounded half-even to the minor unit;
//   - a buy-X-get-Y discount is computed per line on the discounted units' share of the line
//     and rounded half-even;
//   - a fixed-amount discount is capped at the targeted lines' remaining amount and allocated
//     across those lines in proportion to their remaining amounts by the largest-remainder
//     method (ties to the earlier line), so the line shares sum to it exactly;
//   - no discount ever exceeds the remaining amount of its line, order or shipping;
//   - Result.OrderDiscount is exactly the sum of the line discounts;
//   - exclusive tax is amount×rate rounded half-even; inclusive tax is gross minus the net
//     (gross÷(1+rate) rounded half-even), so net + tax == gross exactly;
//   - a priced cart's tax (TaxResult) is rounded per line and on shipping, and its total is
//     the exact sum of those.
package pricing
