package ledger

import (
	"context"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Event types. Staff writes are audited through them; none carries a gift card code.
const (
	EventGiftCardIssued   = "ledger.gift_card_issued"
	EventGiftCardDisabled = "ledger.gift_card_disabled"
	EventWalletCredited   = "ledger.wallet_credited"
	EventWalletDebited    = "ledger.wallet_debited"
)

// Store reads the ledger and runs atomic ledger changes. The store adapter implements it.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	Account(ctx context.Context, id string) (Account, bool, error)
	GiftCard(ctx context.Context, id string) (GiftCard, error)
	GiftCardByCode(ctx context.Context, hash string) (GiftCard, error)
	// ListGiftCards returns gift cards, newest first.
	ListGiftCards(ctx context.Context, page commerce.Page) (commerce.List[GiftCard], error)
	// Transactions returns the transactions that moved an account, newest first.
	Transactions(ctx context.Context, account string, page commerce.Page) (commerce.List[Transaction], error)
	// Check reads every transaction and account in one snapshot through a Checker.
	Check(ctx context.Context) (Report, error)
}

// Service runs the gift card, wallet and check use cases. Payments move stored value
// through Spend*/Credit* inside their own updates.
type Service struct {
	store Store
	clock commerce.Clock
}

// NewService returns the ledger service; a nil clock means the system clock.
func NewService(store Store, clock commerce.Clock) *Service {
	return &Service{store: store, clock: commerce.OrSystemClock(clock)}
}

// maxValue bounds one issue, credit or debit (minor units): a typo, not a limit on business.
const maxValue = 1_000_000_000_00

// IssueInput is a new gift card.
type IssueInput struct {
	InitialValue commerce.Money `json:"initial_value"`
	ExpiresAt    *time.Time     `json:"expires_at,omitempty"`
	Note         string         `json:"note,omitempty"`
}

// GiftCardView is a gift card with its balance.
type GiftCardView struct {
	GiftCard
	Balance commerce.Money
}

func checkAmount(v *commerce.Validator, field string, m commerce.Money) {
	v.Check(m.Amount > 0 && m.Amount <= maxValue, field+".amount", "must be between 1 and 100000000000 minor units")
	v.Check(commerce.ValidCurrency(m.Currency), field+".currency", "must be an ISO 4217 code such as USD")
}

// IssueGiftCard issues a card worth in.InitialValue: the card, its code row and the issue
// transaction in one update. code is the full code, returned only here.
func (s *Service) IssueGiftCard(ctx context.Context, actor string, in IssueInput) (view GiftCardView, code string, err error) {
	now := s.clock.Now()
	in.Note = strings.TrimSpace(in.Note)
	var v commerce.Validator
	checkAmount(&v, "initial_value", in.InitialValue)
	v.Check(in.ExpiresAt == nil || in.ExpiresAt.After(now), "expires_at", "must be in the future")
	v.Text("note", in.Note, 500, false)
	if err := v.Err(); err != nil {
		return GiftCardView{}, "", err
	}
	code = NewCode()
	norm, _ := NormalizeCode(code)
	c := GiftCard{ID: commerce.NewID(), CodeHash: HashCode(norm), Last4: lastFour(norm), Currency: in.InitialValue.Currency,
		InitialValue: in.InitialValue.Amount, Status: GiftCardActive, Note: in.Note, IssuedBy: actor, Version: 1, CreatedAt: now, UpdatedAt: now}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		c.ExpiresAt = &t
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutGiftCard(c, nil); err != nil {
			return err
		}
		t, err := Move(tx, TxIssue, GiftCardsIssued(c.Currency), GiftCardAccount(c.ID), in.InitialValue, c.ID, actor, now)
		if err != nil {
			return err
		}
		return emit(tx, EventGiftCardIssued, c.ID, actor, now, map[string]any{
			"gift_card_id": c.ID, "last4": c.Last4, "initial_value": in.InitialValue, "expires_at": c.ExpiresAt, "transaction_id": t.ID,
		})
	})
	if err != nil {
		return GiftCardView{}, "", err
	}
	return GiftCardView{GiftCard: c, Balance: in.InitialValue}, code, nil
}

func emit(tx Tx, typ, aggregate, actor string, now time.Time, data any) error {
	ev, err := commerce.NewEvent(typ, aggregate, now, data)
	if err != nil {
		return err
	}
	ev.Actor = actor
	tx.Emit(ev)
	return nil
}

// DisableGiftCard stops a card from paying; its balance stays on the ledger. Disabling a
// disabled card changes nothing.
func (s *Service) DisableGiftCard(ctx context.Context, actor, id string) (GiftCardView, error) {
	if !commerce.ValidID(id) {
		return GiftCardView{}, ErrGiftCardNotFound
	}
	var out GiftCard
	err := s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.GiftCard(id)
		if err != nil {
			return err
		}
		out = prev
		if prev.Status == GiftCardDisabled {
			return nil
		}
		now := s.clock.Now()
		out.Status, out.DisabledBy, out.UpdatedAt = GiftCardDisabled, actor, now
		out.Version++
		if err := tx.PutGiftCard(out, &prev); err != nil {
			return err
		}
		return emit(tx, EventGiftCardDisabled, id, actor, now, map[string]any{"gift_card_id": id, "last4": out.Last4})
	})
	if err != nil {
		return GiftCardView{}, err
	}
	return s.view(ctx, out)
}

