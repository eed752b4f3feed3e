package ledger

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Account kinds: the part of an account name before the first ':'.
const (
	KindWallet   = "wallet"    // wallet:<user ID>, a customer's store credit
	KindGiftCard = "gift_card" // gift_card:<card ID>
	KindShop     = "shop"      // shop:<name>:<currency>, the shop's side
)

// WalletAccount names a user's wallet.
func WalletAccount(userID string) string { return KindWallet + ":" + userID }

// GiftCardAccount names a gift card's account.
func GiftCardAccount(cardID string) string { return KindGiftCard + ":" + cardID }

// SalesClearing is where stored value spent on payments goes (and refunds come from).
func SalesClearing(currency string) string { return "shop:sales_clearing:" + currency }

// GiftCardsIssued is the counter account of issued gift cards.
func GiftCardsIssued(currency string) string { return "shop:gift_cards_issued:" + currency }

// StoreCreditIssued is the counter account of staff wallet credits and debits.
func StoreCreditIssued(currency string) string { return "shop:store_credit_issued:" + currency }

// IsCustomer reports whether account is a customer's (a wallet or a gift card), whose
// balance may never go negative.
func IsCustomer(account string) bool {
	return strings.HasPrefix(account, KindWallet+":") || strings.HasPrefix(account, KindGiftCard+":")
}

// Transaction kinds.
const (
	TxIssue  = "gift_card_issue" // a gift card is issued: card +, gift_cards_issued −
	TxSpend  = "spend"           // stored value pays for an order: customer −, sales_clearing +
	TxCredit = "credit"          // a refund or store credit from a payment: sales_clearing −, customer +
	TxAdjust = "adjust"          // staff credits or debits a wallet: wallet ±, store_credit_issued ∓
)

// Account is one ledger account with its balance, kept in the same update as every
// transaction that moves it.
type Account struct {
	ID        string    `json:"id"`
	Currency  string    `json:"currency"`
	Balance   int64     `json:"balance"` // minor units: the sum of the account's entries
	Entries   int64     `json:"entries"` // how many entries moved it
	UpdatedAt time.Time `json:"updated_at"`
}

// Money is the balance as money.
func (a Account) Money() commerce.Money {
	return commerce.Money{Amount: a.Balance, Currency: a.Currency}
}

// Entry is one side of a transaction: a signed amount on one account.
type Entry struct {
	Account  string `json:"account"`
	Amount   int64  `json:"amount"` // signed minor units
	Currency string `json:"currency"`
}

