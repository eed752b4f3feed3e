package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestInvoiceNumbersGapFreePerYear issues 200 invoices at once across three years (some
// orders twice, one cancelled order refused): each year's numbers are 1..N without gaps or
// duplicates, every order keeps its first number, and the index rows name the orders.
func TestInvoiceNumbersGapFreePerYear(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	st := NewOrders(db)
	ids := make([]string, 200)
	err := db.Update(ctx, func(tx *Tx) error {
		for i := range ids {
			o := orders.Order{ID: commerce.NewID(), Number: int64(i + 1), Status: orders.StatusConfirmed, Version: 1}
			if i == 13 {
				o.Status = orders.StatusCancelled
			}
			ids[i] = o.ID
			if err := putOrder(tx, o, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	years := []int{2025, 2026, 2027}
	var wg sync.WaitGroup
	for i := range 240 { // 40 orders are asked twice
		wg.Go(func() {
			year := years[i%200%len(years)]
			svc := orders.NewService(st, fixedClock(time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC)))
			_, _, err := svc.IssueInvoice(ctx, "user:staff", ids[i%200])
			if (err != nil) != (i%200 == 13) {
				t.Errorf("issue %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := map[int][]int64{}
	for i, id := range ids {
		o, err := st.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i == 13 {
			if o.Invoice != nil {
				t.Errorf("the cancelled order got an invoice")
			}
			continue
		}
		if o.Invoice == nil || o.Invoice.Number != orders.InvoiceNumber(o.Invoice.Year, o.Invoice.Seq) {
			t.Fatalf("order %d: invoice %+v", i, o.Invoice)
		}
		got[o.Invoice.Year] = append(got[o.Invoice.Year], o.Invoice.Seq)
		err = db.View(ctx, func(r *Reader) error {
			v, err := r.Get(invoiceKey(o.Invoice.Year, uint64(o.Invoice.Seq)))
			if err == nil && string(v) != id {
				err = fmt.Errorf("index row names %s", v)
			}
			return err
		})
		if err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	total := 0
	for _, y := range years {
		seqs := got[y]
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("year %d: numbers %v are not 1..%d", y, seqs, len(seqs))
			}
		}
		total += len(seqs)
		err := db.View(ctx, func(r *Reader) error {
			b, err := r.Get(Uint64Key(prefixInvoiceSeq, uint64(y)))
			if err != nil {
				return err
			}
			n, err := decodeUint64(b)
			if err == nil && n != uint64(len(seqs)) {
				err = fmt.Errorf("counter %d, %d invoices", n, len(seqs))
			}
			return err
		})
		if err != nil {
			t.Errorf("year %d: %v", y, err)
		}
	}
	if total != 199 {
		t.Errorf("%d invoices, want 199", total)
	}
}
