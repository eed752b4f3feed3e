package checkout

// ReserveTx is what the reservation step writes: the stock of variants.
type ReserveTx interface {
	SetStock(variantID string, n int64) error
}

// ReserveConfig configures the reservation step.
type ReserveConfig struct{}

// reserve takes the stock of every line, refusing the whole order when one line lacks it.
func (s *Service) reserve(tx Tx, p *Placement) error {
	for _, it := range p.Items {
		if it.Ref.Variant.Stock < it.Quantity {
			return ErrOutOfStock.WithDetails(map[string]any{
				"variant_id": it.Ref.Variant.ID, "sku": it.Ref.Variant.SKU, "requested": it.Quantity, "available": it.Ref.Variant.Stock,
			})
		}
	}
	for _, it := range p.Items {
		if err := tx.SetStock(it.Ref.Variant.ID, it.Ref.Variant.Stock-it.Quantity); err != nil {
			return err
		}
	}
	return nil
}
