package store

import (
	"errors"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

// The price, discount and tax steps' reads and writes. Lists, promotions and zones come
// from the cached book (bookOf: one epoch read per call); usage counters are read and
// written in the checkout's batch, so limits are exact under concurrent checkouts.

func (c checkoutTx) PriceLists() ([]pricing.PriceList, error) {
	b, err := bookOf(c.tx.db, c.tx)
	if err != nil {
		return nil, err
	}
	return b.lists, nil
}

func (c checkoutTx) CustomerGroup(userID string) (string, error) { return groupOf(c.tx, userID) }

func (c checkoutTx) Promotions(codes []string) ([]pricing.Promotion, error) {
	b, err := bookOf(c.tx.db, c.tx)
	if err != nil {
		return nil, err
	}
	return b.promotionsFor(codes), nil
}

func (c checkoutTx) PromotionUsage(p *pricing.Promotion, customer string) (int64, int64, error) {
	return usageOf(c.tx, p, customer)
}

func (c checkoutTx) RedeemPromotion(p *pricing.Promotion, customer string) error {
	return redeem(c.tx, p, customer)
}

func (c checkoutTx) ProductCategories(productID string) ([]string, error) {
	p, err := productTx(c.tx, productID)
	if errors.Is(err, catalog.ErrProductNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return p.CategoryPath, nil
}

func (c checkoutTx) TaxZones() ([]pricing.Zone, error) {
	b, err := bookOf(c.tx.db, c.tx)
	if err != nil {
		return nil, err
	}
	return b.zones, nil
}
