package http_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/gateways/stripe/stripetest"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// expiryOrder is the part of an order the reservation-expiry test reads.
type expiryOrder struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	PaymentStatus string `json:"payment_status"`
	PaymentID     string `json:"payment_id"`
	History       []struct {
		Status string `json:"status"`
		Actor  string `json:"actor"`
		Note   string `json:"note"`
	} `json:"history"`
}

// TestReservationExpiryCancelsUnpaidGatewayOrders runs the real sweeper with a short
// reservation lifetime: an unpaid Stripe order's reservation runs out, the sweeper cancels the
// order (actor system, note "reservation expired") and its units become sellable again; a
// Stripe order paid by the signed webhook before its expiry and a cash order placed at the same
// time keep their stock and their status.
func TestReservationExpiryCancelsUnpaidGatewayOrders(t *testing.T) {
	const key, whsec = "sk_test_expiry", "whsec_expiry"
	// Long enough for the paid order's checkout, process and webhook on a loaded machine; the
	// test waits about this long once.
	const ttl = 4 * time.Second
	fake := stripetest.Start(t, key, whsec)
	a := apptest.New(t, func(c *config.Config) {
		c.Inventory.ReservationTTL = config.Dur(ttl)
		c.Inventory.SweepInterval = config.Dur(50 * time.Millisecond)
		c.Payments.Stripe = config.Stripe{Enabled: true, SecretKey: key, WebhookSecret: whsec, APIBaseURL: fake.URL,
			Timeout: config.Dur(5 * time.Second), WebhookTolerance: config.Dur(5 * time.Minute)}
	})
	fake.WebhookURL = a.BaseURL + "/api/v1/payments/webhooks/stripe"
	staff := a.NewUser(t, auth.RoleAdmin).Bearer()
	customer := a.NewUser(t, auth.RoleCustomer).Bearer()

	vid := stockedVariant(t, a, staff, "Expiring tea", "EXP-1", 700, 10)
	stock := func(t testing.TB) variantStockBody { t.Helper(); return variantStock(t, a, staff, vid) }
	mainLevel := func(t testing.TB) (onHand, reserved int64, sellable int64) {
		t.Helper()
		v := stock(t)
		for _, l := range v.Levels {
			if l.Warehouse == "main" {
				return l.OnHand, l.Reserved, v.Sellable
			}
		}
		t.Fatalf("no main level: %+v", v)
		return
	}
	place := func(t testing.TB, method string, qty int64) expiryOrder {
		t.Helper()
		r := a.Do(t, "POST", "/api/v1/carts", nil, customer)
		if r.Status != 201 {
			t.Fatalf("create cart: %d %s", r.Status, r.Body)
		}
		var c struct{ ID string }
		r.JSON(t, &c)
		if r = a.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": vid, "quantity": qty}, customer); r.Status != 200 {
			t.Fatalf("add item: %d %s", r.Status, r.Body)
		}
		r = a.Do(t, "POST", "/api/v1/orders", map[string]any{"cart_id": c.ID, "payment_method": method,
			"shipping_address": map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Tashkent", "country": "uz", "postal_code": "100000"}}, customer)
		if r.Status != 201 {
			t.Fatalf("place a %s order: %d %s", method, r.Status, r.Body)
		}
		var o expiryOrder
		r.JSON(t, &o)
		return o
	}
	read := func(t testing.TB, id string) expiryOrder {
		t.Helper()
		r := a.Do(t, "GET", "/api/v1/orders/"+id, nil, staff)
		if r.Status != 200 {
			t.Fatalf("read order: %d %s", r.Status, r.Body)
		}
		var o expiryOrder
		r.JSON(t, &o)
		return o
	}
	process := func(t testing.TB, id string) (paymentID, externalID string) {
		t.Helper()
		r := a.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": id, "method": "stripe"}, customer)
		if r.Status != 200 {
			t.Fatalf("process: %d %s", r.Status, r.Body)
		}
		var pay struct {
			ID         string `json:"id"`
			ExternalID string `json:"external_id"`
		}
		r.JSON(t, &pay)
		return pay.ID, pay.ExternalID
	}
	reservation := func(t testing.TB, id string) (status string, expires *time.Time) {
		t.Helper()
		r := a.Do(t, "GET", "/api/v1/admin/inventory/reservations/"+id, nil, staff)
		if r.Status != 200 {
			t.Fatalf("reservation of %s: %d %s", id, r.Status, r.Body)
		}
		var res struct {
			Status    string     `json:"status"`
			ExpiresAt *time.Time `json:"expires_at"`
		}
		r.JSON(t, &res)
		return res.Status, res.ExpiresAt
	}

	// The paid order is placed first, so its reservation would run out before the unpaid one's:
	// once the unpaid order is cancelled, the sweeper has been past the paid one's expiry too.
	began := time.Now()
	paid := place(t, "stripe", 2)
	paidPayment, intent := process(t, paid.ID)
	if st, body, err := fake.Send(fake.Succeed(intent)); err != nil || st != 200 {
		t.Fatalf("payment_intent.succeeded webhook: %d %s %v", st, body, err)
	}
	if took := time.Since(began); took >= ttl {
		t.Fatalf("placing and paying took %v, longer than the reservation lifetime %v: the test proves nothing on this machine", took, ttl)
	}
	if o := read(t, paid.ID); o.Status != "CONFIRMED" || o.PaymentStatus != "paid" || o.PaymentID != paidPayment {
		t.Fatalf("paid order = %+v", o)
	}
	if st, exp := reservation(t, paid.ID); st != "committed" {
		t.Fatalf("paid order's reservation %q (expires %v), want committed", st, exp)
	}

	unpaid := place(t, "stripe", 3)
	process(t, unpaid.ID) // a PaymentIntent that is never confirmed
	cash := place(t, "cash", 1)
	if st, exp := reservation(t, unpaid.ID); st != "active" || exp == nil {
		t.Fatalf("unpaid gateway order's reservation %q expires %v, want active with an expiry", st, exp)
	}
	if st, exp := reservation(t, cash.ID); st != "active" || exp != nil {
		t.Fatalf("cash order's reservation %q expires %v, want active without an expiry", st, exp)
	}
	if onHand, reserved, sellable := mainLevel(t); onHand != 8 || reserved != 4 || sellable != 4 {
		t.Fatalf("before expiry: on hand %d reserved %d sellable %d, want 8 4 4", onHand, reserved, sellable)
	}
	seq := a.DB.LastSeq()

	poll.Within(t, ttl+20*time.Second, "the sweeper to cancel the unpaid Stripe order", func() bool {
		return read(t, unpaid.ID).Status == "CANCELLED"
	})
	o := read(t, unpaid.ID)
	last := o.History[len(o.History)-1]
	if last.Status != "CANCELLED" || last.Actor != "system" || !strings.Contains(last.Note, "reservation expired") || o.PaymentStatus == "paid" {
		t.Fatalf("expired order = %+v", o)
	}
	if st, _ := reservation(t, unpaid.ID); st != "released" {
		t.Fatalf("expired order's reservation %q, want released", st)
	}
	// Its three units are sellable again; the cash order still holds its one, the paid order's
	// two left on hand.
	if onHand, reserved, sellable := mainLevel(t); onHand != 8 || reserved != 1 || sellable != 7 {
		t.Fatalf("after expiry: on hand %d reserved %d sellable %d, want 8 1 7", onHand, reserved, sellable)
	}
	if o := read(t, paid.ID); o.Status != "CONFIRMED" || o.PaymentStatus != "paid" {
		t.Fatalf("the paid order was touched by the sweeper: %+v", o)
	}
	if o := read(t, cash.ID); o.Status != "PENDING" || o.PaymentStatus != "unpaid" {
		t.Fatalf("the cash order was touched by the sweeper: %+v", o)
	}
	if st, exp := reservation(t, cash.ID); st != "active" || exp != nil {
		t.Fatalf("cash order's reservation %q expires %v after the sweep", st, exp)
	}
	// Exactly one order was cancelled, and it was the expired one. (A reader can see the
	// cancelled order a moment before its write is synced and its events counted, so wait for
	// the event rather than read up to LastSeq once.)
	var cancelled, all []string
	poll.Within(t, 10*time.Second, "the orders.cancelled event", func() bool {
		cancelled, all = nil, nil
		for _, ev := range a.EventsAfter(t, seq, a.DB.LastSeq()) {
			all = append(all, ev.Type+" "+ev.Aggregate+" by "+ev.Actor)
			if ev.Type == "orders.cancelled" {
				cancelled = append(cancelled, ev.Aggregate+" by "+ev.Actor)
			}
		}
		return len(cancelled) > 0
	})
	if len(cancelled) != 1 || cancelled[0] != unpaid.ID+" by system" {
		t.Fatalf("orders.cancelled about %v, want only %s (events since the orders were placed: %v)", cancelled, unpaid.ID, all)
	}
}
