// Package gwhttp holds what the payment gateway adapters share: calling a gateway with a
// bounded time, turning transport failures and 5xx answers into retryable commerce errors
// and decoding JSON answers (stripe, paypal), answering a gateway's webhook delivery with a
// status that tells it whether to retry, their configs' defaults, and the amount check of
// the adapters that settle one currency (payme, click, uzcard).
package gwhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// maxBody bounds how much of a gateway's answer is read.
const maxBody = 1 << 20

// Client calls one gateway's API.
type Client struct {
	Provider string // "stripe", "paypal": prefixes error messages
	HTTP     *http.Client
	Timeout  time.Duration // bounds each call, whatever the caller's context allows
}

// NewClient returns a client whose calls each take at most timeout.
func NewClient(provider string, timeout time.Duration, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{Provider: provider, HTTP: hc, Timeout: timeout}
}

// Do sends req (bound to ctx and the client's timeout) and returns the status and body of
// the answer. A call that fails in transport, times out, or is answered 5xx or 429 is a
// commerce error of kind EUnavailable (code "gateway_unavailable"), which the caller may
// retry; any other answer is returned for the caller to interpret.
func (c *Client) Do(ctx context.Context, req *http.Request) (int, []byte, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	resp, err := c.HTTP.Do(req.WithContext(ctx))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, nil, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable",
				Message: fmt.Sprintf("%s: no answer within %s", c.Provider, c.Timeout), Err: err}
		}
		return 0, nil, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable",
			Message: fmt.Sprintf("%s: gateway unreachable", c.Provider), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable",
			Message: fmt.Sprintf("%s: reading the answer failed", c.Provider), Err: err}
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return resp.StatusCode, body, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable",
			Message: fmt.Sprintf("%s: gateway answered %d", c.Provider, resp.StatusCode)}
	}
	return resp.StatusCode, body, nil
}

// DoJSON sends req like Do and decodes a 2xx answer into out (nil: not read); an answer it
// cannot decode is EUnavailable. Any other answer comes back as its status with ok false and
// its body decoded into apiErr as far as it goes, for the caller to map.
func (c *Client) DoJSON(ctx context.Context, req *http.Request, out, apiErr any) (status int, ok bool, err error) {
	status, body, err := c.Do(ctx, req)
	if err != nil {
		return status, false, err
	}
	if status < 200 || status >= 300 {
		_ = json.Unmarshal(body, apiErr)
		return status, false, nil
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return status, false, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable",
				Message: c.Provider + ": unreadable answer", Err: err}
		}
	}
	return status, true, nil
}

// Duration is a config's duration (a timeout, a tolerance): d, or def when d is not positive.
func Duration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// SettlesOnly refuses to start a payment of m unless it is a positive amount of currency,
// the only one provider settles.
func SettlesOnly(provider, currency string, m commerce.Money) error {
	if m.Currency != currency {
		return commerce.Errorf(commerce.EInvalid, "currency_not_supported", "%s: settles only %s, not %s", provider, currency, m.Currency)
	}
	if m.Amount <= 0 {
		return commerce.Errorf(commerce.EInvalid, "invalid_amount", "%s: amount must be positive", provider)
	}
	return nil
}

// Unauthorized is the error for a gateway that refuses our credentials: the shop is
// misconfigured, so the method is unavailable to the shopper (503), not the shopper's
// fault (never 401, which would read as the shopper's own sign-in failing).
func Unauthorized(provider, message string) error {
	return &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_misconfigured",
		Message: fmt.Sprintf("%s: the gateway refused the shop's credentials: %s", provider, message)}
}

// Refused is a gateway's refusal of a request: kind EConflict (declined, state clash) or
// EInvalid (bad request), with the gateway's own message.
func Refused(kind commerce.Kind, code, provider, message string) error {
	return &commerce.Error{Kind: kind, Code: code, Message: fmt.Sprintf("%s: %s", provider, message)}
}

// Reply is a webhook answer: status, JSON content type and a small JSON body.
func Reply(status int, code, message string) (int, string, []byte) {
	var body []byte
	if status < 300 {
		body, _ = json.Marshal(map[string]any{"received": true})
	} else {
		body, _ = json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	}
	return status, "application/json", body
}

// NotifyReply answers a webhook whose notification was handed to a payments.Notifier:
// 200 when it was applied or already had been (the gateway stops sending it), otherwise a
// status that keeps the gateway retrying only when a retry can help: 404 unknown payment,
// 400 amount mismatch or another invalid notification, 409 a payment already finished
// otherwise, 503 when we could not apply it now.
func NotifyReply(err error) (int, string, []byte) {
	if err == nil {
		return Reply(http.StatusOK, "", "")
	}
	e := commerce.AsError(err)
	code, msg := "internal", "internal error"
	if e != nil {
		code, msg = e.Code, e.Message
	}
	switch commerce.KindOf(err) {
	case commerce.ENotFound:
		return Reply(http.StatusNotFound, code, msg)
	case commerce.EInvalid:
		return Reply(http.StatusBadRequest, code, msg)
	case commerce.EConflict, commerce.EPrecondition:
		return Reply(http.StatusConflict, code, msg)
	case commerce.EUnavailable:
		return Reply(http.StatusServiceUnavailable, code, msg)
	}
	return Reply(http.StatusInternalServerError, "internal", "internal error")
}
