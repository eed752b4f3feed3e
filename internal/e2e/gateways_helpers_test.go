package e2e_test

// Helpers of the payment gateways' end-to-end tests (gateways_*_test.go): a shop selling one
// product, placing and paying its order through the API, reading payments and orders back.

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// paymentBody is the part of a payment answer the gateway tests read.
type paymentBody struct {
	ID         string         `json:"id"`
	OrderID    string         `json:"order_id"`
	Method     string         `json:"method"`
	Status     string         `json:"status"`
	Amount     commerce.Money `json:"amount"`
	Captured   commerce.Money `json:"captured"`
	Refunded   commerce.Money `json:"refunded"`
	ExternalID string         `json:"external_id"`
	Action     *struct {
		ExternalID   string `json:"external_id"`
		ClientSecret string `json:"client_secret"`
		RedirectURL  string `json:"redirect_url"`
	} `json:"action"`
	Refunds []struct {
		ID         string         `json:"id"`
		Amount     commerce.Money `json:"amount"`
		Status     string         `json:"status"`
		ExternalID string         `json:"external_id"`
	} `json:"refunds"`
}

type orderBody struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	PaymentStatus string         `json:"payment_status"`
	PaymentID     string         `json:"payment_id"`
	Total         commerce.Money `json:"total"`
}

// shop is an app with one product in stock, a customer and an admin.
type shop struct {
	*apptest.App
	variant  string
	customer apptest.User
	admin    apptest.User
}

// newShop is a shop selling green tea at 12.34 USD a unit.
func newShop(t *testing.T, opts ...apptest.Option) *shop {
	t.Helper()
	return newShopSelling(t, "Green tea", "green-tea-", "TEA-", commerce.Money{Amount: 1234, Currency: "USD"}, opts...)
}

// newUZShop is a shop selling a product priced in UZS (the Uzbek gateways settle only sums):
// 1,234.00 UZS = 123,400 tiyin a unit.
func newUZShop(t *testing.T, opts ...apptest.Option) *shop {
	t.Helper()
	return newShopSelling(t, "Samarkand bread", "bread-", "NON-", commerce.Money{Amount: 123_400, Currency: "UZS"}, opts...)
}

func newShopSelling(t *testing.T, title, slug, sku string, price commerce.Money, opts ...apptest.Option) *shop {
	t.Helper()
	a := apptest.New(t, opts...)
	now := time.Now().UTC()
	p := catalog.Product{ID: commerce.NewID(), Title: title, Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	p.Slug = strings.ToLower(slug + p.ID)
	v := catalog.Variant{ID: commerce.NewID(), SKU: sku + p.ID, Price: price, Stock: 10, Options: map[string]string{"Size": "M"}}
	p.Variants = []catalog.Variant{v}
	if err := a.Catalog.SaveProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return &shop{App: a, variant: v.ID, customer: a.NewUser(t, auth.RoleCustomer), admin: a.NewUser(t, auth.RoleAdmin)}
}

// order places the customer's order of qty units paid with method and returns it.
func (s *shop) order(t *testing.T, method string, qty int64) orderBody {
	t.Helper()
	h := s.customer.Bearer()
	r := s.Do(t, "POST", "/api/v1/carts", nil, h)
	if r.Status != 201 {
		t.Fatalf("create cart: %d %s", r.Status, r.Body)
	}
	var c struct{ ID string }
	r.JSON(t, &c)
	if r = s.Do(t, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": s.variant, "quantity": qty}, h); r.Status != 200 {
		t.Fatalf("add item: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, "POST", "/api/v1/orders", map[string]any{"cart_id": c.ID, "payment_method": method,
		"shipping_address": map[string]string{"name": "Ann Lee", "line1": "1 Main St", "city": "Tashkent", "country": "uz", "postal_code": "100000"}}, h)
	if r.Status != 201 {
		t.Fatalf("place order: %d %s", r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	return o
}

func (s *shop) process(t *testing.T, orderID, method string) paymentBody {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/payments/process", map[string]any{"order_id": orderID, "method": method,
		"return_url": "https://shop.example/paid", "cancel_url": "https://shop.example/cart"}, s.customer.Bearer())
	if r.Status != 200 {
		t.Fatalf("process: %d %s", r.Status, r.Body)
	}
	var p paymentBody
	r.JSON(t, &p)
	return p
}

func (s *shop) payment(t *testing.T, id string) paymentBody {
	t.Helper()
	var p paymentBody
	s.read(t, "/api/v1/payments/"+id, &p)
	return p
}

func (s *shop) readOrder(t *testing.T, id string) orderBody {
	t.Helper()
	var o orderBody
	s.read(t, "/api/v1/orders/"+id, &o)
	return o
}

// read GETs path as the customer into out.
func (s *shop) read(t *testing.T, path string, out any) {
	t.Helper()
	r := s.Do(t, "GET", path, nil, s.customer.Bearer())
	if r.Status != 200 {
		t.Fatalf("read %s: %d %s", path, r.Status, r.Body)
	}
	r.JSON(t, out)
}

func (s *shop) refund(t *testing.T, paymentID string, amount int64, wantStatus int) paymentBody {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/payments/"+paymentID+"/refund", map[string]any{"amount": map[string]any{"amount": amount, "currency": "USD"},
		"reason": "customer asked"}, s.admin.Bearer())
	if r.Status != wantStatus {
		t.Fatalf("refund: %d %s, want %d", r.Status, r.Body, wantStatus)
	}
	var p paymentBody
	if wantStatus == 200 {
		r.JSON(t, &p)
	}
	return p
}

// countEvents counts recorded bus events of type typ about a subject ID, after waiting for
// every event up to the store's last sequence.
func countEvents(t *testing.T, a *apptest.App, typ string) int {
	t.Helper()
	n := 0
	for _, ev := range a.EventsAfter(t, 0, a.DB.LastSeq()) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// wantCaptured fails t unless the payment captured the order's total, the order is paid and
// confirmed by it, and one capture event was emitted; after says when (in messages).
func (s *shop) wantCaptured(t *testing.T, paymentID string, o orderBody, after string) paymentBody {
	t.Helper()
	got := s.payment(t, paymentID)
	if got.Status != payments.StatusCaptured || got.Captured != o.Total {
		t.Fatalf("payment after %s = %+v", after, got)
	}
	if ord := s.readOrder(t, o.ID); ord.Status != "CONFIRMED" || ord.PaymentStatus != "paid" || ord.PaymentID != paymentID {
		t.Fatalf("order after %s = %+v", after, ord)
	}
	if n := countEvents(t, s.App, payments.EventCaptured); n != 1 {
		t.Fatalf("%d %s events, want 1", n, payments.EventCaptured)
	}
	return got
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
