package load

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one run; it is also the tool's JSON output.
type Report struct {
	Target      string       `json:"target"`
	Started     time.Time    `json:"started"`
	Connections int          `json:"connections"`
	CaseSeconds float64      `json:"case_seconds"`
	Catalog     CatalogInfo  `json:"catalog"`
	Cases       []CaseResult `json:"cases"`
	Targets     []Goal       `json:"targets"`
}

// CatalogInfo describes the catalog the run found.
type CatalogInfo struct {
	Products   int `json:"products"` // active: what shoppers see, and what the cases read
	All        int `json:"all"`      // with drafts and archived products
	Variants   int `json:"variants"`
	Categories int `json:"categories"`
}

// CaseResult is one timed case. RPS counts successful (2xx) answers per second; Errors
// counts every other answer and every request that got none.
type CaseResult struct {
	Name           string         `json:"name"`
	Title          string         `json:"title"`
	Skipped        string         `json:"skipped,omitempty"` // why the case was not measured
	Requests       uint64         `json:"requests"`
	OK             uint64         `json:"ok"`
	Errors         uint64         `json:"errors"`
	Seconds        float64        `json:"seconds"`
	RPS            float64        `json:"rps"`
	P50MS          float64        `json:"p50_ms"`
	P90MS          float64        `json:"p90_ms"`
	P99MS          float64        `json:"p99_ms"`
	MaxMS          float64        `json:"max_ms"`
	Codes          map[string]int `json:"status_codes,omitempty"`
	ErrorSamples   []string       `json:"error_samples,omitempty"`
	RatioToCeiling float64        `json:"ratio_to_ceiling,omitempty"`
	Exhausted      bool           `json:"exhausted,omitempty"` // the prepared requests ran out before the time was up
	Note           string         `json:"note,omitempty"`
	// Checkout only.
	Orders       int64       `json:"orders,omitempty"` // answers 201
	OrdersPerSec float64     `json:"orders_per_sec,omitempty"`
	Stock        *StockCheck `json:"stock_check,omitempty"`
}

// StockCheck is the verification after the checkout case.
type StockCheck struct {
	OK           bool           `json:"ok"`
	Orders       int64          `json:"orders"`
	UnitsSold    int64          `json:"units_sold"`    // initial − current stock, summed over the hot variants
	UnitsOrdered int64          `json:"units_ordered"` // units in the acknowledged orders
	Oversold     int64          `json:"oversold"`      // units gone without an acknowledged order (or below zero)
	Variants     []VariantStock `json:"variants"`
	Note         string         `json:"note,omitempty"`
}

// VariantStock is one hot variant's stock before and after the checkout case.
type VariantStock struct {
	ID      string `json:"id"`
	SKU     string `json:"sku"`
	Initial int64  `json:"initial"`
	Current int64  `json:"current"`
	Ordered int64  `json:"ordered"`
	Problem string `json:"problem,omitempty"`
}

