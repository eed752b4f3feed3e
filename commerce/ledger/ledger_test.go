package ledger

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memTx is an in-memory Tx: Post's logic without a store.
type memTx struct {
	accounts map[string]Account
	txs      []Transaction
	cards    map[string]GiftCard
	events   []commerce.Event
}

func newMem() *memTx {
	return &memTx{accounts: map[string]Account{}, cards: map[string]GiftCard{}}
}

func (m *memTx) Account(id string) (Account, bool, error) { a, ok := m.accounts[id]; return a, ok, nil }
func (m *memTx) PutAccount(a Account) error               { m.accounts[a.ID] = a; return nil }
func (m *memTx) PutTransaction(t Transaction) error       { m.txs = append(m.txs, t); return nil }
func (m *memTx) GiftCard(id string) (GiftCard, error) {
	if c, ok := m.cards[id]; ok {
		return c, nil
	}
	return GiftCard{}, ErrGiftCardNotFound
}
func (m *memTx) GiftCardByCode(hash string) (GiftCard, error) {
	for _, c := range m.cards {
		if c.CodeHash == hash {
			return c, nil
		}
	}
	return GiftCard{}, ErrGiftCardNotFound
}
func (m *memTx) PutGiftCard(c GiftCard, _ *GiftCard) error { m.cards[c.ID] = c; return nil }
func (m *memTx) Emit(ev commerce.Event)                    { m.events = append(m.events, ev) }

func (m *memTx) check() Report {
	c := NewChecker()
	for _, t := range m.txs {
		c.Transaction(t)
	}
	for _, a := range m.accounts {
		c.Account(a)
	}
	return c.Report()
}

func usd(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPostShape(t *testing.T) {
	scenarios := []struct {
		name    string
		entries []Entry
		ok      bool
	}{
		{"balanced", []Entry{{"wallet:a", 100, "USD"}, {"shop:x:USD", -100, "USD"}}, true},
		{"two currencies each balanced", []Entry{{"shop:a:USD", 100, "USD"}, {"shop:b:USD", -100, "USD"}, {"shop:a:UZS", 5, "UZS"}, {"shop:b:UZS", -5, "UZS"}}, true},
		{"one entry", []Entry{{"wallet:a", 100, "USD"}}, false},
		{"does not sum to zero", []Entry{{"wallet:a", 100, "USD"}, {"shop:x:USD", -99, "USD"}}, false},
		{"sums to zero across currencies only", []Entry{{"shop:a", 100, "USD"}, {"shop:b", -100, "EUR"}}, false},
		{"zero amount", []Entry{{"shop:a", 0, "USD"}, {"shop:b", 0, "USD"}}, false},
		{"account twice", []Entry{{"shop:a", 100, "USD"}, {"shop:a", -100, "USD"}}, false},
		{"bad currency", []Entry{{"shop:a", 100, "usd"}, {"shop:b", -100, "usd"}}, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := newMem()
			err := Post(m, Transaction{ID: commerce.NewID(), Kind: TxAdjust, Entries: sc.entries, At: now})
			if (err == nil) != sc.ok {
				t.Fatalf("Post: %v, want ok=%v", err, sc.ok)
			}
			if !sc.ok && (len(m.accounts) != 0 || len(m.txs) != 0) {
				t.Fatalf("a refused transaction wrote %v %v", m.accounts, m.txs)
			}
			if r := m.check(); !r.OK {
				t.Fatalf("check: %s", r.Problem)
			}
		})
	}
}

