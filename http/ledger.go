package http

import (
	"context"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// LedgerDeps are the components of the gift cards, wallets (store credit), the ledger check and the fraud review queue routes.
type LedgerDeps struct {
	Ledger     *ledger.Service // gift cards, wallets, the check
	FraudQueue FraudQueue      // the orders held for review (decisions go through Deps.Orders)
}

// FraudQueue lists the orders the fraud rules hold. The store implements it.
type FraudQueue interface {
	Held(ctx context.Context, page commerce.Page) (commerce.List[orders.Order], error)
}

// LedgerOps is the ledger part of the operator operations (the CLI's `ledger check`): the
// app and AdminClient implement it next to AdminOps.
type LedgerOps interface {
	CheckLedger(ctx context.Context) (ledger.Report, error)
}

// transactionResponse is one ledger transaction.
type transactionResponse struct {
	ID      string          `json:"id"`
	Ref     string          `json:"ref,omitempty"`
	Kind    string          `json:"kind"`
	Entries []entryResponse `json:"entries"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
}

type entryResponse struct {
	Account string         `json:"account"`
	Amount  commerce.Money `json:"amount"` // signed: plus adds to the account
}

type transactionList struct {
	Items      []transactionResponse `json:"items"`
	NextCursor string                `json:"next_cursor"`
}

func transactionsOut(l commerce.List[ledger.Transaction]) transactionList {
	out := transactionList{Items: make([]transactionResponse, len(l.Items)), NextCursor: l.NextCursor}
	for i, t := range l.Items {
		r := transactionResponse{ID: t.ID, Ref: t.Ref, Kind: t.Kind, Actor: t.Actor, At: t.At, Entries: make([]entryResponse, len(t.Entries))}
		for j, e := range t.Entries {
			r.Entries[j] = entryResponse{Account: e.Account, Amount: commerce.Money{Amount: e.Amount, Currency: e.Currency}}
		}
		out.Items[i] = r
	}
	return out
}

// giftCardResponse is a gift card as staff see it: never its code, only the last four
// characters (Code is set once, in the answer to the issue).
type giftCardResponse struct {
	ID           string           `json:"id"`
	Code         string           `json:"code,omitempty"`
	Last4        string           `json:"last4"`
	InitialValue commerce.Money   `json:"initial_value"`
	Balance      commerce.Money   `json:"balance"`
	Status       string           `json:"status"`
	Usable       bool             `json:"usable"` // active and not expired
	ExpiresAt    *time.Time       `json:"expires_at,omitempty"`
	Note         string           `json:"note,omitempty"`
	IssuedBy     string           `json:"issued_by"`
	DisabledBy   string           `json:"disabled_by,omitempty"`
	Version      int64            `json:"version"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	Transactions *transactionList `json:"transactions,omitempty"` // GET /admin/gift-cards/:id: the newest page
}

func giftCardOut(v ledger.GiftCardView) giftCardResponse {
	return giftCardResponse{ID: v.ID, Last4: v.Last4, InitialValue: commerce.Money{Amount: v.InitialValue, Currency: v.Currency},
		Balance: v.Balance, Status: v.Status, Usable: v.Usable(time.Now()), ExpiresAt: v.ExpiresAt, Note: v.Note, IssuedBy: v.IssuedBy,
		DisabledBy: v.DisabledBy, Version: v.Version, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

type giftCardList struct {
	Items      []giftCardResponse `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

// giftCardBalanceRequest is the body of the public balance check.
type giftCardBalanceRequest struct {
	Code string `json:"code"`
}

// walletResponse is a wallet's balance and a page of its transactions, newest first.
type walletResponse struct {
	UserID     string                `json:"user_id"`
	Balance    commerce.Money        `json:"balance"` // currency "" while the wallet never moved
	Items      []transactionResponse `json:"items"`
	NextCursor string                `json:"next_cursor"`
}

func walletOut(w ledger.Wallet) walletResponse {
	l := transactionsOut(w.Transactions)
	return walletResponse{UserID: w.UserID, Balance: w.Balance, Items: l.Items, NextCursor: l.NextCursor}
}

// walletAdjustResponse is a wallet after a staff credit or debit, with the transaction.
type walletAdjustResponse struct {
	walletResponse
	Transaction transactionResponse `json:"transaction"`
}

// reviewNoteRequest is the body of a review decision.
type reviewNoteRequest struct {
	Note string `json:"note"`
}

// heldOrderResponse is an order on the fraud review queue.
type heldOrderResponse struct {
	OrderID       string         `json:"order_id"`
	Number        int64          `json:"number"`
	Status        string         `json:"status"`
	UserID        string         `json:"user_id,omitempty"`
	Email         string         `json:"email"`
	ClientIP      string         `json:"client_ip,omitempty"`
	Total         commerce.Money `json:"total"`
	PaymentMethod string         `json:"payment_method"`
	PaymentStatus string         `json:"payment_status,omitempty"`
	Review        orders.Review  `json:"review"`
	Version       int64          `json:"version"`
	CreatedAt     time.Time      `json:"created_at"`
}

func heldOrderOut(o orders.Order) heldOrderResponse {
	out := heldOrderResponse{OrderID: o.ID, Number: o.Number, Status: o.Status, UserID: o.UserID, Email: o.Email, ClientIP: o.ClientIP,
		Total: o.Total, PaymentMethod: o.PaymentMethod, PaymentStatus: o.PaymentStatus, Version: o.Version, CreatedAt: o.CreatedAt}
	if o.Review != nil {
		out.Review = *o.Review
	}
	return out
}

type heldOrderList struct {
	Items      []heldOrderResponse `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

// actorID is how the ledger and orders name the request's principal.
func actorID(c echo.Context) string {
	p, _ := principalOf(c)
	return p.Actor()
}

// ledgerRoutes registers the gift cards, wallets (store credit), the ledger check and the fraud review queue routes.
func (s *Server) ledgerRoutes() {
	svc := func() (*ledger.Service, error) {
		if s.deps.Ledger == nil {
			return nil, unavailable("ledger")
		}
		return s.deps.Ledger, nil
	}
	page := []Param{{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}}
	money := " Amounts are integer minor units with an ISO 4217 currency."

	s.handle(Route{Method: "POST", Path: "/api/v1/admin/gift-cards", Tag: "gift cards", Summary: "Issue a gift card",
		Description: "Issues a gift card worth initial_value (1 to 100000000000 minor units), optionally expiring at expires_at " +
			"(RFC 3339, in the future) with a staff note (≤ 500 characters). The answer's code (16 characters in groups of four, " +
			"80 random bits) is shown this once: the shop keeps only its SHA-256 and last4. The card's value is posted to the " +
			"ledger as a gift_card_issue transaction (gift_card:<id> +, shop:gift_cards_issued:<currency> −). Emits " +
			"ledger.gift_card_issued (audited; without the code)." + money,
		Perm: auth.PermLedgerManage, Request: ledger.IssueInput{}, Response: giftCardResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, l *ledger.Service, req ledger.IssueInput) error {
			v, code, err := l.IssueGiftCard(c.Request().Context(), actorID(c), req)
			if err != nil {
				return err
			}
			out := giftCardOut(v)
			out.Code = code
			noStore(c)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/gift-cards/"+v.ID)
			return c.JSON(stdhttp.StatusCreated, out)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/gift-cards", Tag: "gift cards", Summary: "List gift cards",
		Description: "Every gift card, newest first, with its balance; never the code.",
		Perm:        auth.PermLedgerManage, Response: giftCardList{}, Query: page, Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			p, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := l.ListGiftCards(c.Request().Context(), p)
			if err != nil {
				return err
			}
			out := giftCardList{Items: make([]giftCardResponse, len(list.Items)), NextCursor: list.NextCursor}
			for i, v := range list.Items {
				out.Items[i] = giftCardOut(v)
			}
			return c.JSON(stdhttp.StatusOK, out)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/gift-cards/:id", Tag: "gift cards", Summary: "A gift card",
		Description: "A gift card with its balance and a page of its ledger transactions (newest first; ?cursor= pages on).",
		Perm:        auth.PermLedgerManage, Response: giftCardResponse{}, Query: page, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			p, err := pageOf(c)
			if err != nil {
				return err
			}
			ctx := c.Request().Context()
			v, err := l.GiftCard(ctx, c.Param("id"))
			if err != nil {
				return err
			}
			txs, err := l.GiftCardTransactions(ctx, v.ID, p)
			if err != nil {
				return err
			}
			out := giftCardOut(v)
			tl := transactionsOut(txs)
			out.Transactions = &tl
			return jsonETag(c, stdhttp.StatusOK, v.Version, out)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/gift-cards/:id/disable", Tag: "gift cards", Summary: "Disable a gift card",
		Description: "The card can no longer pay (checkout and the balance check answer 404 gift_card_not_found as for an unknown " +
			"code); its balance stays on the ledger and refunds can still go back to it. Disabling a disabled card changes " +
			"nothing. Emits ledger.gift_card_disabled.",
		Perm: auth.PermLedgerManage, Response: giftCardResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			v, err := l.DisableGiftCard(c.Request().Context(), actorID(c), c.Param("id"))
			if err != nil {
				return err
			}
			return jsonETag(c, stdhttp.StatusOK, v.Version, giftCardOut(v))
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/gift-cards/balance", Tag: "gift cards", Summary: "Check a gift card's balance",
		Description: "Anyone holding a code may read its balance (in any case, with or without dashes). Unknown, disabled and " +
			"expired codes all answer 404 gift_card_not_found. A code has 80 random bits, so guessing one is hopeless; the " +
			"code goes in the body so it stays out of access logs.",
		Request: giftCardBalanceRequest{}, Response: ledger.Balance{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, l *ledger.Service, req giftCardBalanceRequest) error {
			b, err := l.CheckBalance(c.Request().Context(), req.Code)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, b)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/wallet", Tag: "wallet", Summary: "My wallet",
		Description: "The signed-in customer's store credit (wallet:<user id>) and its transactions, newest first. The balance's " +
			"currency is empty while the wallet never moved. Store credit comes from refunds and staff credits and pays at " +
			"checkout with payment_method wallet.",
		Auth: true, Response: walletResponse{}, Query: page, Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			p, err := pageOf(c)
			if err != nil {
				return err
			}
			pr, _ := principalOf(c)
			w, err := l.Wallet(c.Request().Context(), pr.UserID, p)
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, walletOut(w))
		})})
	// user resolves the route's user: 404 user_not_found for an unknown one.
	user := func(c echo.Context) (string, error) {
		if s.deps.Auth == nil {
			return "", unavailable("auth")
		}
		u, err := s.deps.Auth.User(c.Request().Context(), c.Param("user_id"))
		return u.ID, err
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/wallets/:user_id", Tag: "wallet", Summary: "A customer's wallet",
		Description: "A user's store credit and its transactions, newest first.",
		Perm:        auth.PermLedgerManage, Response: walletResponse{}, Query: page, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			p, err := pageOf(c)
			if err != nil {
				return err
			}
			id, err := user(c)
			if err != nil {
				return err
			}
			w, err := l.Wallet(c.Request().Context(), id, p)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, walletOut(w))
		})})
	for _, debit := range []bool{false, true} {
		path, summary, desc := "/api/v1/admin/wallets/:user_id/credit", "Credit a customer's wallet",
			"Adds amount to the user's store credit against shop:store_credit_issued:<currency> (an adjust transaction with the "+
				"reason as its ref). A wallet holds one currency: the first credit sets it, another is 409 currency_mismatch. "+
				"Emits ledger.wallet_credited (audited)."
		if debit {
			path, summary, desc = "/api/v1/admin/wallets/:user_id/debit", "Debit a customer's wallet",
				"Takes amount from the user's store credit back to shop:store_credit_issued:<currency>. Never below zero: a "+
					"short balance is 409 insufficient_funds and nothing is written. Emits ledger.wallet_debited (audited)."
		}
		s.handle(Route{Method: "POST", Path: path, Tag: "wallet", Summary: summary,
			Description: desc + " reason (1-500 characters) is required." + money,
			Perm:        auth.PermLedgerManage, Request: ledger.AdjustInput{}, Response: walletAdjustResponse{},
			Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
			Handler: withBody(svc, func(c echo.Context, l *ledger.Service, req ledger.AdjustInput) error {
				id, err := user(c)
				if err != nil {
					return err
				}
				w, t, err := l.AdjustWallet(c.Request().Context(), actorID(c), id, debit, req)
				if err != nil {
					return err
				}
				tl := transactionsOut(commerce.List[ledger.Transaction]{Items: []ledger.Transaction{t}})
				return c.JSON(stdhttp.StatusOK, walletAdjustResponse{walletResponse: walletOut(w), Transaction: tl.Items[0]})
			})})
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/ledger/check", Tag: "ledger", Summary: "Prove the ledger balances",
		Description: "Reads every ledger transaction and balance row in one snapshot and checks that each transaction's entries " +
			"sum to zero per currency, that every stored balance equals the sum of its account's entries, that no wallet or " +
			"gift card is negative and that all entries of each currency sum to zero (totals). ok false names the first " +
			"problem. The CLI's `ultramarket ledger check` runs the same check.",
		Perm: auth.PermLedgerManage, Response: ledger.Report{},
		Handler: withService(svc, func(c echo.Context, l *ledger.Service) error {
			r, err := l.Check(c.Request().Context())
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, r)
		})})
	s.fraudRoutes()
}

