package shipping

import (
	"net/url"
	"sort"
	"strings"
)

// Carrier is who carries a shipment. The built-in manual carrier is the merchant's own
// delivery (or any carrier they type in); configured carriers add a tracking page.
type Carrier interface {
	ID() string
	Name() string
	// TrackingURL is the public tracking page of a shipment, or "" when there is none.
	TrackingURL(trackingNumber string) string
}

// Manual is a carrier with an optional tracking page template: "{number}" in URLTemplate
// is replaced by the query-escaped tracking number.
type Manual struct {
	CarrierID   string
	CarrierName string
	URLTemplate string
}

// ID returns the carrier's ID.
func (m Manual) ID() string { return m.CarrierID }

// Name returns the carrier's display name.
func (m Manual) Name() string { return m.CarrierName }

// TrackingURL fills the template with the number.
func (m Manual) TrackingURL(number string) string {
	if m.URLTemplate == "" || number == "" {
		return ""
	}
	return strings.ReplaceAll(m.URLTemplate, "{number}", url.QueryEscape(number))
}

// Carriers is the set of carriers a shop ships with, by lower-cased ID.
type Carriers struct{ m map[string]Carrier }

// NewCarriers returns the set holding cs; a later carrier replaces an earlier one of the
// same ID.
func NewCarriers(cs ...Carrier) *Carriers {
	c := &Carriers{m: make(map[string]Carrier, len(cs))}
	for _, x := range cs {
		c.m[strings.ToLower(x.ID())] = x
	}
	return c
}

// Get returns the carrier of an ID, case-insensitively.
func (c *Carriers) Get(id string) (Carrier, bool) {
	x, ok := c.m[strings.ToLower(strings.TrimSpace(id))]
	return x, ok
}

// List returns every carrier ordered by ID.
func (c *Carriers) List() []Carrier {
	out := make([]Carrier, 0, len(c.m))
	for _, x := range c.m {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// ManualID is the built-in carrier that stands for the merchant's own delivery: it has no
// tracking page.
const ManualID = "manual"

// Builtin returns the carriers every shop has: the merchant's own delivery ("manual") and
// the public tracking pages of UPS, USPS, FedEx and DHL.
func Builtin() []Carrier {
	return []Carrier{
		Manual{CarrierID: ManualID, CarrierName: "Own delivery"},
		Manual{CarrierID: "ups", CarrierName: "UPS", URLTemplate: "https://www.ups.com/track?tracknum={number}"},
		Manual{CarrierID: "usps", CarrierName: "USPS", URLTemplate: "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"},
		Manual{CarrierID: "fedex", CarrierName: "FedEx", URLTemplate: "https://www.fedex.com/fedextrack/?trknbr={number}"},
		Manual{CarrierID: "dhl", CarrierName: "DHL", URLTemplate: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}"},
	}
}

// TrackingURL is the tracking page of a shipment by carrier ID, or "" when the carrier is
// unknown, has no page or the number is empty.
func (c *Carriers) TrackingURL(carrierID, number string) string {
	if c == nil {
		return ""
	}
	x, ok := c.Get(carrierID)
	if !ok {
		return ""
	}
	return x.TrackingURL(number)
}
