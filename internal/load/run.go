package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Names of the cases, in the order a run measures them.
const (
	CaseCeiling      = "ceiling"
	CaseProductByID  = "product_by_id"
	CaseProductList  = "product_list"
	CaseSearch       = "search"
	CaseSearchFacets = "search_facets" // searches with filters, sorts and facets in Zipf order (search.go)
	CaseSuggest      = "suggest"       // autocompletion of keystroke prefixes (search.go)
	CaseAddToCart    = "add_to_cart"
	CaseCheckout     = "checkout"
)

// CaseNames lists every case in run order.
var CaseNames = []string{CaseCeiling, CaseProductByID, CaseProductList, CaseSearch, CaseSearchFacets, CaseSuggest, CaseAddToCart, CaseCheckout}

// caseTitles are the names the table prints.
var caseTitles = map[string]string{
	CaseCeiling:      "ceiling (bare Echo, 1 KiB JSON)",
	CaseProductByID:  "product by id",
	CaseProductList:  "product list by category",
	CaseSearch:       "search",
	CaseSearchFacets: "search with facets and filters",
	CaseSuggest:      "suggest (autocomplete)",
	CaseAddToCart:    "add to cart",
	CaseCheckout:     "checkout",
}

// SearchQueries is the rotating set of queries of the search case: what shoppers type, from
// one word to a few, matching the demo catalog's departments, materials and brands.
var SearchQueries = []string{
	"tea", "leather boots", "wireless headphones", "cotton t-shirt", "honey", "yoga mat",
	"silk pillow", "running shoes", "kettle", "organic green tea", "backpack", "ceramic bowl",
	"black hoodie", "gift", "smart watch", "dried apricots", "handmade rug", "chef knife",
	"bluetooth speaker", "vintage jacket", "power bank", "argan oil", "pistachios", "travel",
}

// Config of one load run. Zero values mean the defaults named.
type Config struct {
	BaseURL  string // the server under load, e.g. http://127.0.0.1:8080 (required)
	Email    string // an ADMIN or SUPER_ADMIN account: the run creates the hot variants (required)
	Password string
	// CeilingURL is the URL of a bare handler (see CeilingHandler), served by another
	// process; empty skips the ceiling case.
	CeilingURL  string
	Duration    time.Duration // length of each timed case; default 10s
	Connections int           // concurrent connections, one worker each (closed loop); default 32
	HotVariants int           // variants the checkout case buys; default 10
	HotStock    int64         // initial stock of each hot variant; default 100,000
	AddCarts    int           // carts the add-to-cart case spreads its items over; default 4,096
	// CheckoutCarts is the number of filled carts prepared for the checkout case; 0 estimates
	// it from the add-to-cart rate (twice what adding managed in the same time, at least
	// 20,000). A checkout that uses them all up ends early and says so.
	CheckoutCarts int
	Cases         []string  // cases to run (see CaseNames); empty runs all
	Log           io.Writer // progress lines; nil discards them
}

