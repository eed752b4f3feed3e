package click

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// SHOP API error codes.
const (
	OK                 = 0
	ErrSignCheck       = -1
	ErrAmount          = -2
	ErrAction          = -3
	ErrAlreadyPaid     = -4
	ErrOrderNotFound   = -5
	ErrTxNotFound      = -6
	ErrUpdate          = -7
	ErrRequest         = -8
	ErrTxCancelled     = -9
	ActionPrepare      = 0
	ActionComplete     = 1
	contentTypeJSON    = "application/json; charset=utf-8"
	statePrepared      = "prepared"
	stateCompleted     = "completed"
	stateCancelled     = "cancelled"
	notificationPrefix = "click:"
)

var errorNotes = map[int]string{
	OK: "Success", ErrSignCheck: "SIGN CHECK FAILED!", ErrAmount: "Incorrect parameter amount",
	ErrAction: "Action not found", ErrAlreadyPaid: "Already paid", ErrOrderNotFound: "User does not exist",
	ErrTxNotFound: "Transaction does not exist", ErrUpdate: "Failed to update user",
	ErrRequest: "Error in request from click", ErrTxCancelled: "Transaction cancelled",
}

// transaction is a Click transaction as the adapter keeps it (by click_trans_id).
type transaction struct {
	ClickTransID string    `json:"click_trans_id"`
	PaydocID     string    `json:"click_paydoc_id"`
	PaymentID    string    `json:"payment_id"`
	PrepareID    int64     `json:"prepare_id"`
	Amount       int64     `json:"amount"`
	State        string    `json:"state"`
	At           time.Time `json:"at"`
}

type answer struct {
	ClickTransID      string `json:"click_trans_id"`
	MerchantTransID   string `json:"merchant_trans_id"`
	MerchantPrepareID *int64 `json:"merchant_prepare_id,omitempty"`
	MerchantConfirmID *int64 `json:"merchant_confirm_id,omitempty"`
	Error             int    `json:"error"`
	ErrorNote         string `json:"error_note"`
}

// Sign computes a SHOP API sign_string. prepareID is empty for Prepare.
func Sign(clickTransID, serviceID, secretKey, merchantTransID, prepareID, amount, action, signTime string) string {
	sum := md5.Sum([]byte(clickTransID + serviceID + secretKey + merchantTransID + prepareID + amount + action + signTime))
	return hex.EncodeToString(sum[:])
}

// HandleWebhook implements payments.Webhook: one Prepare or Complete call. Click expects
// HTTP 200 with a JSON answer whose error field says what happened.
func (g *Gateway) HandleWebhook(ctx context.Context, _ map[string][]string, body []byte) (int, string, []byte) {
	form, err := url.ParseQuery(string(body))
	a := answer{ClickTransID: form.Get("click_trans_id"), MerchantTransID: form.Get("merchant_trans_id")}
	if err != nil {
		return g.reply(a, ErrRequest)
	}
	for _, f := range []string{"click_trans_id", "service_id", "merchant_trans_id", "amount", "action", "sign_time", "sign_string"} {
		if form.Get(f) == "" {
			return g.reply(a, ErrRequest)
		}
	}
	action := form.Get("action")
	prepareID := ""
	if action == strconv.Itoa(ActionComplete) {
		prepareID = form.Get("merchant_prepare_id")
	}
	want := Sign(a.ClickTransID, form.Get("service_id"), g.cfg.SecretKey, a.MerchantTransID, prepareID, form.Get("amount"), action, form.Get("sign_time"))
	if subtle.ConstantTimeCompare([]byte(want), []byte(form.Get("sign_string"))) != 1 {
		return g.reply(a, ErrSignCheck)
	}
	if form.Get("service_id") != g.cfg.ServiceID {
		return g.reply(a, ErrRequest)
	}
	amount, ok := ParseAmount(form.Get("amount"))
	if !ok {
		return g.reply(a, ErrAmount)
	}
	clickErr, err := strconv.Atoi(form.Get("error"))
	if err != nil && form.Get("error") != "" {
		return g.reply(a, ErrRequest)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch action {
	case strconv.Itoa(ActionPrepare):
		return g.prepare(ctx, a, form.Get("click_paydoc_id"), amount)
	case strconv.Itoa(ActionComplete):
		id, err := strconv.ParseInt(prepareID, 10, 64)
		if err != nil {
			return g.reply(a, ErrTxNotFound)
		}
		return g.complete(ctx, a, id, amount, clickErr)
	}
	return g.reply(a, ErrAction)
}

func (g *Gateway) reply(a answer, code int) (int, string, []byte) {
	a.Error, a.ErrorNote = code, errorNotes[code]
	b, _ := json.Marshal(a)
	return http.StatusOK, contentTypeJSON, b
}

func (g *Gateway) load(ctx context.Context, clickTransID string) (transaction, bool, error) {
	b, err := g.cfg.Store.Get(ctx, clickTransID)
	if commerce.KindOf(err) == commerce.ENotFound {
		return transaction{}, false, nil
	}
	if err != nil {
		return transaction{}, false, err
	}
	var t transaction
	err = json.Unmarshal(b, &t)
	return t, err == nil, err
}

func (g *Gateway) save(ctx context.Context, t transaction) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return g.cfg.Store.Put(ctx, t.ClickTransID, b, t.At)
}

