package http_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/internal/apptest"
	"github.com/ultramarket/ultramarket/store"
)

// orderEvents checks only the orders.* events a scenario's request emitted (the reactions
// of other domains, such as inventory's, are theirs to test). Use as Before and After.
func orderEvents(want map[string]int) (func(testing.TB, *apptest.App), func(testing.TB, *apptest.App, *apptest.Response)) {
	var since uint64
	return func(_ testing.TB, a *apptest.App) { since = a.DB.LastSeq() },
		func(t testing.TB, a *apptest.App, _ *apptest.Response) {
			got := map[string]int{}
			for _, ev := range a.EventsAfter(t, since, a.DB.LastSeq()) {
				if strings.HasPrefix(ev.Type, "orders.") {
					got[ev.Type]++
					if ev.Actor == "" {
						t.Errorf("event %s without an actor", ev.Type)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("order events %v, want %v", got, want)
			}
		}
}

// withEvents returns s checking its order events.
func withEvents(s apptest.Scenario, want map[string]int) apptest.Scenario {
	s.Before, s.After = orderEvents(want)
	return s
}

// markPaid records a captured payment on the order, as the payment service does.
func markPaid(t testing.TB, a *apptest.App, id string) {
	t.Helper()
	err := store.NewOrders(a.DB).Update(context.Background(), func(tx orders.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		prev := o
		if _, err := o.RecordPayment(commerce.NewID(), orders.PaymentPaid, time.Now(), "system"); err != nil {
			return err
		}
		return tx.PutOrder(o, prev)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOrderLifecycleAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 20, 20)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}
	place := func(headers map[string]string) orderBody {
		t.Helper()
		id := newCart(t, a, headers)
		addItem(t, a, id, v[0], 3, headers)
		addItem(t, a, id, v[1], 1, headers)
		r := a.Do(t, "POST", "/api/v1/orders", checkoutBody(id), headers)
		if r.Status != 201 {
			t.Fatalf("checkout: %d %s", r.Status, r.Body)
		}
		var o orderBody
		r.JSON(t, &o)
		return o
	}
	o := place(ann.Bearer())
	u := "/api/v1/orders/" + o.ID
	var fulfilment, ret struct {
		ID string `json:"id"`
	}
	staffJSON := func(method, path string, body any, want int) *apptest.Response {
		t.Helper()
		r := a.Do(t, method, path, body, admin.Bearer())
		if r.Status != want {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}

	apptest.Run(t, a, []apptest.Scenario{
		// PUT /orders/:id
		{Name: "the owner changes the address of the PENDING order", Method: "PUT", URL: u, Headers: ann.Bearer(),
			Body:           map[string]any{"shipping_address": map[string]string{"name": "Ann Lee", "line1": "2 Oak St", "city": "Tashkent", "country": "UZ"}},
			ExpectedStatus: 200, ExpectedContent: []string{`"line1":"2 Oak St"`}, NotExpectedContent: []string{"internal_note"}},
		{Name: "the owner may not set the status", Method: "PUT", URL: u, Headers: ann.Bearer(), Body: map[string]any{"status": "CONFIRMED"},
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "another customer", Method: "PUT", URL: u, Headers: bob.Bearer(), Body: map[string]any{"internal_note": "x"},
			ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "another country", Method: "PUT", URL: u, Headers: admin.Bearer(),
			Body:           map[string]any{"shipping_address": map[string]string{"name": "Ann", "line1": "1", "city": "Austin", "country": "US"}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"shipping_address.country"`}, ExpectedEvents: none},
		{Name: "nothing to change", Method: "PUT", URL: u, Headers: admin.Bearer(), Body: map[string]any{},
			ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "a stale If-Match", Method: "PUT", URL: u, Headers: map[string]string{"Authorization": "Bearer " + admin.Token, "If-Match": `"1"`},
			Body: map[string]any{"internal_note": "x"}, ExpectedStatus: 412, ExpectedEvents: none},
		withEvents(apptest.Scenario{Name: "staff confirm with an internal note", Method: "PUT", URL: u, Headers: admin.Bearer(),
			Body:           map[string]any{"status": "CONFIRMED", "internal_note": "VIP", "note": "paid"},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"CONFIRMED"`, `"internal_note":"VIP"`}},
			map[string]int{orders.EventUpdated: 1, orders.EventStatusChanged: 1}),
		{Name: "the owner does not see the internal note", Method: "GET", URL: u, Headers: ann.Bearer(), ExpectedStatus: 200,
			NotExpectedContent: []string{"VIP"}},

		// notes
		{Name: "a customer may not add notes", Method: "POST", URL: u + "/notes", Headers: ann.Bearer(), Body: map[string]any{"text": "hi"}, ExpectedStatus: 403},
		{Name: "a note needs text", Method: "POST", URL: u + "/notes", Headers: admin.Bearer(), Body: map[string]any{"visibility": "customer"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"text"`}, ExpectedEvents: none},
		withEvents(apptest.Scenario{Name: "an internal note", Method: "POST", URL: u + "/notes", Headers: admin.Bearer(),
			Body: map[string]any{"text": "fragile, pack well"}, ExpectedStatus: 201, ExpectedContent: []string{`"visibility":"internal"`}},
			map[string]int{orders.EventNoteAdded: 1}),
		{Name: "a customer note", Method: "POST", URL: u + "/notes", Headers: admin.Bearer(),
			Body: map[string]any{"text": "ships Monday", "visibility": "customer"}, ExpectedStatus: 201},
		{Name: "the owner sees the customer note only", Method: "GET", URL: u, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{"ships Monday"}, NotExpectedContent: []string{"fragile"}},
		{Name: "staff see both", Method: "GET", URL: u, Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{"ships Monday", "fragile"}},

		// fulfilments
		{Name: "a customer may not ship", Method: "POST", URL: u + "/fulfilments", Headers: ann.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "an unknown carrier", Method: "POST", URL: u + "/fulfilments", Headers: admin.Bearer(),
			Body: map[string]any{"carrier": "pigeon"}, ExpectedStatus: 422, ExpectedContent: []string{`"field":"carrier"`}, ExpectedEvents: none},
		{Name: "more than ordered", Method: "POST", URL: u + "/fulfilments", Headers: admin.Bearer(),
			Body:           map[string]any{"lines": []map[string]any{{"variant_id": v[0], "quantity": 4}}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"lines[0].quantity"`}, ExpectedEvents: none},
		{Name: "a missing order", Method: "POST", URL: "/api/v1/orders/" + commerce.NewID() + "/fulfilments", Headers: admin.Bearer(), ExpectedStatus: 404},
		withEvents(apptest.Scenario{Name: "ship two units", Method: "POST", URL: u + "/fulfilments", Headers: admin.Bearer(),
			Body:           map[string]any{"lines": []map[string]any{{"variant_id": v[0], "quantity": 2}}, "carrier": "UPS", "tracking_number": "1Z1"},
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"PROCESSING"`, `"carrier_name":"UPS"`, `"tracking_url":"https://www.ups.com/track?tracknum=1Z1"`}},
			map[string]int{orders.EventFulfilled: 1, orders.EventStatusChanged: 1}),
		{Name: "the address is fixed once part shipped", Method: "PUT", URL: u, Headers: admin.Bearer(),
			Body:           map[string]any{"shipping_address": map[string]string{"name": "Ann", "line1": "3 Elm", "city": "Tashkent", "country": "UZ"}},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"order_shipped"`}},
		{Name: "cancelling after a shipment", Method: "PUT", URL: u + "/status", Headers: admin.Bearer(), Body: map[string]any{"status": "CANCELLED"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"order_fulfilled"`}, ExpectedEvents: none},
		{Name: "ship the rest with the same key", Method: "POST", URL: u + "/fulfilments", ExpectedStatus: 201,
			Headers: map[string]string{"Authorization": "Bearer " + admin.Token, "Idempotency-Key": "ship-rest"},
			Body:    map[string]any{"carrier": "dhl", "tracking_number": "D2"}, ExpectedContent: []string{`"status":"SHIPPED"`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var out struct {
					Fulfilment struct {
						ID string `json:"id"`
					} `json:"fulfilment"`
				}
				r.JSON(t, &out)
				fulfilment.ID = out.Fulfilment.ID
			}},
		{Name: "a replay answers the same shipment", Method: "POST", URL: u + "/fulfilments", ExpectedStatus: 201, ExpectedEvents: none,
			Headers:         map[string]string{"Authorization": "Bearer " + admin.Token, "Idempotency-Key": "ship-rest"},
			Body:            map[string]any{"carrier": "dhl", "tracking_number": "D2"},
			ExpectedHeaders: map[string]string{"Idempotent-Replayed": "true"}},
		{Name: "nothing left to ship", Method: "POST", URL: u + "/fulfilments", Headers: admin.Bearer(), ExpectedStatus: 409, ExpectedEvents: none},
		{Name: "tracking lists both shipments", Method: "GET", URL: u + "/tracking", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"tracking_number":"1Z1"`, `"carrier_name":"DHL"`, `"tracking_number":"D2"`}},
		{Name: "tracking is private", Method: "GET", URL: u + "/tracking", Headers: bob.Bearer(), ExpectedStatus: 404},
		{Name: "a return before delivery", Method: "POST", URL: u + "/returns", Headers: ann.Bearer(), Body: map[string]any{"reason": "x"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"nothing_delivered"`}, ExpectedEvents: none},
	})
	// Deliver both shipments.
	var cur struct {
		Fulfilments []struct {
			ID string `json:"id"`
		} `json:"fulfilments"`
	}
	staffJSON("GET", u, nil, 200).JSON(t, &cur)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "deliver a missing shipment", Method: "POST", URL: u + "/fulfilments/" + commerce.NewID() + "/delivered", Headers: admin.Bearer(),
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"fulfilment_not_found"`}},
		withEvents(apptest.Scenario{Name: "deliver the first", Method: "POST", URL: u + "/fulfilments/" + cur.Fulfilments[0].ID + "/delivered",
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"status":"SHIPPED"`}},
			map[string]int{orders.EventDelivered: 1}),
		withEvents(apptest.Scenario{Name: "deliver the second", Method: "POST", URL: u + "/fulfilments/" + fulfilment.ID + "/delivered",
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"status":"DELIVERED"`}},
			map[string]int{orders.EventDelivered: 1, orders.EventStatusChanged: 1}),

		// returns
		{Name: "another customer cannot return", Method: "POST", URL: u + "/returns", Headers: bob.Bearer(), Body: map[string]any{"reason": "x"},
			ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "a return without reason", Method: "POST", URL: u + "/returns", Headers: ann.Bearer(), Body: map[string]any{},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: none},
		{Name: "more than delivered", Method: "POST", URL: u + "/returns", Headers: ann.Bearer(),
			Body:           map[string]any{"reason": "x", "lines": []map[string]any{{"variant_id": v[1], "quantity": 2}}},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"lines[0].quantity"`}, ExpectedEvents: none},
		withEvents(apptest.Scenario{Name: "the owner returns everything", Method: "POST", URL: u + "/returns", Headers: ann.Bearer(),
			Body: map[string]any{"reason": "wrong size"}, ExpectedStatus: 201, ExpectedContent: []string{`"status":"requested"`},
			After: nil}, map[string]int{orders.EventReturnRequested: 1}),
		{Name: "nothing left to return", Method: "POST", URL: u + "/returns", Headers: ann.Bearer(), Body: map[string]any{"reason": "again"},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"nothing_to_return"`}},
		{Name: "the owner lists returns", Method: "GET", URL: u + "/returns", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"reason":"wrong size"`},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var l struct {
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
				}
				r.JSON(t, &l)
				ret.ID = l.Items[0].ID
			}},
		{Name: "returns are private", Method: "GET", URL: u + "/returns", Headers: bob.Bearer(), ExpectedStatus: 404},
	})
	rurl := u + "/returns/" + ret.ID
	before := stockOf(t, a, v[0])
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a customer may not approve", Method: "POST", URL: rurl + "/approve", Headers: ann.Bearer(), ExpectedStatus: 403},
		{Name: "receive before approval", Method: "POST", URL: rurl + "/receive", Headers: admin.Bearer(), ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"illegal_return_transition"`}, ExpectedEvents: none},
		{Name: "reject without reason", Method: "POST", URL: rurl + "/reject", Headers: admin.Bearer(), Body: map[string]any{},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}},
		withEvents(apptest.Scenario{Name: "approve", Method: "POST", URL: rurl + "/approve", Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"approved"`}}, map[string]int{orders.EventReturnApproved: 1}),
		{Name: "a missing return", Method: "POST", URL: u + "/returns/" + commerce.NewID() + "/approve", Headers: admin.Bearer(), ExpectedStatus: 404},
		withEvents(apptest.Scenario{Name: "receive, one line not restocked", Method: "POST", URL: rurl + "/receive", Headers: admin.Bearer(),
			Body:           map[string]any{"lines": []map[string]any{{"variant_id": v[1], "restock": false}}},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"received"`, `"status":"RETURNED"`}},
			map[string]int{orders.EventReturnReceived: 1, orders.EventStatusChanged: 1, orders.EventReturned: 1}),
		{Name: "a refund of an unpaid order", Method: "POST", URL: rurl + "/refund", Headers: admin.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"order_not_paid"`}, ExpectedEvents: none},
	})
	if got := stockOf(t, a, v[0]); got != before+3 {
		t.Errorf("stock of the restocked variant %d, want %d", got, before+3)
	}
	markPaid(t, a, o.ID)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a refund larger than paid", Method: "POST", URL: rurl + "/refund", Headers: admin.Bearer(),
			Body:           map[string]any{"amount": map[string]any{"amount": 999999, "currency": "USD"}},
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"refund_exceeds_paid"`}, ExpectedEvents: none},
		{Name: "a refund to nowhere", Method: "POST", URL: rurl + "/refund", Headers: admin.Bearer(), Body: map[string]any{"to": "cash"},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"to"`}, ExpectedEvents: none},
	})

	// Invoices and their PDF.
	guest := place(nil)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "no invoice yet", Method: "GET", URL: u + "/invoice.pdf", Headers: ann.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"invoice_not_issued"`}},
		{Name: "a customer may not issue", Method: "POST", URL: u + "/invoice", Headers: ann.Bearer(), ExpectedStatus: 403},
		withEvents(apptest.Scenario{Name: "issue", Method: "POST", URL: u + "/invoice", Headers: admin.Bearer(), ExpectedStatus: 201,
			ExpectedContent: []string{fmt.Sprintf(`"number":"INV-%d-`, time.Now().UTC().Year())}}, map[string]int{orders.EventInvoiceIssued: 1}),
		{Name: "issue again", Method: "POST", URL: u + "/invoice", Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedEvents: none},
		{Name: "the owner reads the PDF", Method: "GET", URL: u + "/invoice.pdf", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Content-Type": "application/pdf"},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				if !bytes.HasPrefix(r.Body, []byte("%PDF-")) || !bytes.Contains(r.Body, []byte("INV-")) || !bytes.Contains(r.Body, []byte("Ann Lee")) {
					t.Errorf("not the invoice PDF: %.80q", r.Body)
				}
			}},
		{Name: "another customer", Method: "GET", URL: u + "/invoice.pdf", Headers: bob.Bearer(), ExpectedStatus: 404},

		// DELETE: unpaid drafts only.
		{Name: "a paid order cannot be deleted", Method: "DELETE", URL: u, Headers: admin.Bearer(), ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"order_not_deletable"`}, ExpectedEvents: none},
		{Name: "a guest without its key", Method: "DELETE", URL: "/api/v1/orders/" + guest.ID, ExpectedStatus: 404, ExpectedEvents: none},
		withEvents(apptest.Scenario{Name: "a guest deletes its draft", Method: "DELETE", URL: "/api/v1/orders/" + guest.ID + "?key=" + guest.AccessKey,
			ExpectedStatus: 204}, map[string]int{orders.EventStatusChanged: 1, orders.EventCancelled: 1, orders.EventDeleted: 1}),
		{Name: "the deleted draft is gone for the guest", Method: "GET", URL: "/api/v1/orders/" + guest.ID + "?key=" + guest.AccessKey, ExpectedStatus: 404},
		{Name: "staff still see it", Method: "GET", URL: "/api/v1/orders/" + guest.ID, Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"deleted":true`, `"status":"CANCELLED"`}},
	})
	// The owner's list hides a deleted draft.
	mine := place(ann.Bearer())
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the owner deletes a draft", Method: "DELETE", URL: "/api/v1/orders/" + mine.ID, Headers: ann.Bearer(), ExpectedStatus: 204},
		{Name: "the owner's list hides it", Method: "GET", URL: "/api/v1/orders", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{o.ID}, NotExpectedContent: []string{mine.ID}},
	})
}
