package payments_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// eventTypes are the types of the events emitted since the first n.
func (f *fixture) eventTypes(n int) []string {
	var out []string
	for _, ev := range f.mem.st.events[n:] {
		out = append(out, ev.Type)
	}
	return out
}

func TestCancelOpen(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	scenarios := []struct {
		status string
		ok     bool
	}{
		{payments.StatusPending, true},
		{payments.StatusAuthorized, true},
		{payments.StatusCaptured, false},
		{payments.StatusFailed, false},
		{payments.StatusCancelled, false},
		{payments.StatusRefunded, false},
	}
	for _, s := range scenarios {
		p := payments.NewPayment(payments.OrderRef{ID: commerce.NewID(), Total: usd(100)}, "stripe", now)
		p.Status = s.status
		p.Action = &payments.Action{ClientSecret: "secret"}
		ev, ok, err := payments.CancelOpen(&p, now.Add(time.Minute), "admin-1")
		if err != nil || ok != s.ok {
			t.Fatalf("%s: ok %v err %v", s.status, ok, err)
		}
		if !ok {
			if p.Status != s.status || p.Action == nil {
				t.Fatalf("%s: changed %+v", s.status, p)
			}
			continue
		}
		if p.Status != payments.StatusCancelled || p.Action != nil || p.Version != 2 || ev.Type != payments.EventCancelled || ev.Actor != "admin-1" {
			t.Fatalf("%s: %+v %+v", s.status, p, ev)
		}
	}
}