func (s *Service) view(ctx context.Context, c GiftCard) (GiftCardView, error) {
	a, _, err := s.store.Account(ctx, GiftCardAccount(c.ID))
	if err != nil {
		return GiftCardView{}, err
	}
	return GiftCardView{GiftCard: c, Balance: commerce.Money{Amount: a.Balance, Currency: c.Currency}}, nil
}

// GiftCard returns a card with its balance (staff).
func (s *Service) GiftCard(ctx context.Context, id string) (GiftCardView, error) {
	if !commerce.ValidID(id) {
		return GiftCardView{}, ErrGiftCardNotFound
	}
	c, err := s.store.GiftCard(ctx, id)
	if err != nil {
		return GiftCardView{}, err
	}
	return s.view(ctx, c)
}

// ListGiftCards returns cards with their balances, newest first (staff).
func (s *Service) ListGiftCards(ctx context.Context, page commerce.Page) (commerce.List[GiftCardView], error) {
	l, err := s.store.ListGiftCards(ctx, page.Normalize())
	if err != nil {
		return commerce.List[GiftCardView]{}, err
	}
	out := commerce.List[GiftCardView]{Items: make([]GiftCardView, 0, len(l.Items)), NextCursor: l.NextCursor}
	for _, c := range l.Items {
		v, err := s.view(ctx, c)
		if err != nil {
			return commerce.List[GiftCardView]{}, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// GiftCardTransactions returns a card's transactions, newest first (staff).
func (s *Service) GiftCardTransactions(ctx context.Context, id string, page commerce.Page) (commerce.List[Transaction], error) {
	if _, err := s.GiftCard(ctx, id); err != nil {
		return commerce.List[Transaction]{}, err
	}
	return s.store.Transactions(ctx, GiftCardAccount(id), page.Normalize())
}

// Balance is the public answer of a gift card balance check.
type Balance struct {
	Last4     string         `json:"last4"`
	Balance   commerce.Money `json:"balance"`
	ExpiresAt *time.Time     `json:"expires_at,omitempty"`
}

// CheckBalance answers a shopper's balance check: unknown, disabled and expired cards are
// all ErrGiftCardNotFound.
func (s *Service) CheckBalance(ctx context.Context, code string) (Balance, error) {
	if strings.TrimSpace(code) == "" {
		return Balance{}, commerce.Invalid(commerce.FieldError{Field: "code", Message: "is required"})
	}
	c, err := UsableGiftCard(storeCodes{ctx, s.store}, code, s.clock.Now())
	if err != nil {
		return Balance{}, err
	}
	v, err := s.view(ctx, c)
	if err != nil {
		return Balance{}, err
	}
	return Balance{Last4: c.Last4, Balance: v.Balance, ExpiresAt: c.ExpiresAt}, nil
}

type storeCodes struct {
	ctx   context.Context
	store Store
}

func (s storeCodes) GiftCardByCode(hash string) (GiftCard, error) {
	return s.store.GiftCardByCode(s.ctx, hash)
}

// Wallet is a user's store credit and a page of its transactions.
type Wallet struct {
	UserID       string
	Balance      commerce.Money // currency empty when the wallet never moved
	Transactions commerce.List[Transaction]
}

// Wallet returns a user's wallet and a page of its transactions, newest first.
func (s *Service) Wallet(ctx context.Context, userID string, page commerce.Page) (Wallet, error) {
	a, _, err := s.store.Account(ctx, WalletAccount(userID))
	if err != nil {
		return Wallet{}, err
	}
	l, err := s.store.Transactions(ctx, WalletAccount(userID), page.Normalize())
	if err != nil {
		return Wallet{}, err
	}
	return Wallet{UserID: userID, Balance: a.Money(), Transactions: l}, nil
}

// AdjustInput is a staff credit or debit of a wallet.
type AdjustInput struct {
	Amount commerce.Money `json:"amount"`
	Reason string         `json:"reason"`
}

// AdjustWallet credits (or, with debit, debits) a user's wallet against the shop's store
// credit account. A debit never takes the wallet below zero (EConflict insufficient_funds).
// The caller checks that the user exists.
func (s *Service) AdjustWallet(ctx context.Context, actor, userID string, debit bool, in AdjustInput) (Wallet, Transaction, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var v commerce.Validator
	checkAmount(&v, "amount", in.Amount)
	v.Text("reason", in.Reason, 500, true)
	if err := v.Err(); err != nil {
		return Wallet{}, Transaction{}, err
	}
	now := s.clock.Now()
	from, to, typ := StoreCreditIssued(in.Amount.Currency), WalletAccount(userID), EventWalletCredited
	if debit {
		from, to, typ = to, from, EventWalletDebited
	}
	var t Transaction
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if t, err = Move(tx, TxAdjust, from, to, in.Amount, in.Reason, actor, now); err != nil {
			return err
		}
		return emit(tx, typ, userID, actor, now, map[string]any{"user_id": userID, "amount": in.Amount, "reason": in.Reason, "transaction_id": t.ID})
	})
	if err != nil {
		return Wallet{}, Transaction{}, err
	}
	w, err := s.Wallet(ctx, userID, commerce.Page{})
	return w, t, err
}

// Check proves the ledger balances (see Checker).
func (s *Service) Check(ctx context.Context) (Report, error) { return s.store.Check(ctx) }
