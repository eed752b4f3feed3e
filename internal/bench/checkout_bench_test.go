package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// The commerce engine's checkout under load, in-process on the real disk with every engine
// running (index, bus, consumers): 64 buyers check out carts of the 10 hot SKUs through the
// whole pipeline — price lists, shipping, 100 active promotions evaluated, taxes, a stock
// reservation per line in the warehouses, a cash payment, fraud screening — each order one
// durable update. The hot SKUs have less stock than the carts ask for, so the run sells out
// and proves that no unit is sold twice.
//
//	go test ./internal/bench -run '^$' -bench CheckoutEngine -benchtime 1x
const (
	engineBuyers     = 64
	engineHotSKUs    = 10
	engineCarts      = 20_000
	engineStockPer   = 1_900 // per SKU: 19,000 units for 20,000 one-unit carts
	enginePromotions = 100
)

func BenchmarkCheckoutEngine(b *testing.B) {
	for b.Loop() {
		runCheckoutEngine(b)
	}
}

func runCheckoutEngine(b *testing.B) {
	a := apptest.New(b)
	ctx := context.Background()

	// The hot SKUs and 100 other products the promotions may target.
	now := time.Now().UTC()
	product := func(title string, stock int64, n int) catalog.Product {
		p := catalog.Product{ID: commerce.NewID(), Title: title, Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1}
		p.Slug = fmt.Sprintf("bench-%s", p.ID)
		for i := range n {
			p.Variants = append(p.Variants, catalog.Variant{ID: commerce.NewID(), SKU: fmt.Sprintf("B-%s-%d", p.ID, i),
				Price: commerce.Money{Amount: 1999 + int64(i)*100, Currency: "USD"}, Stock: stock, Options: map[string]string{"Size": fmt.Sprint(i)}})
		}
		if err := a.Catalog.SaveProduct(ctx, p); err != nil {
			b.Fatal(err)
		}
		return p
	}
	hot := product("Hot tea", engineStockPer, engineHotSKUs)
	others := make([]string, 100)
	for i := range others {
		others[i] = product(fmt.Sprintf("Other %d", i), 5, 1).ID
	}
	// 100 active automatic promotions: 90 for other products, 9 non-stackable percentages
	// on the hot product (the best one wins), 1 stackable free-shipping over $10.
	for i := range enginePromotions {
		p := pricing.Promotion{Kind: pricing.KindPercentage, Percent: int64(100 + i*10), Priority: i}
		switch {
		case i < 90:
			p.Target.ProductIDs = []string{others[i], others[(i+1)%len(others)]}
		case i < 99:
			p.Target.ProductIDs = []string{hot.ID}
		default:
			p = pricing.Promotion{Kind: pricing.KindFreeShipping, Stackable: true, MinSubtotal: commerce.Money{Amount: 1000, Currency: "USD"}}
		}
		p.Name = fmt.Sprintf("Promotion %d", i)
		if _, err := a.Pricing.SavePromotion(ctx, "", pricing.PromotionInput{Promotion: p}, 0); err != nil {
			b.Fatal(err)
		}
	}

	// One guest cart per order, one unit of a hot SKU each, filled before the clock starts.
	carts := make([]string, engineCarts)
	parallel(b, engineBuyers, engineCarts, func(i int) error {
		v, err := a.Carts.Create(ctx, cart.Viewer{})
		if err != nil {
			return err
		}
		if _, err := a.Carts.AddItem(ctx, cart.Viewer{}, v.ID, cart.AddItemInput{VariantID: hot.Variants[i%engineHotSKUs].ID, Quantity: 1}); err != nil {
			return err
		}
		carts[i] = v.ID
		return nil
	})

	addr := orders.Address{Name: "Ann Lee", Line1: "1 Main St", City: "Tashkent", Country: "UZ", PostalCode: "100000"}
	var placed, soldOut atomic.Int64
	var discounted atomic.Int64
	start := time.Now()
	parallel(b, engineBuyers, engineCarts, func(i int) error {
		res, err := a.Checkout.PlaceOrder(ctx, checkout.Buyer{IP: fmt.Sprintf("10.0.%d.%d", i/250%250, i%250)}, checkout.Input{
			CartID: carts[i], Email: fmt.Sprintf("buyer%d@example.com", i), PaymentMethod: "cash", ShippingAddress: addr,
		}, checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: carts[i]})
		var ce *commerce.Error
		switch {
		case errors.As(err, &ce) && ce.Code == checkout.ErrOutOfStock.Code:
			soldOut.Add(1)
			return nil
		case err != nil:
			return err
		}
		placed.Add(1)
		if res.Order.DiscountTotal.Amount > 0 {
			discounted.Add(1)
		}
		return nil
	})
	elapsed := time.Since(start)

	// Zero oversold: every unit is either in an order or still in stock, and the orders
	// took all of it.
	var left int64
	for _, v := range hot.Variants {
		ref, err := a.Catalog.Variant(ctx, v.ID)
		if err != nil {
			b.Fatal(err)
		}
		if ref.Variant.Stock < 0 {
			b.Fatalf("variant %s: stock %d", v.SKU, ref.Variant.Stock)
		}
		left += ref.Variant.Stock
	}
	total := int64(engineStockPer * engineHotSKUs)
	if placed.Load()+left != total {
		b.Fatalf("oversold: %d orders + %d left != %d units", placed.Load(), left, total)
	}
	if placed.Load() != total || soldOut.Load() != engineCarts-total {
		b.Fatalf("%d placed, %d sold out: want %d and %d", placed.Load(), soldOut.Load(), total, engineCarts-total)
	}
	if discounted.Load() != placed.Load() {
		b.Fatalf("%d of %d orders discounted: the promotions were not evaluated", discounted.Load(), placed.Load())
	}
	b.ReportMetric(float64(placed.Load())/elapsed.Seconds(), "orders/s")
	b.ReportMetric(0, "oversold")
	b.Logf("%d orders placed and %d refused as sold out in %v by %d buyers on %d SKUs with %d promotions: %.0f orders/s, 0 oversold",
		placed.Load(), soldOut.Load(), elapsed.Round(time.Millisecond), engineBuyers, engineHotSKUs, enginePromotions,
		float64(placed.Load())/elapsed.Seconds())
}

// parallel runs fn(0..n-1) on workers goroutines and fails b on the first error.
func parallel(b *testing.B, workers, n int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("item %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
