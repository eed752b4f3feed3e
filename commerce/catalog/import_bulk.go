package catalog

import (
	"context"
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxBulkProducts is how many products one bulk change may name.
const MaxBulkProducts = 10_000

// BulkSet is the one change a bulk operation makes to every product it names: set exactly
// one field.
type BulkSet struct {
	Status     *string         `json:"status,omitempty"`      // draft, active or archived
	Price      *commerce.Money `json:"price,omitempty"`       // every variant's price
	Stock      *int64          `json:"stock,omitempty"`       // every variant's stock
	CategoryID *string         `json:"category_id,omitempty"` // "" files the products under no category
}

// BulkResult is the outcome for one product of a bulk change.
type BulkResult struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Version int64  `json:"version,omitempty"` // the product's new version
	Code    string `json:"code,omitempty"`    // error code when not OK
	Error   string `json:"error,omitempty"`
}

// CheckBulk validates a bulk change on its own: at least one and at most MaxBulkProducts
// distinct IDs, exactly one field set, and that field valid.
func CheckBulk(ids []string, set BulkSet) error {
	var v commerce.Validator
	v.Check(len(ids) > 0, "ids", "must name at least one product")
	v.Check(len(ids) <= MaxBulkProducts, "ids", fmt.Sprintf("must name at most %d products", MaxBulkProducts))
	n := 0
	if set.Status != nil {
		n++
		switch *set.Status {
		case StatusDraft, StatusActive, StatusArchived:
		default:
			v.Add("set.status", "must be one of draft, active, archived")
		}
	}
	if set.Price != nil {
		n++
		v.Check(set.Price.Amount >= 0 && set.Price.Amount <= MaxAmount, "set.price.amount", fmt.Sprintf("must be between 0 and %d", int64(MaxAmount)))
		v.Check(commerce.ValidCurrency(set.Price.Currency), "set.price.currency", "must be three upper-case letters (ISO 4217)")
	}
	if set.Stock != nil {
		n++
		v.Check(*set.Stock >= 0 && *set.Stock <= MaxStock, "set.stock", fmt.Sprintf("must be between 0 and %d", MaxStock))
	}
	if set.CategoryID != nil {
		n++
	}
	v.Check(n == 1, "set", "must set exactly one of status, price, stock, category_id")
	return v.Err()
}

// BulkUpdate applies set to each product in ids, one atomic write per product (a product is
// changed whole or not at all), and reports each product's outcome. progress, when not nil,
// is called after each product.
func (s *Service) BulkUpdate(ctx context.Context, ids []string, set BulkSet, progress func(done int)) ([]BulkResult, error) {
	if err := CheckBulk(ids, set); err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(ids))
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var p Product
		err := s.repo.Update(ctx, func(tx Tx) error {
			var err error
			if p, err = productByRef(tx, id); err != nil {
				return err
			}
			switch {
			case set.Status != nil:
				p.Status = *set.Status
			case set.Price != nil:
				for k := range p.Variants {
					if p.Variants[k].Price.Currency != set.Price.Currency {
						return commerce.Invalid(commerce.FieldError{Field: "set.price.currency", Message: "must be the product's currency (" + p.Variants[k].Price.Currency + ")"})
					}
					p.Variants[k].Price.Amount = set.Price.Amount
					p.Variants[k].OnSale = OnSaleOf(p.Variants[k])
				}
			case set.Stock != nil:
				for k := range p.Variants {
					p.Variants[k].Stock = *set.Stock
				}
			case set.CategoryID != nil:
				p.CategoryID = *set.CategoryID
			}
			if err := checkProductRefs(tx, &p, "", p.Slug); err != nil {
				return err
			}
			p.Version++
			p.UpdatedAt = s.clock.Now()
			return tx.SaveProduct(&p)
		})
		r := BulkResult{ID: id, OK: err == nil}
		if err != nil {
			if commerce.KindOf(err) == commerce.EInternal {
				return out, err
			}
			ce := commerce.AsError(err)
			r.Code, r.Error = ce.Code, ce.Message
			if len(ce.Fields) > 0 {
				r.Error = ce.Fields[0].Field + " " + ce.Fields[0].Message
			}
		} else {
			r.Version = p.Version
		}
		out = append(out, r)
		if progress != nil {
			progress(i + 1)
		}
	}
	return out, nil
}