// fraudRoutes registers the fraud review queue.
func (s *Server) fraudRoutes() {
	queue := func() (FraudQueue, error) {
		if s.deps.FraudQueue == nil {
			return nil, unavailable("fraud")
		}
		return s.deps.FraudQueue, nil
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/admin/fraud/reviews", Tag: "fraud", Summary: "The fraud review queue",
		Description: "Orders the fraud rules ([fraud] in the configuration) held at checkout and nobody decided yet, oldest " +
			"first, each with review.reasons: the rules that fired (max_orders_per_account, max_orders_per_ip, " +
			"max_orders_per_card, max_order_amount, hold_first_order_over). A held order cannot move to PROCESSING, SHIPPED " +
			"or DELIVERED until approved (409 order_under_review).",
		Perm: auth.PermFraudReview, Response: heldOrderList{},
		Query:  []Param{{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withService(queue, func(c echo.Context, q FraudQueue) error {
			p, err := pageOf(c)
			if err != nil {
				return err
			}
			l, err := q.Held(c.Request().Context(), p)
			if err != nil {
				return err
			}
			out := heldOrderList{Items: make([]heldOrderResponse, len(l.Items)), NextCursor: l.NextCursor}
			for i, o := range l.Items {
				out.Items[i] = heldOrderOut(o)
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, out)
		})})
	for _, approve := range []bool{true, false} {
		path, summary, desc := "/api/v1/admin/fraud/reviews/:order_id/approve", "Approve a held order",
			"Releases the order: review.status approved with who decided and when, a history entry with the note, the order "+
				"leaves the queue and may be fulfilled. Emits orders.review_approved."
		if !approve {
			path, summary, desc = "/api/v1/admin/fraud/reviews/:order_id/reject", "Reject a held order",
				"review.status rejected, and the order is CANCELLED in the same write (its stock goes back, orders.cancelled; "+
					"a paid order's refund is a separate POST /payments/:id/refund). Emits orders.review_rejected."
		}
		s.handle(Route{Method: "POST", Path: path, Tag: "fraud", Summary: summary,
			Description: desc + " An order never held is 404 review_not_found; one already decided is 409 review_decided. " +
				"note is optional (≤ 1000 characters).",
			Perm: auth.PermFraudReview, Request: reviewNoteRequest{}, Response: heldOrderResponse{},
			Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
			Handler: withBody(s.ordersService, func(c echo.Context, os *orders.Service, req reviewNoteRequest) error {
				o, err := os.DecideReview(c.Request().Context(), actorID(c), c.Param("order_id"), approve, req.Note)
				if err != nil {
					return err
				}
				return jsonETag(c, stdhttp.StatusOK, o.Version, heldOrderOut(o))
			})})
	}
}

// ledgerAdminRoutes serves the ledger operations of LedgerOps on the admin socket.
func ledgerAdminRoutes(e *echo.Echo, ops AdminOps) {
	lo, ok := ops.(LedgerOps)
	if !ok {
		return
	}
	e.GET("/admin/ledger/check", func(c echo.Context) error {
		r, err := lo.CheckLedger(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, r)
	})
}

// CheckLedger implements LedgerOps.
func (c *AdminClient) CheckLedger(ctx context.Context) (ledger.Report, error) {
	var r ledger.Report
	err := c.doJSON(ctx, "GET", "/admin/ledger/check", nil, &r)
	return r, err
}
