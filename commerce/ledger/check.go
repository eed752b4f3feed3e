package ledger

import (
	"fmt"
	"sort"
)

// Report is what a ledger check found. OK is false when Problem names the first thing that
// does not hold; the counts cover what was read.
type Report struct {
	OK           bool             `json:"ok"`
	Problem      string           `json:"problem,omitempty"`
	Transactions int              `json:"transactions"`
	Entries      int              `json:"entries"`
	Accounts     int              `json:"accounts"`
	Totals       map[string]int64 `json:"totals"` // sum of every entry per currency: 0 when the ledger balances
}

// Checker proves the ledger balances: feed it every transaction (Transaction), then every
// stored account row (Account), then read Report. It checks that each transaction balances
// per currency, that each account's entries are in one currency, that every stored balance
// equals the sum of its account's entries (and that no account with entries lacks a row),
// that no customer balance is negative, and that every currency's entries sum to zero.
type Checker struct {
	problem  string
	txs      int
	entries  int
	accounts int
	totals   map[string]int64
	sums     map[string]Entry // per account: the recomputed balance and its currency
	counts   map[string]int64
	seen     map[string]bool // account rows read
}

// NewChecker returns an empty checker.
func NewChecker() *Checker {
	return &Checker{totals: map[string]int64{}, sums: map[string]Entry{}, counts: map[string]int64{}, seen: map[string]bool{}}
}

func (c *Checker) fail(format string, args ...any) {
	if c.problem == "" {
		c.problem = fmt.Sprintf(format, args...)
	}
}

// Transaction adds one stored transaction.
func (c *Checker) Transaction(t Transaction) {
	c.txs++
	if err := checkShape(t); err != nil {
		c.fail("transaction %s: %v", t.ID, err)
	}
	for _, e := range t.Entries {
		c.entries++
		s, ok := c.sums[e.Account]
		if ok && s.Currency != e.Currency {
			c.fail("account %s: transaction %s moves it in %s, earlier entries are in %s", e.Account, t.ID, e.Currency, s.Currency)
		}
		if !ok {
			s = Entry{Account: e.Account, Currency: e.Currency}
		}
		var fine bool
		if s.Amount, fine = addInt(s.Amount, e.Amount); !fine {
			c.fail("account %s: entries overflow", e.Account)
		}
		c.sums[e.Account] = s
		c.counts[e.Account]++
		if c.totals[e.Currency], fine = addInt(c.totals[e.Currency], e.Amount); !fine {
			c.fail("%s: entries overflow", e.Currency)
		}
	}
}

// Account adds one stored account row.
func (c *Checker) Account(a Account) {
	c.accounts++
	c.seen[a.ID] = true
	s, ok := c.sums[a.ID]
	switch {
	case !ok && (a.Balance != 0 || a.Entries != 0):
		c.fail("account %s: stored balance %d over %d entries, but no transaction moves it", a.ID, a.Balance, a.Entries)
	case !ok:
	case s.Currency != a.Currency:
		c.fail("account %s: stored in %s, its entries are in %s", a.ID, a.Currency, s.Currency)
	case s.Amount != a.Balance:
		c.fail("account %s: stored balance %d %s, its entries sum to %d", a.ID, a.Balance, a.Currency, s.Amount)
	case c.counts[a.ID] != a.Entries:
		c.fail("account %s: stored entry count %d, %d entries found", a.ID, a.Entries, c.counts[a.ID])
	}
	if a.Balance < 0 && IsCustomer(a.ID) {
		c.fail("account %s: customer balance %d is negative", a.ID, a.Balance)
	}
}

// Report returns the verdict once every transaction and account was added.
func (c *Checker) Report() Report {
	ids := make([]string, 0, len(c.sums))
	for id := range c.sums {
		if !c.seen[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		c.fail("account %s: entries sum to %d %s, but it has no balance row", id, c.sums[id].Amount, c.sums[id].Currency)
	}
	curs := make([]string, 0, len(c.totals))
	for cur := range c.totals {
		curs = append(curs, cur)
	}
	sort.Strings(curs)
	for _, cur := range curs {
		if c.totals[cur] != 0 {
			c.fail("%s: all entries sum to %d, not 0", cur, c.totals[cur])
		}
	}
	return Report{OK: c.problem == "", Problem: c.problem, Transactions: c.txs, Entries: c.entries, Accounts: c.accounts, Totals: c.totals}
}