func TestNeverNegative(t *testing.T) {
	m := newMem()
	if _, err := CreditWallet(m, "u1", usd(500), "r1", "system", now); err != nil {
		t.Fatal(err)
	}
	before := len(m.txs)
	_, err := SpendWallet(m, "u1", usd(501), "p1", "system", now)
	if commerce.KindOf(err) != commerce.EConflict || commerce.AsError(err).Code != "insufficient_funds" {
		t.Fatalf("overspend: %v", err)
	}
	if strings.Contains(err.Error(), "u1") || commerce.AsError(err).Details["account"] != KindWallet {
		t.Fatalf("the error names the account: %+v", commerce.AsError(err).Details)
	}
	if len(m.txs) != before || m.accounts[WalletAccount("u1")].Balance != 500 {
		t.Fatal("a refused spend changed the ledger")
	}
	if _, err := SpendWallet(m, "u1", usd(500), "p2", "system", now); err != nil {
		t.Fatal(err)
	}
	if b := m.accounts[WalletAccount("u1")].Balance; b != 0 {
		t.Fatalf("balance %d", b)
	}
	if _, err := SpendWallet(m, "nobody", usd(1), "p3", "system", now); commerce.AsError(err).Code != "insufficient_funds" {
		t.Fatalf("an empty wallet: %v", err)
	}
	if _, err := SpendWallet(m, "u1", commerce.Money{Amount: 1, Currency: "EUR"}, "p4", "system", now); commerce.AsError(err).Code != "currency_mismatch" {
		t.Fatalf("another currency: %v", err)
	}
	if _, err := SpendWallet(m, "u1", usd(-5), "p5", "system", now); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("a negative amount: %v", err)
	}
	// The shop's clearing account is the counter entry of everything above.
	if r := m.check(); !r.OK || r.Totals["USD"] != 0 {
		t.Fatalf("check: %+v", r)
	}
	if c := m.accounts[SalesClearing("USD")].Balance; c != 0 {
		t.Fatalf("sales clearing %d after +500 credit and 500 spend", c)
	}
}

func TestGiftCardSpend(t *testing.T) {
	m := newMem()
	code := NewCode()
	norm, ok := NormalizeCode(code)
	if !ok || len(norm) != 16 {
		t.Fatalf("code %q normalizes to %q %v", code, norm, ok)
	}
	exp := now.Add(time.Hour)
	c := GiftCard{ID: commerce.NewID(), CodeHash: HashCode(code), Last4: lastFour(norm), Currency: "USD", Status: GiftCardActive, ExpiresAt: &exp}
	m.cards[c.ID] = c
	if _, err := Move(m, TxIssue, GiftCardsIssued("USD"), GiftCardAccount(c.ID), usd(1000), c.ID, "staff", now); err != nil {
		t.Fatal(err)
	}
	// Codes are typed in any case, with or without dashes, O for 0.
	typed := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(code, "-", " "), "0", "O"))
	if _, err := SpendGiftCard(m, typed, usd(300), "p1", "u", now); err != nil {
		t.Fatalf("spend with %q: %v", typed, err)
	}
	for name, sc := range map[string]struct {
		code   string
		amount commerce.Money
		at     time.Time
		code2  string
	}{
		"too much":      {code, usd(701), now, "insufficient_funds"},
		"expired":       {code, usd(1), exp, "gift_card_not_found"},
		"unknown":       {NewCode(), usd(1), now, "gift_card_not_found"},
		"garbage":       {"!!", usd(1), now, "gift_card_not_found"},
		"other money":   {code, commerce.Money{Amount: 1, Currency: "EUR"}, now, "currency_mismatch"},
		"too long code": {code + "A", usd(1), now, "gift_card_not_found"},
	} {
		if _, err := SpendGiftCard(m, sc.code, sc.amount, "p", "u", sc.at); commerce.AsError(err) == nil || commerce.AsError(err).Code != sc.code2 {
			t.Errorf("%s: %v, want %s", name, err, sc.code2)
		}
	}
	c.Status = GiftCardDisabled
	m.cards[c.ID] = c
	if _, err := SpendGiftCard(m, code, usd(1), "p", "u", now); !errors.Is(err, ErrGiftCardNotFound) {
		t.Fatalf("disabled: %v", err)
	}
	// A refund goes back even to a disabled card.
	if _, err := CreditGiftCard(m, code, usd(300), "r1", "u", now); err != nil {
		t.Fatal(err)
	}
	if b := m.accounts[GiftCardAccount(c.ID)].Balance; b != 1000 {
		t.Fatalf("balance %d", b)
	}
	if r := m.check(); !r.OK {
		t.Fatal(r.Problem)
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewCode()
		if len(c) != 19 || c[4] != '-' || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if HashCode(c) != HashCode(strings.ToLower(strings.ReplaceAll(c, "-", ""))) {
			t.Fatal("the hash depends on how the code is typed")
		}
	}
}