// Transaction is one balanced movement of value.
type Transaction struct {
	ID      string    `json:"id"`
	Ref     string    `json:"ref,omitempty"` // what caused it: a payment, refund or gift card ID, or a staff reason
	Kind    string    `json:"kind"`
	Entries []Entry   `json:"entries"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// EntryFor returns the transaction's entry on account, if it has one.
func (t Transaction) EntryFor(account string) (Entry, bool) {
	for _, e := range t.Entries {
		if e.Account == account {
			return e, true
		}
	}
	return Entry{}, false
}

// Errors.
var (
	ErrInsufficientFunds = &commerce.Error{Kind: commerce.EConflict, Code: "insufficient_funds", Message: "ledger: the balance is too low"}
	ErrCurrencyMismatch  = &commerce.Error{Kind: commerce.EConflict, Code: "currency_mismatch", Message: "ledger: the account holds another currency"}
	ErrGiftCardNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "gift_card_not_found", Message: "ledger: gift card not found"}
	ErrUnbalanced        = &commerce.Error{Kind: commerce.EInternal, Code: "ledger_unbalanced", Message: "ledger: a transaction's entries do not sum to zero"}
)

// Tx is one atomic ledger change, inside a store update.
type Tx interface {
	// Account returns an account; ok is false (and the zero Account) when it never moved.
	Account(id string) (a Account, ok bool, err error)
	// PutAccount writes an account's balance row.
	PutAccount(a Account) error
	// PutTransaction writes the transaction and its per-account history rows.
	PutTransaction(t Transaction) error
	GiftCard(id string) (GiftCard, error)         // ErrGiftCardNotFound when missing
	GiftCardByCode(hash string) (GiftCard, error) // by CodeHash; ErrGiftCardNotFound when missing
	PutGiftCard(c GiftCard, prev *GiftCard) error // prev nil: a new card (its code row too)
	Emit(ev commerce.Event)
}

// checkShape reports what is wrong with t's form: no ID, fewer than two entries, a zero
// amount, a bad currency, an account twice, or entries that do not sum to zero per currency.
func checkShape(t Transaction) error {
	if t.ID == "" || t.Kind == "" || len(t.Entries) < 2 {
		return fmt.Errorf("%w: %s needs an ID, a kind and at least two entries", ErrUnbalanced, t.ID)
	}
	sums := map[string]int64{}
	seen := map[string]bool{}
	for _, e := range t.Entries {
		if e.Account == "" || e.Amount == 0 || !commerce.ValidCurrency(e.Currency) || seen[e.Account] {
			return fmt.Errorf("%w: %s: bad entry %+v", ErrUnbalanced, t.ID, e)
		}
		seen[e.Account] = true
		s, ok := addInt(sums[e.Currency], e.Amount)
		if !ok {
			return fmt.Errorf("%w: %s: amounts overflow", ErrUnbalanced, t.ID)
		}
		sums[e.Currency] = s
	}
	for cur, s := range sums {
		if s != 0 {
			return fmt.Errorf("%w: %s: %s entries sum to %d", ErrUnbalanced, t.ID, cur, s)
		}
	}
	return nil
}

func addInt(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

// Post applies t: it checks that t balances, that every account holds the entry's currency
// and that no customer account goes negative, and only then writes the accounts and t. A
// refused transaction writes nothing.
func Post(tx Tx, t Transaction) error {
	if err := checkShape(t); err != nil {
		return err
	}
	accts := make([]Account, len(t.Entries))
	for i, e := range t.Entries {
		a, ok, err := tx.Account(e.Account)
		if err != nil {
			return err
		}
		if !ok {
			a = Account{ID: e.Account, Currency: e.Currency}
		}
		if a.Currency != e.Currency {
			return ErrCurrencyMismatch.WithDetails(map[string]any{"account": accountLabel(e.Account), "currency": a.Currency, "asked": e.Currency})
		}
		bal, ok := addInt(a.Balance, e.Amount)
		if !ok {
			return commerce.Errorf(commerce.EInvalid, "amount_overflow", "ledger: the balance would overflow")
		}
		if bal < 0 && IsCustomer(a.ID) {
			return ErrInsufficientFunds.WithDetails(map[string]any{"account": accountLabel(a.ID),
				"balance": a.Money(), "needed": commerce.Money{Amount: -e.Amount, Currency: e.Currency}})
		}
		a.Balance, a.Entries, a.UpdatedAt = bal, a.Entries+1, t.At
		accts[i] = a
	}
	for _, a := range accts {
		if err := tx.PutAccount(a); err != nil {
			return err
		}
	}
	return tx.PutTransaction(t)
}

// accountLabel is how an error names an account to a client: its kind, never a customer's
// ID (a shopper paying by gift card must not learn the card's ID).
func accountLabel(id string) string {
	kind, _, _ := strings.Cut(id, ":")
	if kind == KindShop {
		return id
	}
	return kind
}

// Move posts a two-entry transaction taking amount from one account to another.
func Move(tx Tx, kind, from, to string, amount commerce.Money, ref, actor string, now time.Time) (Transaction, error) {
	if amount.Amount <= 0 || amount.Amount == math.MinInt64 {
		return Transaction{}, commerce.Invalid(commerce.FieldError{Field: "amount", Message: "must be positive"})
	}
	if !commerce.ValidCurrency(amount.Currency) {
		return Transaction{}, commerce.Invalid(commerce.FieldError{Field: "amount.currency", Message: "must be an ISO 4217 code such as USD"})
	}
	t := Transaction{ID: commerce.NewID(), Ref: ref, Kind: kind, Actor: actor, At: now.UTC(), Entries: []Entry{
		{Account: from, Amount: -amount.Amount, Currency: amount.Currency},
		{Account: to, Amount: amount.Amount, Currency: amount.Currency},
	}}
	return t, Post(tx, t)
}

// SpendWallet takes amount from a user's wallet into sales clearing (a payment).
func SpendWallet(tx Tx, userID string, amount commerce.Money, ref, actor string, now time.Time) (Transaction, error) {
	if userID == "" {
		return Transaction{}, ErrInsufficientFunds
	}
	return Move(tx, TxSpend, WalletAccount(userID), SalesClearing(amount.Currency), amount, ref, actor, now)
}

// CreditWallet gives amount back to a user's wallet from sales clearing (a refund as store
// credit).
func CreditWallet(tx Tx, userID string, amount commerce.Money, ref, actor string, now time.Time) (Transaction, error) {
	if userID == "" {
		return Transaction{}, commerce.Invalid(commerce.FieldError{Field: "user_id", Message: "a wallet needs an account"})
	}
	return Move(tx, TxCredit, SalesClearing(amount.Currency), WalletAccount(userID), amount, ref, actor, now)
}

// SpendGiftCard takes amount from the usable gift card with this code into sales clearing.
func SpendGiftCard(tx Tx, code string, amount commerce.Money, ref, actor string, now time.Time) (Transaction, error) {
	c, err := UsableGiftCard(tx, code, now)
	if err != nil {
		return Transaction{}, err
	}
	if c.Currency != amount.Currency {
		return Transaction{}, ErrCurrencyMismatch.WithDetails(map[string]any{"account": KindGiftCard, "currency": c.Currency, "asked": amount.Currency})
	}
	return Move(tx, TxSpend, GiftCardAccount(c.ID), SalesClearing(amount.Currency), amount, ref, actor, now)
}

// CreditGiftCard gives amount back to the gift card with this code (a refund). A disabled
// or expired card still takes it: the value stays with the card it was paid from.
func CreditGiftCard(tx Tx, code string, amount commerce.Money, ref, actor string, now time.Time) (Transaction, error) {
	c, err := tx.GiftCardByCode(HashCode(code))
	if err != nil {
		return Transaction{}, err
	}
	if c.Currency != amount.Currency {
		return Transaction{}, ErrCurrencyMismatch.WithDetails(map[string]any{"account": KindGiftCard, "currency": c.Currency, "asked": amount.Currency})
	}
	return Move(tx, TxCredit, SalesClearing(amount.Currency), GiftCardAccount(c.ID), amount, ref, actor, now)
}

// UsableGiftCard returns the active, unexpired gift card with this code; any other is
// ErrGiftCardNotFound (unknown, disabled and expired cards answer alike).
func UsableGiftCard(tx interface {
	GiftCardByCode(hash string) (GiftCard, error)
}, code string, now time.Time) (GiftCard, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return GiftCard{}, ErrGiftCardNotFound
	}
	c, err := tx.GiftCardByCode(HashCode(norm))
	if err != nil {
		return GiftCard{}, err
	}
	if !c.Usable(now) {
		return GiftCard{}, ErrGiftCardNotFound
	}
	return c, nil
}
