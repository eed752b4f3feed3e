package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// BenchmarkProductRead measures reading one product with its stock (the product page's
// store work) in a 10,000-product catalog on disk, and its parts.
func BenchmarkProductRead(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: b.TempDir(), DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	cat := NewCatalog(db)
	var ids []string
	for i := 0; i < 10_000; i += 500 {
		err := db.Update(ctx, func(tx *Tx) error {
			for j := i; j < i+500; j++ {
				p := catalog.Product{ID: commerce.NewID(), Slug: fmt.Sprint("p-", j), Title: fmt.Sprint("Classic Cotton T-Shirt ", j),
					Description: "Classic cotton t-shirt from our tops range. Made to last and easy to care for.", Brand: "Northwind",
					CategoryID: "apparel", Tags: []string{"apparel", "cotton"}, Status: catalog.StatusActive, Rating: 4.2, Version: 1,
					CreatedAt: time.Now(), UpdatedAt: time.Now()}
				for v := 0; v < 4; v++ {
					p.Variants = append(p.Variants, catalog.Variant{ID: commerce.NewID(), SKU: fmt.Sprint("SKU-", j, "-", v),
						Price: commerce.Money{Amount: 1999, Currency: "USD"}, Stock: 10, Options: map[string]string{"Size": fmt.Sprint(v), "Color": "Navy"}})
				}
				ids = append(ids, p.ID)
				if err := SaveProductTx(tx, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("product", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := cat.Product(ctx, ids[(i*7919)%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("document", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := cat.ProductDocument(ctx, ids[(i*7919)%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			_ = db.View(ctx, func(r *Reader) error { _, err := r.Get(productKey(ids[(i*7919)%len(ids)])); return err })
		}
	})
	var raw []byte
	_ = db.View(ctx, func(r *Reader) (err error) { raw, err = r.Get(productKey(ids[0])); return err })
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			var p catalog.Product
			_ = decode(raw, &p)
		}
	})
	p, _ := cat.Product(ctx, ids[0])
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(p)
		}
	})
}
