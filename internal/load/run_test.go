package load_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/load"
)

// TestRunAgainstTheDemoShop runs every case briefly against an in-process demo shop (real
// Pebble, Bleve and NATS, served over loopback HTTP): each case is measured without errors,
// and the checkout's stock check finds every sold unit in an acknowledged order.
func TestRunAgainstTheDemoShop(t *testing.T) {
	a := apptest.New(t, apptest.WithDemo())
	admin := a.NewUser(t, auth.RoleSuperAdmin)
	ceiling := httptest.NewServer(load.CeilingHandler())
	defer ceiling.Close()

	var progress bytes.Buffer
	const carts = 150
	report, err := load.Run(context.Background(), load.Config{
		BaseURL:       a.BaseURL,
		Email:         admin.Email,
		Password:      admin.Password,
		CeilingURL:    ceiling.URL + load.CeilingPath,
		Duration:      300 * time.Millisecond,
		Connections:   4,
		HotVariants:   3,
		HotStock:      1000,
		AddCarts:      8,
		CheckoutCarts: carts,
		Log:           &progress,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	var table bytes.Buffer
	report.Print(&table)
	t.Logf("%s", table.String())

	if report.Catalog.Products == 0 || report.Catalog.Categories == 0 {
		t.Errorf("catalog %+v: want products and categories", report.Catalog)
	}
	if len(report.Cases) != len(load.CaseNames) {
		t.Fatalf("%d cases reported, want %d", len(report.Cases), len(load.CaseNames))
	}
	for i, c := range report.Cases {
		if c.Name != load.CaseNames[i] {
			t.Errorf("case %d is %s, want %s", i, c.Name, load.CaseNames[i])
		}
		if c.Skipped != "" || c.Requests == 0 || c.Errors != 0 || c.RPS <= 0 || c.P99MS <= 0 {
			t.Errorf("%s: skipped %q, %d requests, %d errors (%v; %s), %.0f req/s, p99 %.2f ms",
				c.Name, c.Skipped, c.Requests, c.Errors, c.Codes, strings.Join(c.ErrorSamples, " | "), c.RPS, c.P99MS)
		}
	}
	co := report.Cases[len(report.Cases)-1]
	if co.Stock == nil || !co.Stock.OK || co.Stock.Oversold != 0 || co.Orders == 0 || co.Stock.UnitsSold != co.Orders || co.Stock.Note != "" {
		t.Errorf("checkout: %d orders, stock check %+v", co.Orders, co.Stock)
	}
	if co.Exhausted != (co.Orders == carts) {
		t.Errorf("checkout: %d of %d carts ordered, exhausted %v", co.Orders, carts, co.Exhausted)
	}
	if byID := report.Cases[1]; byID.RatioToCeiling <= 0 {
		t.Errorf("product by id: no ratio to the ceiling")
	}
}
