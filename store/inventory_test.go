package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// stockRows reads every stock row from Pebble itself (through an update's batch, which the
// mirror does not serve).
func stockRows(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	err := db.Update(context.Background(), func(tx *Tx) error {
		return tx.Scan([]byte(prefixStock), PrefixEnd([]byte(prefixStock)), func(k, v []byte) error {
			n, err := decodeUint64(v)
			rows[string(k[len(prefixStock):])] = int64(n)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The in-memory mirror of the stock rows must equal the rows after any mix of concurrent
// updates — committed, rolled back, deleting — and after a reopen.
func TestStockMirrorFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openMem(t, fs)
	errRollback := errors.New("rolled back")
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf("variant-%02d", i)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range 200 {
				id := ids[rng.IntN(len(ids))]
				op := rng.IntN(10)
				err := db.Update(ctx, func(tx *Tx) error {
					switch {
					case op == 0:
						tx.Delete(stockKey(id))
					case op < 8:
						n, err := stockOf(tx, id)
						if err != nil {
							return err
						}
						if err := setStock(tx, id, n+int64(rng.IntN(5))); err != nil {
							return err
						}
					default:
						if err := setStock(tx, id, 999); err != nil {
							return err
						}
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	check := func(db *DB) {
		t.Helper()
		rows := stockRows(t, db)
		for _, id := range ids {
			var got int64
			if err := db.View(ctx, func(r *Reader) (err error) { got, err = stockOf(r, id); return err }); err != nil {
				t.Fatal(err)
			}
			if got != rows[id] {
				t.Errorf("stock of %s: readers see %d, the store holds %d", id, got, rows[id])
			}
			if got == 999 {
				t.Errorf("stock of %s: a rolled-back write reached the mirror", id)
			}
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check(openMem(t, fs))
}

// The product page is served from memory between product writes: every write (an edit, a
// sale, a delete) must show on the next read, and two stores in one process must not serve
// each other's entries.
func TestProductDocumentFollowsWrites(t *testing.T) {
	ctx := context.Background()
	db, cat, svc := newCatalogShop(t)
	p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: "Kettle", Variants: []catalog.VariantInput{variant("K1", 900, ptr64(10))}})
	if err != nil {
		t.Fatal(err)
	}
	doc := func(cat *Catalog) string {
		t.Helper()
		d, err := cat.ProductDocument(ctx, p.ID)
		if err != nil {
			return err.Error()
		}
		return string(d.JSON)
	}
	steps := []struct {
		name  string
		write func()
		want  []string
	}{
		{"first read", func() {}, []string{`"title":"Kettle"`, `"stock":10`}},
		{"read again from memory", func() {}, []string{`"title":"Kettle"`, `"stock":10`}},
		{"a sale", func() {
			if err := db.Update(ctx, func(tx *Tx) error { return setStock(tx, p.Variants[0].ID, 7) }); err != nil {
				t.Fatal(err)
			}
		}, []string{`"stock":7`}},
		{"an edit", func() {
			in := catalog.ProductInput{Title: "Steel kettle", Variants: []catalog.VariantInput{{ID: p.Variants[0].ID, SKU: "K1", Price: commerce.Money{Amount: 950, Currency: "USD"}}}}
			if _, err := svc.UpdateProduct(ctx, p.ID, in, nil); err != nil {
				t.Fatal(err)
			}
		}, []string{`"title":"Steel kettle"`, `"amount":950`, `"stock":7`}},
		{"a delete", func() {
			if err := svc.DeleteProduct(ctx, p.ID, nil); err != nil {
				t.Fatal(err)
			}
		}, []string{"not found"}},
	}
	for _, st := range steps {
		st.write()
		got := doc(cat)
		for _, w := range st.want {
			if !strings.Contains(got, w) {
				t.Fatalf("%s: product page %s lacks %s", st.name, got, w)
			}
		}
	}
	// Another store with a product of the same ID must not get this store's entry.
	_, cat2, _ := newCatalogShop(t)
	if got := doc(cat2); !strings.Contains(got, "not found") {
		t.Fatalf("another store served %s", got)
	}
}
