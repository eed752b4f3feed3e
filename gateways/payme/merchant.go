package payme

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// Merchant API error codes.
const (
	ErrWrongAmount        = -31001
	ErrTxNotFound         = -31003
	ErrCannotCancel       = -31007
	ErrCannotPerform      = -31008
	ErrPaymentNotFound    = -31050 // account: no such payment
	ErrPaymentNotPayable  = -31051 // account: the payment is not pending, or not a Payme payment
	ErrPaymentBusy        = -31052 // account: another transaction is paying the payment
	ErrSystem             = -32400
	ErrInsufficientPrivs  = -32504
	ErrMethodNotFound     = -32601
	ErrInvalidRequest     = -32600
	ErrParse              = -32700
	jsonRPCVersion        = "2.0"
	contentTypeJSON       = "application/json; charset=utf-8"
	paymentAliasPrefix    = "payment/"
	accountPaymentIDField = "payment_id"
)

// rpcError is a merchant API error, with its message in the three languages Payme shows.
type rpcError struct {
	Code    int               `json:"code"`
	Message map[string]string `json:"message"`
	Data    string            `json:"data,omitempty"`
}

func newError(code int, en, ru, uz, data string) *rpcError {
	return &rpcError{Code: code, Message: map[string]string{"en": en, "ru": ru, "uz": uz}, Data: data}
}

func errTxNotFound() *rpcError {
	return newError(ErrTxNotFound, "Transaction not found", "Транзакция не найдена", "Tranzaksiya topilmadi", "")
}

func errWrongAmount() *rpcError {
	return newError(ErrWrongAmount, "Wrong amount", "Неверная сумма", "Noto'g'ri summa", "amount")
}

func errCannotPerform() *rpcError {
	return newError(ErrCannotPerform, "The transaction cannot be performed", "Невозможно выполнить операцию", "Amalni bajarib bo'lmaydi", "")
}

type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

type params struct {
	ID      string            `json:"id"`
	Time    int64             `json:"time"`
	Amount  *int64            `json:"amount"`
	Account map[string]string `json:"account"`
	Reason  *int              `json:"reason"`
	From    int64             `json:"from"`
	To      int64             `json:"to"`
}

// transaction is a Payme transaction as the adapter keeps it.
type transaction struct {
	ID          string `json:"id"`   // Payme's
	Time        int64  `json:"time"` // Payme's creation time, ms
	Amount      int64  `json:"amount"`
	PaymentID   string `json:"payment_id"`
	CreateTime  int64  `json:"create_time"`
	PerformTime int64  `json:"perform_time"`
	CancelTime  int64  `json:"cancel_time"`
	State       int    `json:"state"`
	Reason      *int   `json:"reason"`
}

// HandleWebhook implements payments.Webhook: one merchant API call. Payme expects HTTP 200
// with a JSON-RPC result or error for every call, authorization failures included.
func (g *Gateway) HandleWebhook(ctx context.Context, header map[string][]string, body []byte) (int, string, []byte) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return reply(nil, nil, newError(ErrParse, "Parse error", "Ошибка разбора JSON", "JSON tahlil xatosi", ""))
	}
	if !g.authorized(header) {
		return reply(req.ID, nil, newError(ErrInsufficientPrivs, "Insufficient privileges", "Недостаточно привилегий", "Imtiyozlar yetarli emas", ""))
	}
	if req.Method == "" || len(req.Params) == 0 {
		return reply(req.ID, nil, newError(ErrInvalidRequest, "Invalid request", "Неверный запрос", "Noto'g'ri so'rov", ""))
	}
	var p params
	if err := json.Unmarshal(req.Params, &p); err != nil {
		return reply(req.ID, nil, newError(ErrInvalidRequest, "Invalid request: "+err.Error(), "Неверный запрос", "Noto'g'ri so'rov", ""))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var (
		result any
		rerr   *rpcError
	)
	switch req.Method {
	case "CheckPerformTransaction":
		result, rerr = g.checkPerform(ctx, p)
	case "CreateTransaction":
		result, rerr = g.create(ctx, p)
	case "PerformTransaction":
		result, rerr = g.perform(ctx, p)
	case "CancelTransaction":
		result, rerr = g.cancel(ctx, p)
	case "CheckTransaction":
		result, rerr = g.check(ctx, p)
	case "GetStatement":
		result, rerr = g.statement(ctx, p)
	default:
		rerr = newError(ErrMethodNotFound, "Method not found", "Метод не найден", "Metod topilmadi", req.Method)
	}
	return reply(req.ID, result, rerr)
}

