package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/app"
)

// TestKill9KeepsAcknowledgedUsers: users are created through the admin socket from 8
// goroutines for about 2 s, then the server is killed with SIGKILL. A new serve starts on the
// same data dir (its stale admin socket and lock recovered) and lists every user whose create
// had been acknowledged.
func TestKill9KeepsAcknowledgedUsers(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	s := serve(t, dir)
	w := startUserWriters(t, s, 8, "crash")
	start := time.Now()
	eventually(t, 60*time.Second, "2 s of writes with at least 8 acknowledged", func() (bool, string) {
		return time.Since(start) >= 2*time.Second && w.count() >= 8, fmt.Sprintf("%d acknowledged", w.count())
	})
	w.expectFailures.Store(true)
	s.kill()
	w.stop()
	w.check(t)
	acked := w.ackedSoFar()
	t.Logf("%d users acknowledged before SIGKILL", len(acked))

	if _, err := os.Lstat(app.AdminSocketPath(dir)); err != nil {
		t.Errorf("no stale admin socket after SIGKILL (%v): the restart below proves less", err)
	}
	s2 := serve(t, dir)
	if lost := missing(acked, s2.userEmails()); len(lost) > 0 {
		t.Errorf("%d of %d acknowledged users lost after SIGKILL: %v", len(lost), len(acked), lost)
	}
	s2.stop()
}

// Figures of the checkout crash test.
const (
	crashRounds     = 10 // kill -9 and restart this many times
	crashShoppers   = 8  // concurrent shoppers per round
	crashHotPerProd = 4  // hot variants created per round
	crashMinStock   = 30 // each hot variant starts with crashMinStock..crashMaxStock units
	crashMaxStock   = 60
	crashCancelOdds = 4 // one acknowledged order in crashCancelOdds is cancelled by the admin
	crashSeedEnv    = "ULTRAMARKET_CRASH_SEED"
)

// TestKill9CheckoutKeepsOrdersAndStock: each round the admin creates a product with a few hot
// variants of limited stock; concurrent shoppers create carts, add 1-3 units of a random hot
// variant and check out, and the admin cancels some placed orders, while the server is
// killed with SIGKILL after a random 100-800 ms. After each restart on the same data dir:
// every order that got a 201 exists with its lines; every cancel that got a 200 shows; for
// every variant of every round, stock == initial - the units of its non-cancelled orders
// (all orders, listed as the admin, including those whose 201 the kill swallowed) and
// never below zero; and the search index agrees with the store (each product is found by a
// word of its title, the index's in-stock field matches the store's stock through the
// in_stock filter, and the index holds exactly the catalog). The seed of the random timing
// is logged; set ULTRAMARKET_CRASH_SEED to repeat one.
func TestKill9CheckoutKeepsOrdersAndStock(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, v, err)
		}
	}
	t.Logf("seed %d (%s=%d repeats the timing)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	dir := emptyDataDir(t)
	const email = "owner@crash.example"
	mustRun(t, "admin", "user", "create", "--data", dir, "--email", email, "--password", strongPassword, "--role", "SUPER_ADMIN")
	s := serve(t, dir)
	api := newShopAPI(s.url)
	api.login(t, email, strongPassword)

	led := &ledger{orders: map[string][]apiLine{}, cancelled: map[string]bool{}}
	var products []crashProduct
	for round := range crashRounds {
		products = append(products, createCrashProduct(t, api, round, rng))
		sh := startShoppers(api, products[len(products)-1], led, seed+uint64(round))
		delay := time.Duration(100+rng.IntN(701)) * time.Millisecond
		time.Sleep(delay) // the deliberate random moment of the kill
		sh.killing.Store(true)
		s.kill()
		sh.stop()
		for _, err := range sh.unexpected {
			t.Errorf("round %d: before the kill: %v", round, err)
		}
		s = serve(t, dir)
		api.base = s.url
		placed, cancels := led.counts()
		unacked := verifyAfterCrash(t, s, api, products, led)
		t.Logf("round %d: killed after %v with %d requests in flight; %d orders and %d cancels acknowledged so far, %d more orders stored without a 201",
			round, delay, sh.cut.Load(), placed, cancels, unacked)
		if t.Failed() {
			t.Fatalf("round %d (seed %d): the data dir does not hold what was acknowledged", round, seed)
		}
	}
	s.stop()
}

// crashProduct is a product of the crash test with its variants' initial stock.
type crashProduct struct {
	id      string
	token   string // a word only this product's title holds, to find it by search
	initial map[string]int64
	vids    []string
}

