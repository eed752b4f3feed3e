package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/fraud"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

func usdMoney(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }

// issueCard issues a USD gift card worth n and returns its code and ID.
func issueCard(t testing.TB, l *ledger.Service, n int64) (code, id string) {
	t.Helper()
	v, code, err := l.IssueGiftCard(context.Background(), "user:staff", ledger.IssueInput{InitialValue: usdMoney(n), Note: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return code, v.ID
}

func checkLedger(t testing.TB, s *Ledger) ledger.Report {
	t.Helper()
	r, err := s.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("ledger check: %s", r.Problem)
	}
	return r
}

// ledgerRows counts the ledger's transaction, history and balance rows.
func ledgerRows(t testing.TB, db *DB) [3]int {
	return [3]int{countKeys(t, db, prefixLedgerTx), countKeys(t, db, prefixLedgerEntry), countKeys(t, db, prefixLedgerAccount)}
}

func TestLedgerPaymentsSpendAndCredit(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := NewLedger(db)
	l := ledger.NewService(s, nil)
	code, cardID := issueCard(t, l, 5000)
	if _, _, err := l.AdjustWallet(ctx, "user:staff", "u1", false, ledger.AdjustInput{Amount: usdMoney(800), Reason: "goodwill"}); err != nil {
		t.Fatal(err)
	}
	run := func(fn func(payments.Ledger) error) error {
		return db.Update(ctx, func(tx *Tx) error { return fn(ledgerTx{tx}) })
	}
	scenarios := []struct {
		name string
		fn   func(payments.Ledger) error
		code string // "" for success
	}{
		{"gift card spend", func(p payments.Ledger) error {
			return p.Spend(payments.Source{GiftCardCode: code}, usdMoney(1200), "pay1")
		}, ""},
		{"gift card overspend", func(p payments.Ledger) error {
			return p.Spend(payments.Source{GiftCardCode: code}, usdMoney(3801), "pay2")
		}, "insufficient_funds"},
		{"gift card other currency", func(p payments.Ledger) error {
			return p.Spend(payments.Source{GiftCardCode: code}, commerce.Money{Amount: 1, Currency: "EUR"}, "pay3")
		}, "currency_mismatch"},
		{"unknown gift card", func(p payments.Ledger) error {
			return p.Spend(payments.Source{GiftCardCode: ledger.NewCode()}, usdMoney(1), "pay4")
		}, "gift_card_not_found"},
		{"wallet spend", func(p payments.Ledger) error { return p.Spend(payments.Source{UserID: "u1"}, usdMoney(800), "pay5") }, ""},
		{"wallet empty", func(p payments.Ledger) error { return p.Spend(payments.Source{UserID: "u1"}, usdMoney(1), "pay6") }, "insufficient_funds"},
		{"refund to the card", func(p payments.Ledger) error {
			return p.Credit(payments.Source{GiftCardCode: code}, usdMoney(200), "ref1")
		}, ""},
		{"store credit", func(p payments.Ledger) error { return p.Credit(payments.Source{UserID: "u2"}, usdMoney(300), "ref2") }, ""},
	}
	for _, sc := range scenarios {
		before := ledgerRows(t, db)
		err := run(sc.fn)
		switch {
		case sc.code == "" && err != nil:
			t.Errorf("%s: %v", sc.name, err)
		case sc.code != "" && (commerce.AsError(err) == nil || commerce.AsError(err).Code != sc.code):
			t.Errorf("%s: %v, want %s", sc.name, err, sc.code)
		case sc.code != "" && ledgerRows(t, db) != before:
			t.Errorf("%s: a refused movement wrote rows: %v -> %v", sc.name, before, ledgerRows(t, db))
		}
	}
	for acct, want := range map[string]int64{ledger.GiftCardAccount(cardID): 4000, ledger.WalletAccount("u1"): 0, ledger.WalletAccount("u2"): 300,
		ledger.SalesClearing("USD"): 1200 + 800 - 200 - 300} {
		if a, _, _ := s.Account(ctx, acct); a.Balance != want {
			t.Errorf("%s: balance %d, want %d", acct, a.Balance, want)
		}
	}
	r := checkLedger(t, s)
	if r.Totals["USD"] != 0 || r.Transactions != 6 {
		t.Fatalf("report %+v", r)
	}
	// The card's history: issue, spend, refund, newest first, two per page.
	p1, err := l.GiftCardTransactions(ctx, cardID, commerce.Page{Limit: 2})
	if err != nil || len(p1.Items) != 2 || p1.Items[0].Ref != "ref1" || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v %v", p1, err)
	}
	p2, err := l.GiftCardTransactions(ctx, cardID, commerce.Page{Limit: 2, Cursor: p1.NextCursor})
	if err != nil || len(p2.Items) != 1 || p2.Items[0].Kind != ledger.TxIssue || p2.NextCursor != "" {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
}

// TestLedgerFailingUpdateWritesNothing: a use case that fails after it moved value leaves
// balances, transactions and history rows as they were.
func TestLedgerFailingUpdateWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := NewLedger(db)
	code, cardID := issueCard(t, ledger.NewService(s, nil), 1000)
	before := ledgerRows(t, db)
	boom := errors.New("later step failed")
	err := db.Update(ctx, func(tx *Tx) error {
		if err := (ledgerTx{tx}).Spend(payments.Source{GiftCardCode: code}, usdMoney(600), "p1"); err != nil {
			return err
		}
		// Read-your-writes inside the update: a second spend sees the first.
		if err := (ledgerTx{tx}).Spend(payments.Source{GiftCardCode: code}, usdMoney(600), "p2"); commerce.AsError(err) == nil || commerce.AsError(err).Code != "insufficient_funds" {
			return fmt.Errorf("second spend: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if a, _, _ := s.Account(ctx, ledger.GiftCardAccount(cardID)); a.Balance != 1000 {
		t.Fatalf("balance %d after a failed update", a.Balance)
	}
	if after := ledgerRows(t, db); after != before {
		t.Fatalf("rows %v -> %v", before, after)
	}
	checkLedger(t, s)
}

// TestGiftCardConcurrentSpends: many buyers spending one card at once never overdraw it.
func TestGiftCardConcurrentSpends(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := NewLedger(db)
	code, cardID := issueCard(t, ledger.NewService(s, nil), 10000)
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			err := db.Update(ctx, func(tx *Tx) error {
				return ledgerTx{tx}.Spend(payments.Source{GiftCardCode: code}, usdMoney(300), fmt.Sprint("p", i))
			})
			switch {
			case err == nil:
				ok.Add(1)
			case commerce.AsError(err) != nil && commerce.AsError(err).Code == "insufficient_funds":
				short.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 33 || short.Load() != 31 {
		t.Fatalf("%d spends went through, %d refused; want 33 and 31", ok.Load(), short.Load())
	}
	if a, _, _ := s.Account(ctx, ledger.GiftCardAccount(cardID)); a.Balance != 100 {
		t.Fatalf("balance %d", a.Balance)
	}
	checkLedger(t, s)
}

func TestGiftCardUseCases(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := NewLedger(db)
	l := ledger.NewService(s, nil)
	code, id := issueCard(t, l, 2500)
	if countKeys(t, db, prefixGiftCardCode) != 1 {
		t.Fatal("no code row")
	}
	b, err := l.CheckBalance(ctx, code)
	if err != nil || b.Balance != usdMoney(2500) || len(b.Last4) != 4 {
		t.Fatalf("balance %+v %v", b, err)
	}
	if _, err := l.DisableGiftCard(ctx, "user:staff", id); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckBalance(ctx, code); !errors.Is(err, ledger.ErrGiftCardNotFound) {
		t.Fatalf("disabled card: %v", err)
	}
	v, err := l.GiftCard(ctx, id)
	if err != nil || v.Status != ledger.GiftCardDisabled || v.Balance != usdMoney(2500) || v.Version != 2 {
		t.Fatalf("card %+v %v", v, err)
	}
	list, err := l.ListGiftCards(ctx, commerce.Page{})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != id {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := l.ListGiftCards(ctx, commerce.Page{Cursor: "!!"}); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("bad cursor: %v", err)
	}
	// A debit below zero is refused and writes nothing.
	before := ledgerRows(t, db)
	if _, _, err := l.AdjustWallet(ctx, "user:staff", "u9", true, ledger.AdjustInput{Amount: usdMoney(1), Reason: "oops"}); commerce.AsError(err).Code != "insufficient_funds" {
		t.Fatalf("debit of an empty wallet: %v", err)
	}
	if ledgerRows(t, db) != before {
		t.Fatal("a refused debit wrote rows")
	}
	checkLedger(t, s)
}

// screenShop is a shop whose checkout screens orders with rules.
func screenShop(t testing.TB, db *DB, rules fraud.Rules) *shop {
	s := newShop(t, db)
	s.checkout = checkout.NewService(NewCheckout(db), nil, nil, checkout.Config{Screen: checkout.ScreenConfig{Rules: rules}})
	return s
}

func TestScreenHoldsAndReviewDecides(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := screenShop(t, db, fraud.Rules{Enabled: true, Window: time.Hour, MaxOrdersPerAccount: 2, MaxOrdersPerIP: 2,
		MaxOrderAmount: map[string]int64{"USD": 5000}})
	v := s.product(t, 100)
	place := func(user, ip string, qty int64) orders.Order {
		t.Helper()
		res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: user, Actor: "user:" + user, IP: ip}, input(s.cartWith(t, user, map[string]int64{v[0]: qty})), checkout.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Order
	}
	var held []orders.Order
	for i, sc := range []struct {
		user, ip string
		qty      int64
		reasons  []string
	}{
		{"u1", "10.0.0.1", 1, nil},
		{"u1", "10.0.0.1", 1, nil},
		{"u1", "10.0.0.2", 1, []string{fraud.RuleOrdersPerAccount}},
		{"u2", "10.0.0.1", 1, []string{fraud.RuleOrdersPerIP}},
		{"u3", "10.0.0.3", 6, []string{fraud.RuleOrderAmount}},
	} {
		o := place(sc.user, sc.ip, sc.qty)
		var got []string
		if o.Review != nil {
			got = o.Review.Reasons
			held = append(held, o)
		}
		if fmt.Sprint(got) != fmt.Sprint(sc.reasons) {
			t.Fatalf("order %d: reasons %v, want %v", i, got, sc.reasons)
		}
	}
	f := NewFraud(db)
	q, err := f.Held(ctx, commerce.Page{Limit: 2})
	if err != nil || len(q.Items) != 2 || q.Items[0].ID != held[0].ID || q.NextCursor == "" {
		t.Fatalf("queue %+v %v", q, err)
	}
	// Approving releases the hold; rejecting cancels and returns the stock.
	if o, err := s.orders.DecideReview(ctx, "user:staff", held[0].ID, true, "known customer"); err != nil || o.Review.Status != orders.ReviewApproved || o.ReviewAllows(orders.StatusProcessing) != nil {
		t.Fatalf("approve: %+v %v", o.Review, err)
	}
	if _, err := s.orders.DecideReview(ctx, "user:staff", held[0].ID, false, ""); commerce.AsError(err).Code != "review_decided" {
		t.Fatalf("second decision: %v", err)
	}
	stock := s.stock(t, v[0])
	o, err := s.orders.DecideReview(ctx, "user:staff", held[2].ID, false, "stolen card")
	if err != nil || o.Status != orders.StatusCancelled || o.Review.Status != orders.ReviewRejected || o.Review.DecidedBy != "user:staff" {
		t.Fatalf("reject: %+v %v", o, err)
	}
	if s.stock(t, v[0]) != stock+6 {
		t.Errorf("stock %d after rejecting a 6-unit order, was %d", s.stock(t, v[0]), stock)
	}
	if err := held[1].ReviewAllows(orders.StatusProcessing); commerce.AsError(err).Code != "order_under_review" {
		t.Errorf("a pending hold allows PROCESSING: %v", err)
	}
	q, _ = f.Held(ctx, commerce.Page{})
	if len(q.Items) != 1 || q.Items[0].ID != held[1].ID {
		t.Fatalf("queue after the decisions: %+v", q.Items)
	}
	if _, err := s.orders.DecideReview(ctx, "user:staff", q.Items[0].ID, true, string(make([]byte, 1001))); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("long note: %v", err)
	}
	notHeld := place("u9", "10.9.9.9", 1)
	if _, err := s.orders.DecideReview(ctx, "user:staff", notHeld.ID, true, ""); commerce.AsError(err).Code != "review_not_found" {
		t.Fatalf("an order never held: %v", err)
	}
	// Old counters are purged once they count nothing.
	if n, err := f.PurgeVelocity(ctx, time.Now(), time.Hour); err != nil || n != 0 {
		t.Fatalf("purge of live counters: %d %v", n, err)
	}
	if n, err := f.PurgeVelocity(ctx, time.Now().Add(2*time.Hour), time.Hour); err != nil || n == 0 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if countKeys(t, db, prefixFraudVelocity) != 0 {
		t.Fatal("counters left after the purge")
	}
}

// BenchmarkCheckoutScreened is BenchmarkCheckout with every velocity rule on (account, IP,
// and an amount rule): the screening step's cost on the hot path. Each buyer is a
// signed-in user of 256 sharing 16 IPs.
func BenchmarkCheckoutScreened(b *testing.B) {
	for _, buyers := range []int{64} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) {
			s, fs, hot := benchShop(b)
			s.checkout = checkout.NewService(NewCheckout(s.db), nil, nil, checkout.Config{Screen: checkout.ScreenConfig{Rules: fraud.Rules{
				Enabled: true, Window: time.Hour, MaxOrdersPerAccount: 10, MaxOrdersPerIP: 50, MaxOrderAmount: map[string]int64{"USD": 1 << 40}}}})
			carts := benchCarts(b, s, b.N, hot)
			in := input("")
			ctx := context.Background()
			runWriters(b, buyers, fs, func(i int64) error {
				in := in
				in.CartID = carts[i]
				_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{IP: fmt.Sprint("10.0.0.", i%16), UserID: fmt.Sprint("bench-u", i%256)}, in, checkout.Idempotency{Scope: "anon POST /api/v1/orders", Key: carts[i]})
				return err
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
