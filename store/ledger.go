package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// The double-entry ledger (commerce/ledger). A transaction lives at ledger/tx/<ID>; each of
// its entries moves the balance row ledger/account/<account> and adds a history row
// ledger/entry/<account>/<tx ID>, all in the update that posts it. Gift cards live at
// ledger/giftcard/<ID> with ledger/giftcard_code/<SHA-256 of the code> naming the card.

func ledgerAccountKey(id string) []byte          { return Key(prefixLedgerAccount, id) }
func ledgerTxKey(id string) []byte               { return Key(prefixLedgerTx, id) }
func ledgerEntryKey(account, txID string) []byte { return Key(prefixLedgerEntry, account, txID) }
func giftCardKey(id string) []byte               { return Key(prefixGiftCard, id) }
func giftCardCodeKey(hash string) []byte         { return Key(prefixGiftCardCode, hash) }

// Ledger is the Pebble implementation of ledger.Store.
type Ledger struct{ db *DB }

// NewLedger returns the ledger store on db.
func NewLedger(db *DB) *Ledger { return &Ledger{db: db} }

var _ ledger.Store = (*Ledger)(nil)

// Update runs fn as one atomic, durable update.
func (s *Ledger) Update(ctx context.Context, fn func(ledger.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(ledgerTx{tx}) })
}

// Account returns an account's balance row; ok is false when it never moved.
func (s *Ledger) Account(ctx context.Context, id string) (a ledger.Account, ok bool, err error) {
	err = s.db.View(ctx, func(r *Reader) error { a, ok, err = accountOf(r, id); return err })
	return a, ok, err
}

// GiftCard returns a card by ID.
func (s *Ledger) GiftCard(ctx context.Context, id string) (c ledger.GiftCard, err error) {
	err = s.db.View(ctx, func(r *Reader) error { c, err = giftCardOf(r, id); return err })
	return c, err
}

// GiftCardByCode returns a card by the hash of its code.
func (s *Ledger) GiftCardByCode(ctx context.Context, hash string) (c ledger.GiftCard, err error) {
	err = s.db.View(ctx, func(r *Reader) error { c, err = giftCardByCode(r, hash); return err })
	return c, err
}

// errLedgerCursor is returned for a list cursor this store did not make.
var errLedgerCursor = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "store: invalid cursor",
	Fields: []commerce.FieldError{{Field: "cursor", Message: "is not a cursor of this list"}}}

// idPageReverse scans the rows under prefix whose last key part is a time-ordered ID,
// newest first, after page.Cursor (the last ID of the previous page, base64url), calling
// fn with each ID until page.Limit were taken; it returns the next cursor.
func idPageReverse(ctx context.Context, r *Reader, prefix []byte, page commerce.Page, fn func(id string, v []byte) error) (string, error) {
	page = page.Normalize()
	upper := PrefixEnd(prefix)
	if page.Cursor != "" {
		last, err := decodeIDCursor(page.Cursor)
		if err != nil {
			return "", err
		}
		upper = append(append([]byte(nil), prefix...), last...) // exclusive: strictly older
	}
	n, lastID, more := 0, "", false
	err := r.ScanReverse(prefix, upper, func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n == page.Limit {
			more = true
			return ErrStop
		}
		n++
		lastID = string(k[len(prefix):])
		return fn(lastID, v)
	})
	if err != nil || !more {
		return "", err
	}
	return encodeIDCursor(lastID), nil
}

// ListGiftCards returns gift cards, newest first.
func (s *Ledger) ListGiftCards(ctx context.Context, page commerce.Page) (commerce.List[ledger.GiftCard], error) {
	l := commerce.List[ledger.GiftCard]{Items: []ledger.GiftCard{}}
	err := s.db.View(ctx, func(r *Reader) (err error) {
		l.NextCursor, err = idPageReverse(ctx, r, []byte(prefixGiftCard), page, func(id string, v []byte) error {
			var c ledger.GiftCard
			if err := decode(v, &c); err != nil {
				return fmt.Errorf("store: gift card %s: %w", id, err)
			}
			l.Items = append(l.Items, c)
			return nil
		})
		return err
	})
	if err != nil {
		return commerce.List[ledger.GiftCard]{}, err
	}
	return l, nil
}

// Transactions returns the transactions that moved an account, newest first.
func (s *Ledger) Transactions(ctx context.Context, account string, page commerce.Page) (commerce.List[ledger.Transaction], error) {
	l := commerce.List[ledger.Transaction]{Items: []ledger.Transaction{}}
	err := s.db.View(ctx, func(r *Reader) (err error) {
		l.NextCursor, err = idPageReverse(ctx, r, Key(prefixLedgerEntry, account, ""), page, func(id string, _ []byte) error {
			var t ledger.Transaction
			if err := getJSON(r, ledgerTxKey(id), &t); err != nil {
				return fmt.Errorf("store: ledger transaction %s of %s: %w", id, account, err)
			}
			l.Items = append(l.Items, t)
			return nil
		})
		return err
	})
	if err != nil {
		return commerce.List[ledger.Transaction]{}, err
	}
	return l, nil
}