func createCrashProduct(t *testing.T, api *shopAPI, round int, rng *rand.Rand) crashProduct {
	t.Helper()
	token := fmt.Sprintf("crashround%d", round)
	var variants []map[string]any
	for i := range crashHotPerProd {
		variants = append(variants, map[string]any{
			"sku":     fmt.Sprintf("CRASH-%d-%d", round, i),
			"price":   map[string]any{"amount": 1000 + 100*i, "currency": "USD"},
			"stock":   crashMinStock + rng.IntN(crashMaxStock-crashMinStock+1),
			"options": map[string]string{"Size": fmt.Sprint(40 + i)},
		})
	}
	var p apiProduct
	api.must(t, true, http.MethodPost, "/api/v1/products", map[string]any{
		"title": "Hot Item " + token, "description": "A crash test product.", "brand": "Crash",
		"tags": []string{"crash"}, "status": "active", "variants": variants,
	}, http.StatusCreated, &p)
	cp := crashProduct{id: p.ID, token: token, initial: map[string]int64{}}
	if p.ID == "" || len(p.Variants) != crashHotPerProd {
		t.Fatalf("create product: id %q with %d variants, want %d", p.ID, len(p.Variants), crashHotPerProd)
	}
	for i, v := range p.Variants {
		if want := int64(variants[i]["stock"].(int)); v.Stock != want || v.ID == "" {
			t.Fatalf("create product: variant %d answered id %q stock %d, want stock %d", i, v.ID, v.Stock, want)
		}
		cp.initial[v.ID] = v.Stock
		cp.vids = append(cp.vids, v.ID)
	}
	return cp
}

// ledger records what the server acknowledged: placed orders (201) with their lines, and
// cancels (200).
type ledger struct {
	mu        sync.Mutex
	orders    map[string][]apiLine
	cancelled map[string]bool
}

func (l *ledger) placed(o apiOrder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orders[o.ID] = o.Lines
}

func (l *ledger) cancel(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelled[id] = true
}

func (l *ledger) counts() (orders, cancels int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.orders), len(l.cancelled)
}

// shoppers run the crash test's buying until stopped.
type shoppers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// killing is set just before the server is killed: from then on failures are expected.
	killing    atomic.Bool
	cut        atomic.Int64 // requests the kill left without an answer
	mu         sync.Mutex
	unexpected []error
}

func startShoppers(api *shopAPI, p crashProduct, led *ledger, seed uint64) *shoppers {
	ctx, cancel := context.WithCancel(context.Background())
	sh := &shoppers{cancel: cancel}
	for g := range crashShoppers {
		rng := rand.New(rand.NewPCG(seed, uint64(g)))
		sh.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if err := shopOnce(ctx, api, p, led, rng, fmt.Sprintf("s%d-%d@crash.example", g, i)); err != nil {
					if !sh.killing.Load() && ctx.Err() == nil {
						sh.mu.Lock()
						sh.unexpected = append(sh.unexpected, err)
						sh.mu.Unlock()
					} else {
						sh.cut.Add(1)
					}
					return
				}
			}
		})
	}
	return sh
}

func (sh *shoppers) stop() {
	sh.cancel()
	sh.wg.Wait()
}

// shopOnce creates a cart, adds 1-3 units of a random hot variant, checks out and sometimes
// has the admin cancel the order. Out of stock is an answer, not an error.
func shopOnce(ctx context.Context, api *shopAPI, p crashProduct, led *ledger, rng *rand.Rand, email string) error {
	r, err := api.call(ctx, false, http.MethodPost, "/api/v1/carts", map[string]any{})
	if err != nil || r.status != http.StatusCreated {
		return unexpected(r, err)
	}
	var cart struct {
		ID string `json:"id"`
	}
	if err := r.decode(&cart); err != nil {
		return err
	}
	vid := p.vids[rng.IntN(len(p.vids))]
	qty := int64(1 + rng.IntN(3))
	r, err = api.call(ctx, false, http.MethodPost, "/api/v1/carts/"+cart.ID+"/items", map[string]any{"variant_id": vid, "quantity": qty})
	switch {
	case err != nil:
		return err
	case r.status == http.StatusConflict && r.errorCode() == "out_of_stock":
		return nil
	case r.status != http.StatusOK && r.status != http.StatusCreated:
		return unexpected(r, nil)
	}
	r, err = api.call(ctx, false, http.MethodPost, "/api/v1/orders", map[string]any{
		"cart_id": cart.ID, "email": email, "payment_method": "cash",
		"shipping_address": map[string]string{"name": "Crash Shopper", "line1": "1 Kill Street", "city": "Tashkent", "country": "UZ", "postal_code": "100000"},
	})
	switch {
	case err != nil:
		return err
	case r.status == http.StatusConflict && r.errorCode() == "out_of_stock":
		return nil
	case r.status != http.StatusCreated:
		return unexpected(r, nil)
	}
	var o apiOrder
	if err := r.decode(&o); err != nil {
		return err
	}
	if o.ID == "" || len(o.Lines) != 1 || o.Lines[0].VariantID != vid || o.Lines[0].Quantity != qty {
		return fmt.Errorf("order answered with id %q lines %+v, want 1 line of %d x %s: %s", o.ID, o.Lines, qty, vid, r)
	}
	led.placed(o)
	if rng.IntN(crashCancelOdds) != 0 {
		return nil
	}
	r, err = api.call(ctx, true, http.MethodPut, "/api/v1/orders/"+o.ID+"/status", map[string]string{"status": "CANCELLED"})
	if err != nil || r.status != http.StatusOK {
		return unexpected(r, err)
	}
	led.cancel(o.ID)
	return nil
}