func (c *Config) setDefaults() error {
	if c.BaseURL == "" {
		return errors.New("load: no server URL")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Email == "" || c.Password == "" {
		return errors.New("load: an administrator's e-mail and password are needed (the run creates hot variants)")
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Connections <= 0 {
		c.Connections = 32
	}
	if c.HotVariants <= 0 {
		c.HotVariants = 10
	}
	if c.HotStock <= 0 {
		c.HotStock = 100_000
	}
	if c.AddCarts <= 0 {
		c.AddCarts = 4096
	}
	if len(c.Cases) == 0 {
		c.Cases = CaseNames
	}
	for _, name := range c.Cases {
		if !slices.Contains(CaseNames, name) {
			return fmt.Errorf("load: unknown case %q (cases: %s)", name, strings.Join(CaseNames, ", "))
		}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// runner holds the state of one run.
type runner struct {
	cfg    Config
	api    *client // anonymous, like a shopper
	admin  *client // signed in as the administrator
	report *Report

	productIDs []string // every product of the catalog
	titles     []string // their titles (the suggest case types them)
	listQuery  []string // category filter values that return products
	addPool    []string // in-stock variants the add-to-cart case adds
	hot        product  // the product holding the hot variants
}

// Run measures the cases of cfg against a running server and returns the report. An error
// means the run could not start (server unreachable, login refused, empty catalog); a case
// that fails is reported with its errors and the run goes on.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, api: newClient(cfg.BaseURL, cfg.Connections)}
	r.report = &Report{
		Target: cfg.BaseURL, Connections: cfg.Connections, CaseSeconds: cfg.Duration.Seconds(), Started: time.Now().UTC(),
	}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	for _, name := range CaseNames {
		if !slices.Contains(cfg.Cases, name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.logf("%s: running for %v at %d connections", name, cfg.Duration, cfg.Connections)
		res, err := r.runCase(ctx, name)
		if err != nil {
			res = CaseResult{Name: name, Skipped: err.Error()}
			r.logf("%s: not measured: %v", name, err)
		} else {
			r.logf("%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", name, res.RPS, res.P50MS, res.P99MS, res.Errors)
		}
		res.Title = caseTitles[name]
		r.report.Cases = append(r.report.Cases, res)
	}
	r.report.evaluate()
	return r.report, nil
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "load: "+format+"\n", args...)
}

// setup logs in, reads the catalog and creates the hot variants.
func (r *runner) setup(ctx context.Context) error {
	admin, err := r.api.login(ctx, r.cfg.Email, r.cfg.Password)
	if err != nil {
		return err
	}
	r.admin = admin
	cats, err := r.api.categories(ctx)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	if slices.Contains(r.cfg.Cases, CaseCheckout) {
		if err := r.createHot(ctx, cats); err != nil {
			return err
		}
	}
	t0 := time.Now()
	products, err := r.api.products(ctx)
	if err != nil {
		return fmt.Errorf("read the catalog: %w", err)
	}
	if len(products) == 0 {
		return errors.New("the catalog is empty: start the server with --demo (and ULTRAMARKET_DEMO_PRODUCTS=10000)")
	}
	variants := 0
	for _, p := range products {
		r.productIDs = append(r.productIDs, p.ID)
		r.titles = append(r.titles, p.Title)
		variants += len(p.Variants)
		if p.ID == r.hot.ID {
			continue
		}
		for _, v := range p.Variants {
			if v.Stock >= 5 {
				r.addPool = append(r.addPool, v.ID)
			}
		}
	}
	r.report.Catalog = CatalogInfo{Products: len(products), Variants: variants, Categories: len(cats), All: len(products)}
	// Drafts and archived products are not for shoppers, but they are part of the catalog's size.
	var all struct {
		Total int `json:"total"`
	}
	if err := r.admin.do(ctx, http.MethodGet, "/api/v1/products/search?status=any&limit=1", nil, &all, http.StatusOK); err == nil && all.Total > len(products) {
		r.report.Catalog.All = all.Total
	}
	r.logf("catalog: %d products, %d variants, %d categories (read in %v)", len(products), variants, len(cats), time.Since(t0).Round(time.Millisecond))
	r.listQuery = r.categoryFilters(ctx, cats, products)
	return nil
}

// categoryFilters returns the category values for ?category= that select products: the
// categories' ids, or their slugs when the ids select nothing, or else the category_id values
// the products carry.
func (r *runner) categoryFilters(ctx context.Context, cats []category, products []product) []string {
	selects := func(v string) bool {
		var page productPage
		err := r.api.do(ctx, http.MethodGet, "/api/v1/products?limit=1&category="+url.QueryEscape(v), nil, &page, http.StatusOK)
		return err == nil && len(page.Items) > 0
	}
	var candidates [][]string
	var ids, slugs []string
	for _, c := range cats {
		ids = append(ids, c.ID)
		slugs = append(slugs, c.Slug)
	}
	seen := map[string]bool{}
	var fromProducts []string
	for _, p := range products {
		if p.CategoryID != "" && !seen[p.CategoryID] {
			seen[p.CategoryID] = true
			fromProducts = append(fromProducts, p.CategoryID)
		}
	}
	candidates = append(candidates, ids, slugs, fromProducts)
	for _, values := range candidates {
		var ok []string
		for _, v := range values {
			if v != "" && selects(v) {
				ok = append(ok, v)
			}
		}
		if len(ok) > 0 {
			return ok
		}
	}
	return nil
}

// createHot creates one product whose HotVariants variants hold HotStock units each: the
// checkout case buys only these, so it cannot sell out and its stock can be checked exactly.
func (r *runner) createHot(ctx context.Context, cats []category) error {
	run := fmt.Sprintf("%x", rand.Uint32())
	var variants []map[string]any
	for i := range r.cfg.HotVariants {
		variants = append(variants, map[string]any{
			"sku":     fmt.Sprintf("LOAD-%s-%02d", run, i+1),
			"price":   money{Amount: 1999 + int64(i)*100, Currency: "USD"},
			"stock":   r.cfg.HotStock,
			"options": map[string]string{"Edition": fmt.Sprintf("%02d", i+1)},
		})
	}
	body := map[string]any{
		"title":       "Load Run Hot Item " + run,
		"description": "Created by ultramarket-load: the checkout case buys only these variants.",
		"brand":       "Bench",
		"tags":        []string{"load"},
		"status":      "active",
		"variants":    variants,
	}
	if len(cats) > 0 {
		body["category_id"] = cats[0].ID
	}
	if err := r.admin.do(ctx, http.MethodPost, "/api/v1/products", body, &r.hot, http.StatusCreated); err != nil {
		return fmt.Errorf("create the hot variants: %w", err)
	}
	if len(r.hot.Variants) != r.cfg.HotVariants {
		return fmt.Errorf("create the hot variants: the product came back with %d variants, want %d", len(r.hot.Variants), r.cfg.HotVariants)
	}
	for _, v := range r.hot.Variants {
		if v.ID == "" || v.Stock != r.cfg.HotStock {
			return fmt.Errorf("create the hot variants: variant %q with stock %d, want an id and stock %d", v.ID, v.Stock, r.cfg.HotStock)
		}
	}
	return nil
}

func (r *runner) runCase(ctx context.Context, name string) (CaseResult, error) {
	base := r.cfg.BaseURL
	switch name {
	case CaseCeiling:
		if r.cfg.CeilingURL == "" {
			return CaseResult{}, errors.New("no ceiling server")
		}
		u := r.cfg.CeilingURL
		return r.attack(ctx, name, func(t *target) error {
			t.Method, t.URL = http.MethodGet, u
			return nil
		}, nil), nil

	case CaseProductByID:
		ids := r.productIDs
		return r.attack(ctx, name, func(t *target) error {
			t.Method, t.URL = http.MethodGet, base+"/api/v1/products/"+ids[rand.IntN(len(ids))]
			return nil
		}, nil), nil

	case CaseProductList:
		if len(r.listQuery) == 0 {
			return CaseResult{}, errors.New("no category filter selects any product")
		}
		cats := r.listQuery
		return r.attack(ctx, name, func(t *target) error {
			t.Method = http.MethodGet
			t.URL = base + "/api/v1/products?limit=20&category=" + url.QueryEscape(cats[rand.IntN(len(cats))])
			return nil
		}, nil), nil

	case CaseSearch:
		matching := 0
		for _, q := range SearchQueries {
			var res struct {
				Total int `json:"total"`
			}
			if err := r.api.do(ctx, http.MethodGet, "/api/v1/products/search?q="+url.QueryEscape(q), nil, &res, http.StatusOK); err != nil {
				return CaseResult{}, err
			}
			if res.Total > 0 {
				matching++
			}
		}
		var n atomic.Uint64
		res := r.attack(ctx, name, func(t *target) error {
			q := SearchQueries[(n.Add(1)-1)%uint64(len(SearchQueries))]
			t.Method, t.URL = http.MethodGet, base+"/api/v1/products/search?q="+url.QueryEscape(q)
			return nil
		}, nil)
		res.Note = fmt.Sprintf("%d of %d rotating queries match products", matching, len(SearchQueries))
		return res, nil

	case CaseSearchFacets:
		return r.searchFacets(ctx)

	case CaseSuggest:
		return r.suggest(ctx)

	case CaseAddToCart:
		return r.addToCart(ctx)

	case CaseCheckout:
		return r.checkout(ctx)
	}
	return CaseResult{}, fmt.Errorf("unknown case %q", name)
}

// addToCart adds one unit at a time to AddCarts carts created beforehand: request i goes to
// cart i mod AddCarts and adds a variant that cart does not hold yet (the pool is walked
// from a different start for each cart), so no line outgrows its stock.
func (r *runner) addToCart(ctx context.Context) (CaseResult, error) {
	pool := r.addPool
	if len(pool) == 0 {
		return CaseResult{}, errors.New("no variant in the catalog has stock to add")
	}
	t0 := time.Now()
	carts, err := r.prepareCarts(ctx, r.cfg.AddCarts, nil)
	if err != nil {
		return CaseResult{}, err
	}
	r.logf("%s: %d carts created in %v", CaseAddToCart, len(carts), time.Since(t0).Round(time.Millisecond))
	base := r.cfg.BaseURL
	var n atomic.Uint64
	header := jsonHeader()
	return r.attack(ctx, CaseAddToCart, func(t *target) error {
		i := n.Add(1) - 1
		c := i % uint64(len(carts))
		k := i / uint64(len(carts))
		v := pool[(c*7919+k)%uint64(len(pool))]
		t.Method, t.URL, t.Header = http.MethodPost, base+"/api/v1/carts/"+carts[c]+"/items", header
		t.Body = []byte(`{"variant_id":"` + v + `","quantity":1}`)
		return nil
	}, nil), nil
}

// checkout places orders for carts filled beforehand with one unit of a hot variant each,
// then checks the hot variants' stock: what each lost equals what the acknowledged orders
// (201) bought, and none is negative.
func (r *runner) checkout(ctx context.Context) (CaseResult, error) {
	if len(r.hot.Variants) == 0 {
		return CaseResult{}, errors.New("no hot variants")
	}
	n := r.cfg.CheckoutCarts
	if n <= 0 {
		// Placing an order can be faster than adding to a cart (one fsync shared by a group of
		// orders either way): prepare twice what adding managed, at least 20,000.
		n = 20_000
		for _, c := range r.report.Cases {
			if c.Name == CaseAddToCart && c.RPS > 0 {
				n = int(c.RPS * r.cfg.Duration.Seconds() * 2)
			}
		}
		n = max(20_000, min(n, 250_000))
	}
	if limit := int64(len(r.hot.Variants)) * r.cfg.HotStock; int64(n) > limit {
		n = int(limit)
	}
	hot := r.hot.Variants
	t0 := time.Now()
	carts, err := r.prepareCarts(ctx, n, func(i int) string { return hot[i%len(hot)].ID })
	if err != nil {
		return CaseResult{}, err
	}
	r.logf("%s: %d carts filled in %v", CaseCheckout, len(carts), time.Since(t0).Round(time.Millisecond))

	before, err := r.api.product(ctx, r.hot.ID)
	if err != nil {
		return CaseResult{}, fmt.Errorf("read the hot variants: %w", err)
	}

	base := r.cfg.BaseURL
	header := jsonHeader()
	var next atomic.Uint64
	var (
		mu       sync.Mutex
		orders   int64
		bought   = map[string]int64{}
		unparsed int64
	)
	res := r.attack(ctx, CaseCheckout, func(t *target) error {
		i := next.Add(1) - 1
		if i >= uint64(len(carts)) {
			return errNoTargets
		}
		t.Method, t.URL, t.Header = http.MethodPost, base+"/api/v1/orders", header
		t.Body = checkoutBody(carts[i], i)
		return nil
	}, func(res *result) {
		if res.Code != http.StatusCreated {
			return
		}
		var o order
		err := json.Unmarshal(res.Body, &o)
		mu.Lock()
		defer mu.Unlock()
		orders++
		if err != nil || len(o.Lines) == 0 {
			unparsed++
			return
		}
		for _, l := range o.Lines {
			bought[l.VariantID] += l.Quantity
		}
	})
	if next.Load() >= uint64(len(carts)) {
		res.Exhausted = true // every cart was taken, even if the clock ended just then
	}
	if res.Exhausted {
		res.Note = fmt.Sprintf("all %d prepared carts checked out after %.1f s", len(carts), res.Seconds)
	}
	res.Orders = orders
	res.OrdersPerSec = float64(orders) / max(res.Seconds, 1e-9)

	after, err := r.api.product(ctx, r.hot.ID)
	if err != nil {
		return res, fmt.Errorf("read the hot variants after the run: %w", err)
	}
	res.Stock = verifyStock(before, after, bought, orders, unparsed)
	return res, nil
}

// verifyStock compares each hot variant's stock before and after the checkout run with the
// units the acknowledged orders bought. Oversold counts units that left the stock without an
// acknowledged order, plus units below zero. When some answers carried no lines (unparsed),
// only totals compare: every prepared cart holds one unit, so units sold must equal orders.
func verifyStock(before, after product, bought map[string]int64, orders, unparsed int64) *StockCheck {
	now := map[string]int64{}
	for _, v := range after.Variants {
		now[v.ID] = v.Stock
	}
	sc := &StockCheck{Orders: orders, OK: true}
	for _, v := range before.Variants {
		cur, ok := now[v.ID]
		vc := VariantStock{ID: v.ID, SKU: v.SKU, Initial: v.Stock, Current: cur, Ordered: bought[v.ID]}
		sold := v.Stock - cur
		switch {
		case !ok:
			vc.Problem = "missing after the run"
		case cur < 0:
			vc.Problem = "negative stock"
			sc.Oversold += -cur
		case unparsed == 0 && sold != vc.Ordered:
			vc.Problem = fmt.Sprintf("stock fell by %d, acknowledged orders bought %d", sold, vc.Ordered)
		}
		if ok {
			sc.UnitsSold += sold
			if unparsed == 0 {
				sc.Oversold += max(0, sold-vc.Ordered)
			}
		}
		if vc.Problem != "" {
			sc.OK = false
		}
		sc.UnitsOrdered += vc.Ordered
		sc.Variants = append(sc.Variants, vc)
	}
	if unparsed > 0 {
		sc.Note = fmt.Sprintf("%d order answers had no lines; compared totals (1 unit per order)", unparsed)
		sc.UnitsOrdered = orders
		sc.Oversold += max(0, sc.UnitsSold-orders)
		if sc.UnitsSold != orders {
			sc.OK = false
		}
	}
	return sc
}

// prepareCarts creates n guest carts with Connections goroutines; when fill is not nil cart i
// gets one unit of the variant fill(i).
func (r *runner) prepareCarts(ctx context.Context, n int, fill func(i int) string) ([]string, error) {
	carts := make([]string, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range r.cfg.Connections {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				id, err := r.api.newCart(ctx)
				if err == nil && fill != nil {
					err = r.api.addItem(ctx, id, fill(i), 1)
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("prepare cart %d: %w", i, err); cancel() })
					return
				}
				carts[i] = id
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return carts, ctx.Err()
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}
