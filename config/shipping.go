package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Shipping configures shipping zones, methods and carriers.
type Shipping struct {
	Carriers []ShippingCarrier `toml:"carriers" comment:"Carriers besides the built-in ones (manual = own delivery, ups, usps, fedex, dhl), as [[shipping.carriers]] tables with id, name and tracking_url; an entry with a built-in ID replaces it."`
}

// ShippingCarrier is one configured carrier.
type ShippingCarrier struct {
	ID          string `toml:"id" comment:"Carrier ID used by shipping methods and orders: lower-case letters, digits, '-' or '_'."`
	Name        string `toml:"name" comment:"Name shown to shoppers."`
	TrackingURL string `toml:"tracking_url" comment:"Public tracking page, with {number} where the tracking number goes; empty when there is none."`
}

// carrierID is the form of a carrier ID.
var carrierID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// defaultShipping returns the [shipping] defaults.
func defaultShipping() Shipping { return Shipping{Carriers: []ShippingCarrier{}} }

// validate reports every bad [shipping] key.
func (c Shipping) validate(v *validator) {
	seen := map[string]bool{}
	for i, x := range c.Carriers {
		key := fmt.Sprintf("shipping.carriers[%d]", i)
		v.check(carrierID.MatchString(x.ID), key+".id", fmt.Sprintf("%q must be 1-32 lower-case letters, digits, '-' or '_'", x.ID))
		v.check(!seen[x.ID], key+".id", fmt.Sprintf("%q is listed twice", x.ID))
		seen[x.ID] = true
		v.check(strings.TrimSpace(x.Name) != "", key+".name", "must not be empty")
		if x.TrackingURL != "" {
			u, err := url.Parse(strings.ReplaceAll(x.TrackingURL, "{number}", "0"))
			v.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.Contains(x.TrackingURL, "{number}"),
				key+".tracking_url", fmt.Sprintf("%q must be an http or https URL containing {number}", x.TrackingURL))
		}
	}
}
