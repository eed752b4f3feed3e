// Package gwtest holds what the HTTP gateway adapters' tests (stripe, paypal) share: one
// test's world (the fake API, the adapter pointed at it with its webhook served where the
// fake posts, a notifier holding the pending payment pay_1 of 12.34 USD), starting that
// payment and delivering webhooks as the payments service and the gateway do, and the
// scenarios of a refused Start.
package gwtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
	"github.com/ultramarket/ultramarket/gateways/internal/fakenotifier"
)

// Fake is a local fake of a gateway's API that posts webhooks to the adapter.
type Fake interface {
	Send(event []byte) (int, []byte, error)
}

// Adapter is an HTTP gateway adapter.
type Adapter interface {
	payments.Gateway
	payments.Webhook
}

// Env is one test's world.
type Env[F Fake, G Adapter] struct {
	Fake F
	GW   G
	N    *fakenotifier.Notifier
	P    payments.Payment // pay_1 as the test has it
}

// NewEnv builds the adapter over a notifier holding pay_1 (order ord_1, #42, 12.34 USD,
// pending, by method) and serves its webhook on 127.0.0.1 at the URL it stores in
// *webhookURL (the fake's WebhookURL).
func NewEnv[F Fake, G Adapter](t *testing.T, fake F, webhookURL *string, method string, build func(payments.Notifier) (G, error)) *Env[F, G] {
	t.Helper()
	p := payments.Payment{ID: "pay_1", OrderID: "ord_1", OrderNumber: 42, Method: method, Status: payments.StatusPending,
		Amount: commerce.Money{Amount: 1234, Currency: "USD"}}
	n := fakenotifier.New(p)
	gw, err := build(n)
	if err != nil {
		t.Fatal(err)
	}
	*webhookURL = fakehttp.ServeWebhook(t, gw)
	return &Env[F, G]{Fake: fake, GW: gw, N: n, P: p}
}

// Configure returns cfg changed by each of mods (nil ones skipped).
func Configure[C any](cfg C, mods []func(*C)) C {
	for _, m := range mods {
		if m != nil {
			m(&cfg)
		}
	}
	return cfg
}

// Start starts pay_1 with in and records the gateway's ID on it, as the payments service
// does.
func (e *Env[F, G]) Start(t *testing.T, in payments.StartInput) payments.Payment {
	t.Helper()
	act, err := e.GW.Start(context.Background(), e.P, in)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	e.P.ExternalID = act.ExternalID
	e.N.Put(e.P)
	return e.P
}

// Send has the fake deliver event and fails t unless the webhook answered wantStatus.
func (e *Env[F, G]) Send(t *testing.T, event []byte, wantStatus int) {
	t.Helper()
	status, body, err := e.Fake.Send(event)
	if err != nil {
		t.Fatal(err)
	}
	if status != wantStatus {
		t.Fatalf("webhook answered %d %s, want %d", status, body, wantStatus)
	}
}

// Payment returns pay_1 as the notifier holds it.
func (e *Env[F, G]) Payment(t *testing.T) payments.Payment {
	t.Helper()
	p, err := e.N.Payment(context.Background(), "pay_1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartError is a Start the gateway refuses: Prepare readies the world and Config changes
// the adapter's config (either may be nil); Start must fail with Kind and Code and a
// message containing Msg.
type StartError[C any, E any] struct {
	Name    string
	Prepare func(e E)
	Config  func(*C)
	Kind    commerce.Kind
	Code    string
	Msg     string
}

// StartErrors runs each scenario in a world of its own from setup: pay_1's Start is refused
// as the scenario says, within the time bound (the adapter's timeout, not the fake's stall),
// and made (what the gateway made by it, e.g. its Succeeded calls) stays 0.
func StartErrors[C any, F Fake, G Adapter](t *testing.T, scenarios []StartError[C, *Env[F, G]],
	setup func(*testing.T, ...func(*C)) *Env[F, G], made func(*Env[F, G]) int) {
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			e := setup(t, sc.Config)
			if sc.Prepare != nil {
				sc.Prepare(e)
			}
			began := time.Now()
			_, err := e.GW.Start(context.Background(), e.P, payments.StartInput{})
			ce := commerce.AsError(err)
			if ce == nil || ce.Kind != sc.Kind || ce.Code != sc.Code || !strings.Contains(ce.Message, sc.Msg) {
				t.Fatalf("err = %v, want %s %s %q", err, sc.Kind, sc.Code, sc.Msg)
			}
			if took := time.Since(began); took > 2*time.Second {
				t.Fatalf("took %s: not bounded by the timeout", took)
			}
			if n := made(e); n != 0 {
				t.Fatalf("a refused start made %d objects at the gateway", n)
			}
		})
	}
}

// Succeeded counts the calls answered below 300.
func Succeeded[C fakehttp.Recorded](calls []C) int {
	n := 0
	for _, c := range calls {
		if c.Base().Status < 300 {
			n++
		}
	}
	return n
}