// payable maps the payment's state to a SHOP API code (OK when it can be paid by amount).
func (g *Gateway) payable(ctx context.Context, paymentID string, amount int64) int {
	p, err := g.cfg.Notifier.Payment(ctx, paymentID)
	switch {
	case commerce.KindOf(err) == commerce.ENotFound:
		return ErrOrderNotFound
	case err != nil:
		return ErrUpdate
	case p.Method != MethodID || p.Amount.Currency != Currency:
		return ErrOrderNotFound
	case p.Status == payments.StatusCaptured || p.Status == payments.StatusPartiallyRefunded || p.Status == payments.StatusRefunded:
		return ErrAlreadyPaid
	case p.Status != payments.StatusPending:
		return ErrTxCancelled
	case p.Amount.Amount != amount:
		return ErrAmount
	}
	return OK
}

func (g *Gateway) prepare(ctx context.Context, a answer, paydoc string, amount int64) (int, string, []byte) {
	t, found, err := g.load(ctx, a.ClickTransID)
	if err != nil {
		return g.reply(a, ErrUpdate)
	}
	if found {
		if t.PaymentID != a.MerchantTransID {
			return g.reply(a, ErrRequest)
		}
		if code := t.finished(); code != OK {
			return g.reply(a, code)
		}
		if t.Amount != amount {
			return g.reply(a, ErrAmount)
		}
		a.MerchantPrepareID = &t.PrepareID // a repeated Prepare answers the same ID
		return g.reply(a, OK)
	}
	if code := g.payable(ctx, a.MerchantTransID, amount); code != OK {
		return g.reply(a, code)
	}
	t = transaction{ClickTransID: a.ClickTransID, PaydocID: paydoc, PaymentID: a.MerchantTransID, PrepareID: newPrepareID(),
		Amount: amount, State: statePrepared, At: g.cfg.Now()}
	if err := g.save(ctx, t); err != nil {
		return g.reply(a, ErrUpdate)
	}
	a.MerchantPrepareID = &t.PrepareID
	return g.reply(a, OK)
}

// finished is Click's error for a transaction already completed or cancelled, OK otherwise.
func (t transaction) finished() int {
	switch t.State {
	case stateCompleted:
		return ErrAlreadyPaid
	case stateCancelled:
		return ErrTxCancelled
	}
	return OK
}

// newPrepareID is a random positive 52-bit ID (an integer JSON number every client reads
// exactly); a Complete must echo it with its click_trans_id.
func newPrepareID() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>12) | 1
}

func (g *Gateway) complete(ctx context.Context, a answer, prepareID, amount int64, clickErr int) (int, string, []byte) {
	t, found, err := g.load(ctx, a.ClickTransID)
	if err != nil {
		return g.reply(a, ErrUpdate)
	}
	if !found || t.PrepareID != prepareID || t.PaymentID != a.MerchantTransID {
		return g.reply(a, ErrTxNotFound)
	}
	if code := t.finished(); code != OK {
		return g.reply(a, code)
	}
	if clickErr < 0 {
		// Click could not take the money: the transaction is cancelled; the payment stays
		// pending so the shopper may try again.
		t.State = stateCancelled
		if err := g.save(ctx, t); err != nil {
			return g.reply(a, ErrUpdate)
		}
		return g.reply(a, ErrTxCancelled)
	}
	if t.Amount != amount {
		return g.reply(a, ErrAmount)
	}
	now := g.cfg.Now()
	_, err = g.cfg.Notifier.Notify(ctx, payments.Notification{
		Provider: MethodID, EventID: notificationPrefix + t.ClickTransID + ":complete", PaymentID: t.PaymentID,
		ExternalID: t.ClickTransID, Kind: payments.NotifyCaptured, Amount: commerce.Money{Amount: t.Amount, Currency: Currency}, At: now,
		Gateway: map[string]string{"click_trans_id": t.ClickTransID, "click_paydoc_id": t.PaydocID},
	})
	if err != nil {
		e := commerce.AsError(err)
		switch {
		case e != nil && e.Code == "payment_not_found":
			return g.reply(a, ErrOrderNotFound)
		case e != nil && e.Code == "amount_mismatch":
			return g.reply(a, ErrAmount)
		case commerce.KindOf(err) == commerce.EConflict:
			return g.reply(a, g.payable(ctx, t.PaymentID, t.Amount))
		}
		return g.reply(a, ErrUpdate) // Click retries
	}
	t.State = stateCompleted
	if err := g.save(ctx, t); err != nil {
		return g.reply(a, ErrUpdate)
	}
	a.MerchantConfirmID = &t.PrepareID
	return g.reply(a, OK)
}