// TestRandomSequences posts random spends, credits, issues and adjustments, refused ones
// included, and checks the ledger after each: it always balances and no customer account
// is ever negative.
func TestRandomSequences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newMem()
	users := []string{"u1", "u2", "u3"}
	curs := []string{"USD", "UZS"}
	var cards []string
	for i := range 2000 {
		cur := curs[rng.IntN(2)]
		amt := commerce.Money{Amount: rng.Int64N(5000) + 1, Currency: cur}
		u := users[rng.IntN(len(users))]
		var err error
		switch rng.IntN(5) {
		case 0:
			code := NewCode()
			c := GiftCard{ID: commerce.NewID(), CodeHash: HashCode(code), Currency: cur, Status: GiftCardActive}
			m.cards[c.ID] = c
			cards = append(cards, code)
			_, err = Move(m, TxIssue, GiftCardsIssued(cur), GiftCardAccount(c.ID), amt, c.ID, "staff", now)
		case 1:
			if len(cards) > 0 {
				_, err = SpendGiftCard(m, cards[rng.IntN(len(cards))], amt, "p", "u", now)
			}
		case 2:
			_, err = SpendWallet(m, u, amt, "p", "u", now)
		case 3:
			_, err = CreditWallet(m, u, amt, "r", "u", now)
		case 4:
			from, to := StoreCreditIssued(cur), WalletAccount(u)
			if rng.IntN(2) == 0 {
				from, to = to, from
			}
			_, err = Move(m, TxAdjust, from, to, amt, "why", "staff", now)
		}
		if err != nil && commerce.KindOf(err) != commerce.EConflict {
			t.Fatalf("step %d: %v", i, err)
		}
		if i%100 == 0 {
			if r := m.check(); !r.OK {
				t.Fatalf("step %d: %s", i, r.Problem)
			}
		}
	}
	r := m.check()
	if !r.OK || r.Transactions != len(m.txs) || r.Totals["USD"] != 0 || r.Totals["UZS"] != 0 {
		t.Fatalf("final: %+v", r)
	}
}

func TestCheckerFindsProblems(t *testing.T) {
	base := func() *memTx {
		m := newMem()
		if _, err := CreditWallet(m, "u1", usd(500), "r1", "system", now); err != nil {
			t.Fatal(err)
		}
		return m
	}
	scenarios := []struct {
		name  string
		edit  func(m *memTx)
		wants string
	}{
		{"balance edited", func(m *memTx) { a := m.accounts["wallet:u1"]; a.Balance = 900; m.accounts["wallet:u1"] = a }, "wallet:u1: stored balance 900"},
		{"row missing", func(m *memTx) { delete(m.accounts, "wallet:u1") }, "no balance row"},
		{"row without entries", func(m *memTx) { m.accounts["wallet:x"] = Account{ID: "wallet:x", Currency: "USD", Balance: 5} }, "no transaction moves it"},
		{"entry edited", func(m *memTx) { m.txs[0].Entries[0].Amount-- }, "entries sum to"},
		{"currency edited", func(m *memTx) { a := m.accounts["wallet:u1"]; a.Currency = "EUR"; m.accounts["wallet:u1"] = a }, "stored in EUR"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := base()
			if r := m.check(); !r.OK {
				t.Fatal(r.Problem)
			}
			sc.edit(m)
			r := m.check()
			if r.OK || !strings.Contains(r.Problem, sc.wants) {
				t.Fatalf("report %+v, want a problem with %q", r, sc.wants)
			}
		})
	}
}