func unexpected(r reply, err error) error {
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	return fmt.Errorf("unexpected answer: %s", r)
}

// verifyAfterCrash checks the restarted server against the ledger and the products' initial
// stock. It returns how many stored orders the ledger does not hold (their 201 was lost).
func verifyAfterCrash(t *testing.T, s *server, api *shopAPI, products []crashProduct, led *ledger) (unacked int) {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()

	all := map[string]apiOrder{}
	for _, o := range api.allOrders(t) {
		all[o.ID] = o
	}
	for id, lines := range led.orders {
		o, ok := all[id]
		if !ok {
			t.Errorf("order %s got a 201 but is not listed after the restart", id)
			continue
		}
		var got apiOrder
		api.must(t, true, http.MethodGet, "/api/v1/orders/"+id, nil, http.StatusOK, &got)
		if !slices.Equal(got.Lines, lines) || !slices.Equal(o.Lines, lines) {
			t.Errorf("order %s: lines %+v (listed %+v), the 201 said %+v", id, got.Lines, o.Lines, lines)
		}
		if led.cancelled[id] && got.Status != "CANCELLED" {
			t.Errorf("order %s: status %s after the restart, but its cancel got a 200", id, got.Status)
		}
	}

	held := map[string]int64{} // variant → units in orders that are not cancelled
	for _, o := range all {
		if _, ok := led.orders[o.ID]; !ok {
			unacked++
		}
		if o.Status == "CANCELLED" {
			continue
		}
		for _, l := range o.Lines {
			held[l.VariantID] += l.Quantity
		}
	}
	stock := map[string]map[string]int64{} // product → variant → stock in the store
	for _, p := range products {
		var got apiProduct
		api.must(t, false, http.MethodGet, "/api/v1/products/"+p.id, nil, http.StatusOK, &got)
		stock[p.id] = map[string]int64{}
		for _, v := range got.Variants {
			stock[p.id][v.ID] = v.Stock
		}
		for _, vid := range p.vids {
			cur, ok := stock[p.id][vid]
			switch want := p.initial[vid] - held[vid]; {
			case !ok:
				t.Errorf("product %s: variant %s missing", p.id, vid)
			case cur < 0:
				t.Errorf("variant %s: stock %d is negative", vid, cur)
			case cur != want:
				t.Errorf("variant %s: stock %d, want initial %d - %d units in non-cancelled orders = %d", vid, cur, p.initial[vid], held[vid], want)
			}
		}
	}

	// The index is fed from the outbox after the commit, so it may lag the store briefly.
	for _, p := range products {
		eventually(t, 10*time.Second, "search finds "+p.token+" with the store's stock", func() (bool, string) {
			return searchAgrees(api, p, stock[p.id])
		})
	}
	n := len(api.allProducts(t))
	eventually(t, 10*time.Second, "the index holds every product", func() (bool, string) {
		body, err := s.body("/metrics")
		if err != nil {
			return false, err.Error()
		}
		v, ok := metric(body, "ultramarket_index_documents")
		return ok && v == float64(n), fmt.Sprintf("ultramarket_index_documents %v (present %v), %d products", v, ok, n)
	})
	return unacked
}

// searchAgrees reports whether the index agrees with the store about the product: searching
// its token finds it (with the store's stock), and the index's own in-stock field, asked
// through the in_stock filter, matches the store's stock.
func searchAgrees(api *shopAPI, p crashProduct, stock map[string]int64) (bool, string) {
	var inStock bool
	for _, s := range stock {
		inStock = inStock || s > 0
	}
	for _, filter := range []string{"", "&in_stock=" + strconv.FormatBool(inStock), "&in_stock=" + strconv.FormatBool(!inStock)} {
		want := filter != "&in_stock="+strconv.FormatBool(!inStock)
		found, state := searchFinds(api, p, filter, stock)
		if found != want {
			return false, fmt.Sprintf("search %q%s: found %v, want %v (the store's stock %v): %s", p.token, filter, found, want, stock, state)
		}
	}
	return true, ""
}

// searchFinds searches the product's token with filter and reports whether the product is
// among the results; a result whose stock differs from the store's counts as not found.
func searchFinds(api *shopAPI, p crashProduct, filter string, stock map[string]int64) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := api.call(ctx, false, http.MethodGet, "/api/v1/products/search?q="+p.token+filter, nil)
	if err != nil {
		return false, err.Error()
	}
	var res struct {
		Items []apiProduct `json:"items"`
	}
	if r.status != http.StatusOK || r.decode(&res) != nil {
		return false, r.String()
	}
	for _, it := range res.Items {
		if it.ID != p.id {
			continue
		}
		for _, v := range it.Variants {
			if v.Stock != stock[v.ID] {
				return false, fmt.Sprintf("variant %s: stock %d in the search result, %d in the store", v.ID, v.Stock, stock[v.ID])
			}
		}
		return true, r.String()
	}
	return false, r.String()
}