// TestLateCapture: money a gateway captures for a cancelled payment or order is recorded and
// refunded in full at once; a gateway that cannot be reached leaves the refund due for the
// retry; one that refuses fails it, keeping the money recorded for staff.
func TestLateCapture(t *testing.T) {
	ctx := context.Background()
	unavailable := &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable", Message: "stripe: 503"}
	refused := &commerce.Error{Kind: commerce.EConflict, Code: "refund_failed", Message: "stripe: refused"}
	scenarios := []struct {
		name         string
		cancelled    bool // the payment was cancelled (else it is still open)
		closed       bool // its order is cancelled
		fail         error
		pending      bool // the gateway confirms the refund later
		wantStatus   string
		wantRefund   string
		wantOrder    []string // order payment statuses recorded by the notification
		wantEvents   []string
		wantDue      bool
		wantGwRefund int
	}{
		{name: "cancelled payment of a cancelled order", cancelled: true, closed: true, wantStatus: payments.StatusRefunded, wantRefund: payments.RefundSucceeded,
			wantOrder: []string{payments.OrderRefunded}, wantEvents: []string{payments.EventCaptured, payments.EventRefunded}, wantGwRefund: 1},
		{name: "open payment of a cancelled order", closed: true, wantStatus: payments.StatusRefunded, wantRefund: payments.RefundSucceeded,
			wantOrder: []string{payments.OrderRefunded}, wantEvents: []string{payments.EventCaptured, payments.EventRefunded}, wantGwRefund: 1},
		{name: "replaced payment of an open order", cancelled: true, wantStatus: payments.StatusRefunded, wantRefund: payments.RefundSucceeded,
			wantEvents: []string{payments.EventCaptured, payments.EventRefunded}, wantGwRefund: 1},
		{name: "gateway refund pending", cancelled: true, closed: true, pending: true, wantStatus: payments.StatusRefunded, wantRefund: payments.RefundPending,
			wantOrder: []string{payments.OrderRefunded}, wantEvents: []string{payments.EventCaptured, payments.EventRefunded}, wantGwRefund: 1},
		{name: "gateway unavailable", cancelled: true, closed: true, fail: unavailable, wantStatus: payments.StatusRefunded, wantRefund: payments.RefundPending,
			wantOrder: []string{payments.OrderRefunded}, wantEvents: []string{payments.EventCaptured}, wantDue: true},
		{name: "gateway refuses", cancelled: true, closed: true, fail: refused, wantStatus: payments.StatusCaptured, wantRefund: payments.RefundFailed,
			wantOrder: []string{payments.OrderRefunded, payments.OrderPaid}, wantEvents: []string{payments.EventCaptured}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.order("u1", "stripe", 2000)
			p, err := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			if s.cancelled {
				cur := f.mem.st.payments[p.ID]
				if _, _, err := payments.CancelOpen(&cur, time.Now(), "system"); err != nil {
					t.Fatal(err)
				}
				f.mem.st.payments[p.ID] = cur
			}
			if s.closed {
				ref := f.mem.st.orders[o.ID]
				ref.Closed = true
				f.mem.st.orders[o.ID] = ref
			}
			f.gw.fail, f.gw.pending = s.fail, s.pending
			n := payments.Notification{Provider: "stripe", EventID: "evt-late", ExternalID: p.ExternalID, Kind: payments.NotifyCaptured, Amount: usd(2000)}

			bad := n
			bad.Amount = usd(1)
			before := f.mem.st.clone()
			if _, err := f.svc.Notify(ctx, bad); code(err) != "amount_mismatch" {
				t.Fatalf("a late capture of another amount: %v", err)
			}
			if f.mem.st.payments[p.ID].Version != before.payments[p.ID].Version || len(f.mem.st.events) != len(before.events) || len(f.mem.st.due) != 0 {
				t.Fatal("a mismatched late capture changed something")
			}

			events, recorded := len(f.mem.st.events), len(f.mem.st.recorded)
			got, err := f.svc.Notify(ctx, n)
			if err != nil {
				t.Fatalf("the webhook must be answered applied: %v", err)
			}
			if got.Status != s.wantStatus || got.Captured != usd(2000) || len(got.Refunds) != 1 {
				t.Fatalf("payment %+v", got)
			}
			r := got.Refunds[0]
			if r.ID != payments.AutoRefundID(p.ID) || r.Status != s.wantRefund || r.Amount != usd(2000) || r.Reason != payments.ReasonOrderCancelled || r.To != payments.ToOriginal {
				t.Fatalf("refund %+v", r)
			}
			if wantRefunded := usd(2000); s.fail == refused {
				wantRefunded = usd(0)
				if got.Refunded != wantRefunded {
					t.Fatalf("refunded %v after a refusal", got.Refunded)
				}
			} else if got.Refunded != wantRefunded {
				t.Fatalf("refunded %v", got.Refunded)
			}
			if rec := f.mem.st.recorded[recorded:]; !slices.Equal(rec, s.wantOrder) {
				t.Fatalf("order payment statuses recorded %v, want %v", rec, s.wantOrder)
			}
			if ev := f.eventTypes(events); !slices.Equal(ev, s.wantEvents) {
				t.Fatalf("events %v, want %v", ev, s.wantEvents)
			}
			if len(f.gw.refunds) != s.wantGwRefund || (s.wantGwRefund > 0 && f.gw.refunds[0] != usd(2000)) {
				t.Fatalf("gateway refunds %v", f.gw.refunds)
			}
			if due := len(f.mem.st.due) > 0; due != s.wantDue {
				t.Fatalf("due %v, want %v", f.mem.st.due, s.wantDue)
			}
			// The same notification again moves nothing.
			events = len(f.mem.st.events)
			if again, err := f.svc.Notify(ctx, n); err != nil || again.Version != f.mem.st.payments[p.ID].Version || len(f.mem.st.events) != events {
				t.Fatalf("duplicate: %v %+v", err, again)
			}
			if !s.wantDue {
				if settled, err := f.svc.RetryDueRefunds(ctx); settled != 0 || err != nil {
					t.Fatalf("retry with nothing due: %d %v", settled, err)
				}
				return
			}
			// Still unreachable: the retry leaves it due.
			if settled, err := f.svc.RetryDueRefunds(ctx); settled != 0 || commerce.KindOf(err) != commerce.EUnavailable || len(f.mem.st.due) != 1 {
				t.Fatalf("retry while unavailable: %d %v %v", settled, err, f.mem.st.due)
			}
			f.gw.fail = nil
			events = len(f.mem.st.events)
			if settled, err := f.svc.RetryDueRefunds(ctx); settled != 1 || err != nil {
				t.Fatalf("retry: %d %v", settled, err)
			}
			p2 := f.mem.st.payments[p.ID]
			if p2.Refunds[0].Status != payments.RefundSucceeded || p2.Refunds[0].ExternalID == "" || len(f.mem.st.due) != 0 || len(f.gw.refunds) != 1 {
				t.Fatalf("after the retry: %+v due %v gateway %v", p2, f.mem.st.due, f.gw.refunds)
			}
			if ev := f.eventTypes(events); !slices.Equal(ev, []string{payments.EventRefunded}) {
				t.Fatalf("retry events %v", ev)
			}
			if settled, err := f.svc.RetryDueRefunds(ctx); settled != 0 || err != nil || len(f.gw.refunds) != 1 {
				t.Fatalf("second retry: %d %v %v", settled, err, f.gw.refunds)
			}
		})
	}
}

// TestLateCaptureStaffRefundRefused: once the late money is being refunded, nothing is left
// for a staff refund.
func TestLateCaptureStaffRefundRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	o := f.order("u1", "stripe", 2000)
	p, err := f.svc.Process(ctx, "user:u1", payments.ProcessInput{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	ref := f.mem.st.orders[o.ID]
	ref.Closed = true
	f.mem.st.orders[o.ID] = ref
	f.gw.fail = &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable"}
	if _, err := f.svc.Notify(ctx, payments.Notification{Provider: "stripe", EventID: "e1", ExternalID: p.ExternalID, Kind: payments.NotifyCaptured, Amount: usd(2000)}); err != nil {
		t.Fatal(err)
	}
	f.gw.fail = nil
	if _, err := f.svc.Refund(ctx, "admin", p.ID, payments.RefundInput{Amount: usd(1)}); code(err) != "refund_too_large" {
		t.Fatalf("a staff refund of money being refunded: %v", err)
	}
	if len(f.gw.refunds) != 0 {
		t.Fatalf("gateway refunds %v", f.gw.refunds)
	}
}
