package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/checkout"
)

// Checkout and add-to-cart through the services and the store, on the real disk, with
// concurrent buyers on 10 hot variants (the target: 1,000 durable orders/s at 32-64
// buyers). Carts are filled before the timer starts; each op is one durable checkout.
//
//	go test ./store -run '^$' -bench 'Checkout|AddToCart' -benchtime 3s

const benchHotVariants = 10

// benchShop opens a store on the real disk with one product of 10 variants with ample stock.
func benchShop(b *testing.B) (*shop, *walSyncCounter, []string) {
	b.Helper()
	fs := &walSyncCounter{FS: vfs.Default}
	db, err := Open(context.Background(), Config{Dir: b.TempDir(), FS: fs, DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := newShop(b, db)
	stocks := make([]int64, benchHotVariants)
	for i := range stocks {
		stocks[i] = 1 << 40
	}
	return s, fs, s.product(b, stocks...)
}

// benchCarts writes n guest carts straight into the store, 1,000 per update; with a
// variant, each holds one unit of hot[i%len(hot)].
func benchCarts(b *testing.B, s *shop, n int, hot []string) []string {
	b.Helper()
	ids := make([]string, n)
	now := time.Now().UTC()
	for start := 0; start < n; start += 1000 {
		err := s.db.Update(context.Background(), func(tx *Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				c := cart.Cart{ID: commerce.NewSecret(16), Ref: commerce.NewID(), Lines: []cart.Line{}, Status: cart.StatusOpen,
					Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(cart.TTL)}
				if hot != nil {
					c.Currency = "USD"
					c.Lines = append(c.Lines, cart.Line{ID: commerce.NewID(), VariantID: hot[i%len(hot)], Quantity: 1, AddedAt: now})
				}
				if err := putCart(tx, c); err != nil {
					return err
				}
				ids[i] = c.ID
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

func BenchmarkCheckout(b *testing.B) {
	for _, buyers := range []int{32, 64} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) {
			s, fs, hot := benchShop(b)
			carts := benchCarts(b, s, b.N, hot)
			in := input("")
			ctx := context.Background()
			runWriters(b, buyers, fs, func(i int64) error {
				in := in
				in.CartID = carts[i]
				_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: carts[i]})
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
			var sold int64
			for _, v := range hot {
				sold += 1<<40 - s.stock(b, v)
			}
			if sold != int64(b.N) {
				b.Fatalf("%d units sold for %d orders", sold, b.N)
			}
		})
	}
}

func BenchmarkAddToCart(b *testing.B) {
	for _, shoppers := range []int{32, 64} {
		b.Run(fmt.Sprintf("shoppers=%d", shoppers), func(b *testing.B) {
			s, fs, hot := benchShop(b)
			carts := benchCarts(b, s, max(1, b.N/4), nil)
			ctx := context.Background()
			runWriters(b, shoppers, fs, func(i int64) error {
				_, err := s.carts.AddItem(ctx, cart.Viewer{}, carts[i%int64(len(carts))], cart.AddItemInput{VariantID: hot[i%benchHotVariants], Quantity: 1})
				return err
			})
		})
	}
}