// Goal is one target of the issue, met or missed. A missed goal never fails the run.
type Goal struct {
	Name string `json:"name"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
}

func (r *Report) find(name string) *CaseResult {
	for i := range r.Cases {
		if r.Cases[i].Name == name && r.Cases[i].Skipped == "" {
			return &r.Cases[i]
		}
	}
	return nil
}

// evaluate fills the ratio to the ceiling and the targets.
func (r *Report) evaluate() {
	ceiling, byID := r.find(CaseCeiling), r.find(CaseProductByID)
	if ceiling != nil && byID != nil && ceiling.RPS > 0 {
		byID.RatioToCeiling = byID.RPS / ceiling.RPS
	}
	r.Targets = nil
	if byID != nil {
		if ceiling != nil {
			r.Targets = append(r.Targets, Goal{"product by id ≥ 50% of the ceiling",
				fmt.Sprintf("%.0f%% (%.0f of %.0f req/s)", 100*byID.RatioToCeiling, byID.RPS, ceiling.RPS), byID.RatioToCeiling >= 0.5})
		}
		r.Targets = append(r.Targets, Goal{"product by id p99 < 5 ms", fmt.Sprintf("%.2f ms", byID.P99MS), byID.P99MS < 5 && byID.Errors == 0})
	}
	if s := r.find(CaseSearch); s != nil {
		r.Targets = append(r.Targets, Goal{"search p99 < 20 ms", fmt.Sprintf("%.2f ms", s.P99MS), s.P99MS < 20 && s.Errors == 0})
	}
	if s := r.find(CaseSearchFacets); s != nil {
		r.Targets = append(r.Targets, Goal{"search with facets p99 < 20 ms", fmt.Sprintf("%.2f ms", s.P99MS), s.P99MS < 20 && s.Errors == 0})
	}
	if s := r.find(CaseSuggest); s != nil {
		r.Targets = append(r.Targets, Goal{"suggest p99 < 5 ms", fmt.Sprintf("%.2f ms", s.P99MS), s.P99MS < 5 && s.Errors == 0})
	}
	if c := r.find(CaseCheckout); c != nil {
		r.Targets = append(r.Targets, Goal{"checkout ≥ 1,000 orders/s", fmt.Sprintf("%.0f orders/s", c.OrdersPerSec), c.OrdersPerSec >= 1000})
		if c.Stock != nil {
			r.Targets = append(r.Targets, Goal{"checkout: zero oversold",
				fmt.Sprintf("%d oversold; sold %d units, acknowledged orders hold %d", c.Stock.Oversold, c.Stock.UnitsSold, c.Stock.UnitsOrdered), c.Stock.OK})
		}
	}
	for _, c := range r.Cases {
		if c.Skipped != "" {
			r.Targets = append(r.Targets, Goal{c.Title + " measured", "not measured: " + c.Skipped, false})
		}
	}
}

// Print writes the report as a table with the targets below it.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nUltraMarket storefront load: %s; %d products (%d active with %d variants, %d categories); %d connections, %g s per case\n",
		r.Target, r.Catalog.All, r.Catalog.Products, r.Catalog.Variants, r.Catalog.Categories, r.Connections, r.CaseSeconds)
	if r.Catalog.All < 10_000 {
		fmt.Fprintf(w, "note: the issue's figures are for a 10,000-product catalog; this one has %d\n", r.Catalog.All)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\treq/s\tp50 ms\tp99 ms\tmax ms\trequests\terrors\tvs ceiling\t")
	for _, c := range r.Cases {
		if c.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t\n", c.Title)
			continue
		}
		ratio := ""
		if c.RatioToCeiling > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*c.RatioToCeiling)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.1f\t%d\t%d\t%s\t\n", c.Title, c.RPS, c.P50MS, c.P99MS, c.MaxMS, c.Requests, c.Errors, ratio)
	}
	tw.Flush()
	for _, c := range r.Cases {
		switch {
		case c.Skipped != "":
			fmt.Fprintf(w, "%s: not measured: %s\n", c.Title, c.Skipped)
		case c.Errors > 0:
			fmt.Fprintf(w, "%s: %d errors, status codes %v; e.g. %s\n", c.Title, c.Errors, c.Codes, strings.Join(c.ErrorSamples, " | "))
		}
		if c.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", c.Title, c.Note)
		}
		if s := c.Stock; s != nil {
			fmt.Fprintf(w, "checkout: %d orders acknowledged (201), %.0f orders/s; stock check over %d hot variants: sold %d units, acknowledged orders hold %d, oversold %d\n",
				c.Orders, c.OrdersPerSec, len(s.Variants), s.UnitsSold, s.UnitsOrdered, s.Oversold)
			for _, v := range s.Variants {
				if v.Problem != "" {
					fmt.Fprintf(w, "  %s (%s): initial %d, now %d, ordered %d: %s\n", v.SKU, v.ID, v.Initial, v.Current, v.Ordered, v.Problem)
				}
			}
			if s.Note != "" {
				fmt.Fprintf(w, "  %s\n", s.Note)
			}
		}
	}
	fmt.Fprintln(w, "targets:")
	for _, g := range r.Targets {
		verdict := "MISS"
		if g.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "  %s  %-38s %s\n", verdict, g.Name, g.Got)
	}
}