func reply(id json.RawMessage, result any, rerr *rpcError) (int, string, []byte) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	resp := response{JSONRPC: jsonRPCVersion, ID: id, Result: result, Error: rerr}
	if rerr != nil {
		resp.Result = nil
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32400,"message":{"en":"System error"}}}`)
	}
	return http.StatusOK, contentTypeJSON, b
}

// authorized checks "Authorization: Basic base64(Paycom:<key>)" in constant time.
func (g *Gateway) authorized(header map[string][]string) bool {
	h := http.Header(header).Get("Authorization")
	enc, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return false
	}
	want := []byte("Paycom:" + g.cfg.Key)
	return subtle.ConstantTimeCompare(raw, want) == 1
}

func (g *Gateway) nowMS() int64 { return g.cfg.Now().UnixMilli() }

// payable checks that the account names a pending Payme payment of amount tiyin.
func (g *Gateway) payable(ctx context.Context, p params) (payments.Payment, *rpcError) {
	id := p.Account[accountPaymentIDField]
	if id == "" {
		return payments.Payment{}, newError(ErrPaymentNotFound, "Payment not found", "Платёж не найден", "To'lov topilmadi", accountPaymentIDField)
	}
	pay, err := g.cfg.Notifier.Payment(ctx, id)
	if commerce.KindOf(err) == commerce.ENotFound {
		return payments.Payment{}, newError(ErrPaymentNotFound, "Payment not found", "Платёж не найден", "To'lov topilmadi", accountPaymentIDField)
	}
	if err != nil {
		return payments.Payment{}, systemError()
	}
	if pay.Method != MethodID || pay.Status != payments.StatusPending || pay.Amount.Currency != Currency {
		return payments.Payment{}, newError(ErrPaymentNotPayable, "The payment cannot be paid", "Платёж невозможно оплатить", "To'lovni amalga oshirib bo'lmaydi", accountPaymentIDField)
	}
	if p.Amount == nil || *p.Amount != pay.Amount.Amount {
		return payments.Payment{}, errWrongAmount()
	}
	return pay, nil
}

func systemError() *rpcError {
	return newError(ErrSystem, "System error", "Системная ошибка", "Tizim xatosi", "")
}

func (g *Gateway) checkPerform(ctx context.Context, p params) (any, *rpcError) {
	if _, rerr := g.payable(ctx, p); rerr != nil {
		return nil, rerr
	}
	return map[string]any{"allow": true}, nil
}

func (g *Gateway) load(ctx context.Context, id string) (transaction, bool, *rpcError) {
	if id == "" {
		return transaction{}, false, nil
	}
	b, err := g.cfg.Store.Get(ctx, id)
	if commerce.KindOf(err) == commerce.ENotFound {
		return transaction{}, false, nil
	}
	if err != nil {
		return transaction{}, false, systemError()
	}
	var t transaction
	if err := json.Unmarshal(b, &t); err != nil {
		return transaction{}, false, systemError()
	}
	return t, true, nil
}

// loadExisting is load of a transaction that must exist (errTxNotFound otherwise).
func (g *Gateway) loadExisting(ctx context.Context, id string) (transaction, *rpcError) {
	t, found, rerr := g.load(ctx, id)
	if rerr == nil && !found {
		rerr = errTxNotFound()
	}
	return t, rerr
}

func (g *Gateway) save(ctx context.Context, t transaction, aliases ...string) *rpcError {
	b, err := json.Marshal(t)
	if err == nil {
		err = g.cfg.Store.Put(ctx, t.ID, b, time.UnixMilli(t.CreateTime), aliases...)
	}
	if err != nil {
		return systemError()
	}
	return nil
}

// expire cancels a created transaction older than Timeout (reason 4) and reports whether it did.
func (g *Gateway) expire(ctx context.Context, t *transaction) (bool, *rpcError) {
	if t.State != StateCreated || g.nowMS()-t.CreateTime <= Timeout.Milliseconds() {
		return false, nil
	}
	reason := ReasonTimeout
	t.State, t.CancelTime, t.Reason = StateCancelled, g.nowMS(), &reason
	return true, g.save(ctx, *t)
}

func (g *Gateway) create(ctx context.Context, p params) (any, *rpcError) {
	t, found, rerr := g.load(ctx, p.ID)
	if rerr != nil {
		return nil, rerr
	}
	if p.ID == "" {
		return nil, newError(ErrInvalidRequest, "Invalid request: id is required", "Неверный запрос", "Noto'g'ri so'rov", "id")
	}
	if found {
		if t.State != StateCreated {
			return nil, errCannotPerform()
		}
		if expired, rerr := g.expire(ctx, &t); rerr != nil || expired {
			return nil, firstErr(rerr, errCannotPerform())
		}
		return map[string]any{"create_time": t.CreateTime, "transaction": t.ID, "state": t.State}, nil
	}
	pay, rerr := g.payable(ctx, p)
	if rerr != nil {
		return nil, rerr
	}
	// One active transaction per payment: another created (and not expired) one refuses this.
	if otherID, err := g.cfg.Store.Alias(ctx, paymentAliasPrefix+pay.ID); err == nil && otherID != p.ID {
		other, found, rerr := g.load(ctx, otherID)
		if rerr != nil {
			return nil, rerr
		}
		if found && other.State == StateCreated {
			if expired, rerr := g.expire(ctx, &other); rerr != nil {
				return nil, rerr
			} else if !expired {
				return nil, newError(ErrPaymentBusy, "Another transaction is paying this payment", "Платёж ожидает оплаты другой транзакцией", "To'lov boshqa tranzaksiya bilan kutilmoqda", accountPaymentIDField)
			}
		}
	} else if err != nil && commerce.KindOf(err) != commerce.ENotFound {
		return nil, systemError()
	}
	t = transaction{ID: p.ID, Time: p.Time, Amount: *p.Amount, PaymentID: pay.ID, CreateTime: g.nowMS(), State: StateCreated}
	if rerr := g.save(ctx, t, paymentAliasPrefix+pay.ID); rerr != nil {
		return nil, rerr
	}
	return map[string]any{"create_time": t.CreateTime, "transaction": t.ID, "state": t.State}, nil
}

func firstErr(a, b *rpcError) *rpcError {
	if a != nil {
		return a
	}
	return b
}

// notifyError maps the payments service's refusal to a merchant API error.
func notifyError(err error, otherwise *rpcError) *rpcError {
	e := commerce.AsError(err)
	switch {
	case e != nil && e.Code == "payment_not_found":
		return newError(ErrPaymentNotFound, "Payment not found", "Платёж не найден", "To'lov topilmadi", accountPaymentIDField)
	case e != nil && e.Code == "amount_mismatch":
		return errWrongAmount()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		commerce.KindOf(err) == commerce.EInternal, commerce.KindOf(err) == commerce.EUnavailable, e == nil:
		return systemError() // Payme retries
	}
	return otherwise
}

func (g *Gateway) perform(ctx context.Context, p params) (any, *rpcError) {
	t, rerr := g.loadExisting(ctx, p.ID)
	if rerr != nil {
		return nil, rerr
	}
	switch t.State {
	case StatePerformed:
		return map[string]any{"transaction": t.ID, "perform_time": t.PerformTime, "state": t.State}, nil
	case StateCreated:
	default:
		return nil, errCannotPerform()
	}
	if expired, rerr := g.expire(ctx, &t); rerr != nil || expired {
		return nil, firstErr(rerr, errCannotPerform())
	}
	now := g.cfg.Now()
	_, err := g.cfg.Notifier.Notify(ctx, payments.Notification{
		Provider: MethodID, EventID: "payme:" + t.ID + ":perform", PaymentID: t.PaymentID, ExternalID: t.ID,
		Kind: payments.NotifyCaptured, Amount: commerce.Money{Amount: t.Amount, Currency: Currency}, At: now,
		Gateway: map[string]string{"payme_transaction": t.ID, "payme_create_time": itoa(t.CreateTime), "payme_perform_time": itoa(now.UnixMilli())},
	})
	if err != nil {
		return nil, notifyError(err, errCannotPerform())
	}
	t.State, t.PerformTime = StatePerformed, now.UnixMilli()
	if rerr := g.save(ctx, t); rerr != nil {
		return nil, rerr
	}
	return map[string]any{"transaction": t.ID, "perform_time": t.PerformTime, "state": t.State}, nil
}

func (g *Gateway) cancel(ctx context.Context, p params) (any, *rpcError) {
	t, rerr := g.loadExisting(ctx, p.ID)
	if rerr != nil {
		return nil, rerr
	}
	cancelled := func() any {
		return map[string]any{"transaction": t.ID, "cancel_time": t.CancelTime, "state": t.State}
	}
	if t.State == StateCancelled || t.State == StateCancelledPerformed {
		return cancelled(), nil
	}
	if p.Reason == nil {
		return nil, newError(ErrInvalidRequest, "Invalid request: reason is required", "Неверный запрос", "Noto'g'ri so'rov", "reason")
	}
	now := g.cfg.Now()
	next := StateCancelled
	if t.State == StatePerformed {
		// The money went back to the shopper: the payment is refunded in full.
		_, err := g.cfg.Notifier.Notify(ctx, payments.Notification{
			Provider: MethodID, EventID: "payme:" + t.ID + ":cancel", PaymentID: t.PaymentID, ExternalID: t.ID,
			Kind: payments.NotifyRefunded, Amount: commerce.Money{Amount: t.Amount, Currency: Currency}, At: now,
			Gateway: map[string]string{"payme_transaction": t.ID, "payme_cancel_time": itoa(now.UnixMilli()), "payme_cancel_reason": itoa(int64(*p.Reason))},
		})
		if err != nil {
			return nil, notifyError(err, newError(ErrCannotCancel, "The transaction cannot be cancelled", "Невозможно отменить транзакцию", "Tranzaksiyani bekor qilib bo'lmaydi", ""))
		}
		next = StateCancelledPerformed
	}
	// A created transaction is simply dropped: the payment stays pending, so the shopper
	// may pay it again.
	t.State, t.CancelTime, t.Reason = next, now.UnixMilli(), p.Reason
	if rerr := g.save(ctx, t); rerr != nil {
		return nil, rerr
	}
	return cancelled(), nil
}

func (g *Gateway) check(ctx context.Context, p params) (any, *rpcError) {
	t, rerr := g.loadExisting(ctx, p.ID)
	if rerr != nil {
		return nil, rerr
	}
	return map[string]any{"create_time": t.CreateTime, "perform_time": t.PerformTime, "cancel_time": t.CancelTime,
		"transaction": t.ID, "state": t.State, "reason": t.Reason}, nil
}

func (g *Gateway) statement(ctx context.Context, p params) (any, *rpcError) {
	if p.To < p.From {
		return nil, newError(ErrInvalidRequest, "Invalid request: to is before from", "Неверный запрос", "Noto'g'ri so'rov", "to")
	}
	txs := []map[string]any{}
	err := g.cfg.Store.Range(ctx, time.UnixMilli(p.From), time.UnixMilli(p.To), func(_ string, v []byte) error {
		var t transaction
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		txs = append(txs, map[string]any{"id": t.ID, "time": t.Time, "amount": t.Amount,
			"account": map[string]string{accountPaymentIDField: t.PaymentID}, "create_time": t.CreateTime,
			"perform_time": t.PerformTime, "cancel_time": t.CancelTime, "transaction": t.ID, "state": t.State,
			"reason": t.Reason, "receivers": nil})
		return nil
	})
	if err != nil {
		return nil, systemError()
	}
	return map[string]any{"transactions": txs}, nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
