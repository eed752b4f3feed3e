package load

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCeilingAnswersAFixedKibibyteOfJSON(t *testing.T) {
	srv := httptest.NewServer(CeilingHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + CeilingPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if buf.Len() != 1024 || !json.Valid(buf.Bytes()) {
		t.Errorf("body of %d bytes (valid JSON %v), want 1024 bytes of JSON", buf.Len(), json.Valid(buf.Bytes()))
	}
}

func TestVerifyStock(t *testing.T) {
	before := product{Variants: []variant{{ID: "a", SKU: "A", Stock: 100}, {ID: "b", SKU: "B", Stock: 100}}}
	scenarios := []struct {
		name     string
		after    []variant
		bought   map[string]int64
		orders   int64
		unparsed int64
		ok       bool
		oversold int64
	}{
		{"every unit sold is in an acknowledged order", []variant{{ID: "a", Stock: 90}, {ID: "b", Stock: 95}}, map[string]int64{"a": 10, "b": 5}, 15, 0, true, 0},
		{"units gone without an order are oversold", []variant{{ID: "a", Stock: 88}, {ID: "b", Stock: 95}}, map[string]int64{"a": 10, "b": 5}, 15, 0, false, 2},
		{"an acknowledged order whose units came back is lost", []variant{{ID: "a", Stock: 91}, {ID: "b", Stock: 95}}, map[string]int64{"a": 10, "b": 5}, 15, 0, false, 0},
		{"negative stock", []variant{{ID: "a", Stock: -1}, {ID: "b", Stock: 100}}, map[string]int64{"a": 101}, 101, 0, false, 1},
		{"a variant gone", []variant{{ID: "a", Stock: 100}}, nil, 0, 0, false, 0},
		{"answers without lines compare totals", []variant{{ID: "a", Stock: 97}, {ID: "b", Stock: 98}}, nil, 5, 5, true, 0},
		{"answers without lines, oversold in total", []variant{{ID: "a", Stock: 96}, {ID: "b", Stock: 98}}, nil, 5, 5, false, 1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := verifyStock(before, product{Variants: sc.after}, sc.bought, sc.orders, sc.unparsed)
			if got.OK != sc.ok || got.Oversold != sc.oversold {
				t.Errorf("ok %v oversold %d, want ok %v oversold %d: %+v", got.OK, got.Oversold, sc.ok, sc.oversold, got)
			}
		})
	}
}

func TestTargetsPassAndMiss(t *testing.T) {
	r := &Report{Cases: []CaseResult{
		{Name: CaseCeiling, Title: "ceiling", RPS: 10000},
		{Name: CaseProductByID, Title: "product by id", RPS: 6000, P99MS: 4.2},
		{Name: CaseSearch, Title: "search", RPS: 900, P99MS: 25},
		{Name: CaseCheckout, Title: "checkout", OrdersPerSec: 1500, Stock: &StockCheck{OK: true}},
		{Name: CaseAddToCart, Title: "add to cart", Skipped: "no carts"},
	}}
	r.evaluate()
	want := map[string]bool{
		"product by id ≥ 50% of the ceiling": true,
		"product by id p99 < 5 ms":           true,
		"search p99 < 20 ms":                 false,
		"checkout ≥ 1,000 orders/s":          true,
		"checkout: zero oversold":            true,
		"add to cart measured":               false,
	}
	if len(r.Targets) != len(want) {
		t.Errorf("%d targets, want %d: %+v", len(r.Targets), len(want), r.Targets)
	}
	for _, g := range r.Targets {
		if pass, ok := want[g.Name]; !ok || pass != g.Pass {
			t.Errorf("target %q pass %v (%s), want present=%v pass=%v", g.Name, g.Pass, g.Got, ok, pass)
		}
	}
	if got := r.find(CaseProductByID).RatioToCeiling; got != 0.6 {
		t.Errorf("ratio to ceiling %v, want 0.6", got)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, s := range []string{"PASS  product by id ≥ 50% of the ceiling", "MISS  search p99 < 20 ms", "60%", "add to cart: not measured: no carts"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
}
