package config

import "strings"

// Pricing configures price lists, promotions and taxes.
type Pricing struct {
	PricesIncludeTax bool   `toml:"prices_include_tax" comment:"Shelf prices include tax everywhere (VAT-style): every tax zone's rate is then taken out of the price instead of added to it. When false, each tax zone's own inclusive flag decides."`
	TaxShipping      bool   `toml:"tax_shipping" comment:"Shipping is taxed at the zone's rate like the goods."`
	EstimateCountry  string `toml:"estimate_country" comment:"ISO 3166-1 alpha-2 country whose tax zone the cart view estimates tax with (checkout uses the shipping address); empty shows no tax estimate."`
	EstimateRegion   string `toml:"estimate_region" comment:"Region within estimate_country for the cart's tax estimate; empty uses the country-wide zone."`
}

// defaultPricing returns the [pricing] defaults.
func defaultPricing() Pricing { return Pricing{TaxShipping: true} }

// validate reports every bad [pricing] key.
func (c Pricing) validate(v *validator) {
	cc := c.EstimateCountry
	v.check(cc == "" || (len(cc) == 2 && strings.ToUpper(cc) == cc && strings.Trim(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""),
		"pricing.estimate_country", "must be empty or an upper-case ISO 3166-1 alpha-2 code")
	v.check(len(c.EstimateRegion) <= 100, "pricing.estimate_region", "must be at most 100 characters")
}