// Check reads every transaction and every balance row in one snapshot and proves the ledger
// balances (ledger.Checker). A row that does not decode is a problem of the report, not an
// error; errors are failures to read.
func (s *Ledger) Check(ctx context.Context) (ledger.Report, error) {
	c := ledger.NewChecker()
	var bad string
	err := s.db.View(ctx, func(r *Reader) error {
		n := 0
		each := func(prefix string, fn func(k, v []byte) error) error {
			return r.Scan([]byte(prefix), PrefixEnd([]byte(prefix)), func(k, v []byte) error {
				if n++; n%4096 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				return fn(k, v)
			})
		}
		err := each(prefixLedgerTx, func(k, v []byte) error {
			var t ledger.Transaction
			if err := decode(v, &t); err != nil {
				bad = fmt.Sprintf("key %s: %v", keyString(k), err)
				return ErrStop
			}
			if t.ID != string(k[len(prefixLedgerTx):]) {
				bad = fmt.Sprintf("key %s: holds transaction %s", keyString(k), t.ID)
				return ErrStop
			}
			c.Transaction(t)
			return nil
		})
		if err != nil || bad != "" {
			return err
		}
		return each(prefixLedgerAccount, func(k, v []byte) error {
			var a ledger.Account
			if err := decode(v, &a); err != nil {
				bad = fmt.Sprintf("key %s: %v", keyString(k), err)
				return ErrStop
			}
			if a.ID != string(k[len(prefixLedgerAccount):]) {
				bad = fmt.Sprintf("key %s: holds account %s", keyString(k), a.ID)
				return ErrStop
			}
			c.Account(a)
			return nil
		})
	})
	if err != nil {
		return ledger.Report{}, err
	}
	rep := c.Report()
	if bad != "" {
		rep.OK, rep.Problem = false, bad
	}
	return rep, nil
}

func accountOf(r getter, id string) (ledger.Account, bool, error) {
	var a ledger.Account
	err := getJSON(r, ledgerAccountKey(id), &a)
	if errors.Is(err, ErrNotFound) {
		return ledger.Account{}, false, nil
	}
	return a, err == nil, err
}

func giftCardOf(r getter, id string) (ledger.GiftCard, error) {
	var c ledger.GiftCard
	err := getJSON(r, giftCardKey(id), &c)
	if errors.Is(err, ErrNotFound) {
		return c, ledger.ErrGiftCardNotFound
	}
	return c, err
}

func giftCardByCode(r getter, hash string) (ledger.GiftCard, error) {
	id, err := r.Get(giftCardCodeKey(hash))
	if errors.Is(err, ErrNotFound) {
		return ledger.GiftCard{}, ledger.ErrGiftCardNotFound
	} else if err != nil {
		return ledger.GiftCard{}, err
	}
	return giftCardOf(r, string(id))
}

// ledgerTx is the double-entry ledger inside an update: ledger.Tx for the ledger's own use
// cases, and payments.Ledger for the payment and checkout updates that settle stored value.
type ledgerTx struct{ tx *Tx }

var (
	_ payments.Ledger = ledgerTx{}
	_ ledger.Tx       = ledgerTx{}
)

func (l ledgerTx) Account(id string) (ledger.Account, bool, error) { return accountOf(l.tx, id) }
func (l ledgerTx) PutAccount(a ledger.Account) error               { return putJSON(l.tx, ledgerAccountKey(a.ID), a) }
func (l ledgerTx) GiftCard(id string) (ledger.GiftCard, error)     { return giftCardOf(l.tx, id) }
func (l ledgerTx) GiftCardByCode(hash string) (ledger.GiftCard, error) {
	return giftCardByCode(l.tx, hash)
}
func (l ledgerTx) Emit(ev commerce.Event) { l.tx.Emit(ev) }

// PutTransaction writes t and one history row per entry.
func (l ledgerTx) PutTransaction(t ledger.Transaction) error {
	if err := putJSON(l.tx, ledgerTxKey(t.ID), t); err != nil {
		return err
	}
	for _, e := range t.Entries {
		l.tx.Set(ledgerEntryKey(e.Account, t.ID), nil)
	}
	return nil
}

// PutGiftCard writes a card; a new one (prev nil) gets its code row, refused if the code's
// hash is taken (80 random bits: never in practice).
func (l ledgerTx) PutGiftCard(c ledger.GiftCard, prev *ledger.GiftCard) error {
	if prev == nil {
		k := giftCardCodeKey(c.CodeHash)
		if _, err := l.tx.Get(k); err == nil {
			return commerce.Errorf(commerce.EConflict, "gift_card_code_taken", "store: gift card code collision")
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		l.tx.Set(k, []byte(c.ID))
	}
	return putJSON(l.tx, giftCardKey(c.ID), c)
}

// actor names who moves value in this update (the context's actor, else "system").
func (l ledgerTx) actor() string {
	if a, ok := commerce.ActorFrom(l.tx.ctx); ok && a.ID != "" {
		return a.ID
	}
	return "system"
}

// Spend takes amount from the wallet of src.UserID or the gift card src.GiftCardCode into
// sales clearing, for the payment ref.
func (l ledgerTx) Spend(src payments.Source, amount commerce.Money, ref string) error {
	now := time.Now().UTC()
	var err error
	if src.GiftCardCode != "" {
		_, err = ledger.SpendGiftCard(l, src.GiftCardCode, amount, ref, l.actor(), now)
	} else {
		_, err = ledger.SpendWallet(l, src.UserID, amount, ref, l.actor(), now)
	}
	return err
}

// Credit gives amount back to the gift card src.GiftCardCode or, without one, to the wallet
// of dst.UserID (store credit), for the payment or refund ref.
func (l ledgerTx) Credit(dst payments.Source, amount commerce.Money, ref string) error {
	now := time.Now().UTC()
	var err error
	if dst.GiftCardCode != "" {
		_, err = ledger.CreditGiftCard(l, dst.GiftCardCode, amount, ref, l.actor(), now)
	} else {
		_, err = ledger.CreditWallet(l, dst.UserID, amount, ref, l.actor(), now)
	}
	return err
}

func encodeIDCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeIDCursor(cursor string) (string, error) {
	last, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !commerce.ValidID(string(last)) {
		return "", errLedgerCursor
	}
	return string(last), nil
}
