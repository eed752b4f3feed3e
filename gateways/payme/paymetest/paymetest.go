// Package paymetest acts as Payme in tests: it serves a merchant webhook on 127.0.0.1 and
// calls it the way Payme's servers do (JSON-RPC 2.0 POSTs with Basic "Paycom:<key>").
package paymetest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
)

// Serve starts an HTTP server on 127.0.0.1 that hands every POST to w, closed with the test.
func Serve(t testing.TB, w payments.Webhook) string {
	t.Helper()
	return fakehttp.ServeWebhook(t, w)
}

// Client calls a merchant API endpoint as Payme.
type Client struct {
	URL  string
	Key  string // sent as Basic "Paycom:<Key>"
	HTTP *http.Client
	seq  atomic.Int64
}

// Error is a merchant API error answer.
type Error struct {
	Code    int               `json:"code"`
	Message map[string]string `json:"message"`
	Data    string            `json:"data"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("payme error %d (%s): %s", e.Code, e.Data, e.Message["en"])
}

// Response is a merchant API answer: Result when Error is nil.
type Response struct {
	ID     json.RawMessage `json:"id"`
	Result map[string]any  `json:"result"`
	Error  *Error          `json:"error"`
}

// Code returns the error code, 0 for a result.
func (r Response) Code() int {
	if r.Error == nil {
		return 0
	}
	return r.Error.Code
}

// Int returns a numeric result field.
func (r Response) Int(name string) int64 {
	f, _ := r.Result[name].(float64)
	return int64(f)
}

// Call sends method with params and decodes the answer.
func (c *Client) Call(ctx context.Context, method string, params any) (Response, error) {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.seq.Add(1), "method": method, "params": params})
	if err != nil {
		return Response{}, err
	}
	return c.Raw(ctx, body, "Basic "+base64.StdEncoding.EncodeToString([]byte("Paycom:"+c.Key)))
}

// Raw posts body with the Authorization header auth (empty: none) and decodes the answer.
func (c *Client) Raw(ctx context.Context, body []byte, auth string) (Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	status, b, err := fakehttp.Post(ctx, c.HTTP, c.URL, body, h)
	if err != nil {
		return Response{}, err
	}
	if status != http.StatusOK {
		return Response{}, fmt.Errorf("payme merchant API answered %d: %s", status, b)
	}
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		return Response{}, err
	}
	return r, nil
}

// Account is the account object of our merchant API.
func Account(paymentID string) map[string]string { return map[string]string{"payment_id": paymentID} }

// CheckPerform calls CheckPerformTransaction.
func (c *Client) CheckPerform(ctx context.Context, paymentID string, amount int64) (Response, error) {
	return c.Call(ctx, "CheckPerformTransaction", map[string]any{"amount": amount, "account": Account(paymentID)})
}

// Create calls CreateTransaction for Payme transaction id created at timeMS.
func (c *Client) Create(ctx context.Context, id string, timeMS int64, paymentID string, amount int64) (Response, error) {
	return c.Call(ctx, "CreateTransaction", map[string]any{"id": id, "time": timeMS, "amount": amount, "account": Account(paymentID)})
}

// Perform calls PerformTransaction.
func (c *Client) Perform(ctx context.Context, id string) (Response, error) {
	return c.Call(ctx, "PerformTransaction", map[string]any{"id": id})
}

// Cancel calls CancelTransaction.
func (c *Client) Cancel(ctx context.Context, id string, reason int) (Response, error) {
	return c.Call(ctx, "CancelTransaction", map[string]any{"id": id, "reason": reason})
}

// Check calls CheckTransaction.
func (c *Client) Check(ctx context.Context, id string) (Response, error) {
	return c.Call(ctx, "CheckTransaction", map[string]any{"id": id})
}

// Statement calls GetStatement.
func (c *Client) Statement(ctx context.Context, fromMS, toMS int64) (Response, error) {
	return c.Call(ctx, "GetStatement", map[string]any{"from": fromMS, "to": toMS})
}
