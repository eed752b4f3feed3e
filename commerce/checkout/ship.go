package checkout

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/shipping"
)

// ShipTx is what the shipping step reads: the shop's zones and methods.
type ShipTx interface {
	ShippingTable() (*shipping.Table, error)
}

// ShipConfig configures the shipping step.
type ShipConfig struct{}

// ship prices the chosen shipping method into Order.Shipping and ShippingTotal. A shop with
// no shipping zone ships everything free with no method; otherwise the address must be
// served: Input.ShippingMethodID picks the method ("" the cheapest serving it), priced by
// shipping.Table.Choose on the order's subtotal and weight.
func (s *Service) ship(tx Tx, p *Placement) error {
	t, err := tx.ShippingTable()
	if err != nil {
		return err
	}
	if t.Empty() {
		return nil
	}
	parcel := shipping.Parcel{Currency: p.Order.Subtotal.Currency, Subtotal: p.Order.Subtotal.Amount}
	for _, it := range p.Items {
		parcel.WeightGrams += it.Ref.Variant.WeightGrams * it.Quantity
	}
	a := p.Order.ShippingAddress
	r, err := t.Choose(p.Input.ShippingMethodID, shipping.Destination{Country: a.Country, Region: a.Region, PostalCode: a.PostalCode}, parcel)
	if err != nil {
		return err
	}
	m := r.Method
	p.Order.Shipping = &orders.Shipping{MethodID: m.ID, Name: m.Name, Kind: m.Kind, Carrier: m.CarrierID, Amount: r.Amount}
	p.Order.ShippingTotal = commerce.Money{Amount: r.Amount.Amount, Currency: r.Amount.Currency}
	return nil
}
