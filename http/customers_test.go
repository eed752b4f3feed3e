package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/customers"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

type addressBody struct {
	ID      string `json:"id"`
	UserID  string `json:"user_id"`
	Label   string `json:"label"`
	Name    string `json:"name"`
	Country string `json:"country"`
	Default bool   `json:"default"`
	Version int64  `json:"version"`
}

func homeAddress(label string) map[string]any {
	return map[string]any{"label": label, "name": "Ann Lee", "company": "Tea House", "line1": "1 Main St", "line2": "Flat 2",
		"city": "Tashkent", "region": "Tashkent", "postal_code": "100000", "country": "uz", "phone": "+998 71 123 45 67"}
}

// withHeaders merges header maps.
func withHeaders(hs ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// keepAddress decodes the response into dst.
func keepAddress(dst *addressBody) func(testing.TB, *apptest.App, *apptest.Response) {
	return func(t testing.TB, _ *apptest.App, r *apptest.Response) { r.JSON(t, dst) }
}

// book returns the user's addresses through the API.
func book(t testing.TB, a *apptest.App, u apptest.User) []addressBody {
	t.Helper()
	r := a.Do(t, "GET", "/api/v1/auth/profile/addresses", nil, u.Bearer())
	if r.Status != 200 {
		t.Fatalf("address book: %d %s", r.Status, r.Body)
	}
	var out struct {
		Items []addressBody `json:"items"`
	}
	r.JSON(t, &out)
	return out.Items
}

// defaultOf returns the ID of the one default address, failing unless there is exactly one.
func defaultOf(t testing.TB, a *apptest.App, u apptest.User) string {
	t.Helper()
	var ids []string
	for _, x := range book(t, a, u) {
		if x.Default {
			ids = append(ids, x.ID)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d default addresses: %v", len(ids), ids)
	}
	return ids[0]
}

func TestAddressAPI(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}
	const base = "/api/v1/auth/profile/addresses"
	var home, office addressBody
	homeURL := func() string { return base + "/" + home.ID }

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous list", Method: "GET", URL: base, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "anonymous add", Method: "POST", URL: base, Body: homeAddress("Home"), ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "an empty book", Method: "GET", URL: base, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[]`}},
		{Name: "every missing field is named", Method: "POST", URL: base, Headers: ann.Bearer(), Body: map[string]any{"label": strings.Repeat("x", 51)},
			ExpectedStatus: 422, ExpectedEvents: none, ExpectedContent: []string{`"field":"label"`, `"field":"name"`, `"field":"line1"`, `"field":"city"`, `"field":"country"`}},
		{Name: "a bad country and phone", Method: "POST", URL: base, Headers: ann.Bearer(), Body: withField(homeAddress("Home"), map[string]any{"country": "XX", "phone": "call me"}),
			ExpectedStatus: 422, ExpectedEvents: none, ExpectedContent: []string{`"field":"country"`, `"field":"phone"`}},
		{Name: "an owner chosen by the client is an unknown field", Method: "POST", URL: base, Headers: ann.Bearer(),
			Body:           withField(homeAddress("Home"), map[string]any{"user_id": bob.ID}),
			ExpectedStatus: 422, ExpectedEvents: none, ExpectedContent: []string{`"field":"user_id"`, "unknown field"}},
		{Name: "the first address is the default", Method: "POST", URL: base, Headers: ann.Bearer(), Body: homeAddress("Home"),
			ExpectedStatus: 201, ExpectedHeaders: map[string]string{"ETag": `"1"`},
			ExpectedContent: []string{`"default":true`, `"country":"UZ"`, `"user_id":"` + ann.ID + `"`, `"company":"Tea House"`},
			ExpectedEvents:  map[string]int{customers.EventAddressAdded: 1}, After: keepAddress(&home)},
		{Name: "a second one is not", Method: "POST", URL: base, Headers: ann.Bearer(), Body: homeAddress("Office"),
			ExpectedStatus: 201, ExpectedContent: []string{`"default":false`},
			ExpectedEvents: map[string]int{customers.EventAddressAdded: 1}, After: keepAddress(&office)},
	})
	// URLs that need the IDs made above.
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the owner reads one", Method: "GET", URL: homeURL(), Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"ETag": `"1"`}, ExpectedContent: []string{`"label":"Home"`}},
		{Name: "another customer reads it", Method: "GET", URL: homeURL(), Headers: bob.Bearer(), ExpectedStatus: 404, ExpectedContent: []string{`"code":"address_not_found"`}},
		{Name: "another customer replaces it", Method: "PUT", URL: homeURL(), Headers: bob.Bearer(), Body: homeAddress("Mine"), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "another customer deletes it", Method: "DELETE", URL: homeURL(), Headers: bob.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "another customer makes it the default", Method: "POST", URL: base + "/" + office.ID + "/default", Headers: bob.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "staff do not reach it through the owner's routes", Method: "GET", URL: homeURL(), Headers: admin.Bearer(), ExpectedStatus: 404},
		{Name: "anonymous reads it", Method: "GET", URL: homeURL(), ExpectedStatus: 401},
		{Name: "a malformed id", Method: "GET", URL: base + "/..%2f..%2fetc", Headers: ann.Bearer(), ExpectedStatus: 404},
		{Name: "another customer's book is empty", Method: "GET", URL: base, Headers: bob.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a stale If-Match", Method: "PUT", URL: homeURL(), Headers: withHeaders(ann.Bearer(), map[string]string{"If-Match": `"7"`}),
			Body: homeAddress("Home, new"), ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "a malformed If-Match", Method: "PUT", URL: homeURL(), Headers: withHeaders(ann.Bearer(), map[string]string{"If-Match": `yesterday`}),
			Body: homeAddress("Home, new"), ExpectedStatus: 400, ExpectedEvents: none},
		{Name: "replace with a bad field", Method: "PUT", URL: homeURL(), Headers: ann.Bearer(), Body: withField(homeAddress("Home"), map[string]any{"city": ""}),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"city"`}, ExpectedEvents: none},
		{Name: "default is not set through PUT", Method: "PUT", URL: homeURL(), Headers: ann.Bearer(), Body: withField(homeAddress("Home"), map[string]any{"default": false}),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"default"`}, ExpectedEvents: none},
		{Name: "replace with the current If-Match", Method: "PUT", URL: homeURL(), Headers: withHeaders(ann.Bearer(), map[string]string{"If-Match": `"1"`}),
			Body: withField(homeAddress("Home, new"), map[string]any{"line2": ""}), ExpectedStatus: 200, ExpectedHeaders: map[string]string{"ETag": `"2"`},
			ExpectedContent: []string{`"label":"Home, new"`, `"default":true`}, NotExpectedContent: []string{"Flat 2"},
			ExpectedEvents: map[string]int{customers.EventAddressUpdated: 1}},
		{Name: "make the office the default", Method: "POST", URL: base + "/" + office.ID + "/default", Headers: ann.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"default":true`, `"id":"` + office.ID + `"`},
			ExpectedEvents: map[string]int{customers.EventDefaultAddressSet: 1},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if got := defaultOf(t, a, ann); got != office.ID {
					t.Fatalf("default %s, want the office", got)
				}
			}},
		{Name: "a new address asked as default takes it over", Method: "POST", URL: base, Headers: ann.Bearer(),
			Body: withField(homeAddress("Dacha"), map[string]any{"default": true}), ExpectedStatus: 201, ExpectedContent: []string{`"default":true`},
			ExpectedEvents: map[string]int{customers.EventAddressAdded: 1},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var dacha addressBody
				r.JSON(t, &dacha)
				if got := defaultOf(t, a, ann); got != dacha.ID {
					t.Fatalf("default %s, want the new address", got)
				}
			}},
	})

	// Deleting the default (the newest address) promotes the newest remaining one: the office.
	items := book(t, a, ann)
	dacha := items[len(items)-1]
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "delete the default", Method: "DELETE", URL: base + "/" + dacha.ID, Headers: ann.Bearer(), ExpectedStatus: 204,
			ExpectedEvents: map[string]int{customers.EventAddressRemoved: 1, customers.EventDefaultAddressSet: 1},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				if got := defaultOf(t, a, ann); got != office.ID {
					t.Fatalf("default %s, want the office (the newest remaining)", got)
				}
			}},
		{Name: "delete it again", Method: "DELETE", URL: base + "/" + dacha.ID, Headers: ann.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},

		// Staff read a customer: account and addresses, no secrets.
		{Name: "staff read a customer", Method: "GET", URL: "/api/v1/admin/customers/" + ann.ID, Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent:    []string{`"email":"` + ann.Email + `"`, `"addresses":[`, office.ID, `"role":"CUSTOMER"`},
			NotExpectedContent: []string{"password_hash", "totp_secret", "recovery_codes", "argon2"}, ExpectedEvents: none},
		{Name: "a customer may not read another", Method: "GET", URL: "/api/v1/admin/customers/" + ann.ID, Headers: bob.Bearer(), ExpectedStatus: 403},
		{Name: "a customer may not read themself there either", Method: "GET", URL: "/api/v1/admin/customers/" + ann.ID, Headers: ann.Bearer(), ExpectedStatus: 403},
		{Name: "anonymous", Method: "GET", URL: "/api/v1/admin/customers/" + ann.ID, ExpectedStatus: 401},
		{Name: "an unknown customer", Method: "GET", URL: "/api/v1/admin/customers/01J00000000000000000000000", Headers: admin.Bearer(), ExpectedStatus: 404,
			ExpectedContent: []string{`"code":"customer_not_found"`}},
	})

	// The 51st address is refused.
	for i := len(book(t, a, bob)); i < customers.MaxAddresses; i++ {
		if r := a.Do(t, "POST", base, homeAddress(fmt.Sprint("Place ", i)), bob.Bearer()); r.Status != 201 {
			t.Fatalf("address %d: %d %s", i, r.Status, r.Body)
		}
	}
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "a full book", Method: "POST", URL: base, Headers: bob.Bearer(), Body: homeAddress("One too many"), ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"address_book_full"`}, ExpectedEvents: none},
	})
	if n := len(book(t, a, bob)); n != customers.MaxAddresses {
		t.Errorf("bob has %d addresses", n)
	}
	defaultOf(t, a, bob)
}

// withField returns body with the fields of extra set.
func withField(body map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestPreferencesAPI(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	none := map[string]int{}
	const url = "/api/v1/auth/profile/preferences"
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous", Method: "GET", URL: url, ExpectedStatus: 401},
		{Name: "anonymous change", Method: "PUT", URL: url, Body: map[string]any{"language": "en"}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "none chosen yet", Method: "GET", URL: url, Headers: ann.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{`"channels":[]`},
			ExpectedHeaders: map[string]string{"ETag": `"1"`}},
		{Name: "every bad field is named", Method: "PUT", URL: url, Headers: ann.Bearer(),
			Body:           map[string]any{"language": "klingon", "currency": "usd", "channels": []string{"email", "pigeon", "email"}},
			ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"language"`, `"field":"currency"`, `"field":"channels[1]"`, `"field":"channels[2]"`}},
		{Name: "an unknown field", Method: "PUT", URL: url, Headers: ann.Bearer(), Body: map[string]any{"language": "en", "role": "SUPER_ADMIN"},
			ExpectedStatus: 422, ExpectedEvents: none, ExpectedContent: []string{`"field":"role"`}},
		{Name: "channels of the wrong type", Method: "PUT", URL: url, Headers: ann.Bearer(), Body: map[string]any{"channels": "email"},
			ExpectedStatus: 422, ExpectedEvents: none},
		{Name: "a stale If-Match", Method: "PUT", URL: url, Headers: withHeaders(ann.Bearer(), map[string]string{"If-Match": `"9"`}),
			Body: map[string]any{"language": "en"}, ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "choose", Method: "PUT", URL: url, Headers: withHeaders(ann.Bearer(), map[string]string{"If-Match": `"1"`}),
			Body:           map[string]any{"language": "UZ-latn", "currency": "UZS", "channels": []string{"sms", "email"}},
			ExpectedStatus: 200, ExpectedHeaders: map[string]string{"ETag": `"2"`},
			ExpectedContent: []string{`"language":"uz-Latn"`, `"currency":"UZS"`, `"channels":["sms","email"]`},
			ExpectedEvents:  map[string]int{auth.EventUserUpdated: 1}},
		{Name: "read back", Method: "GET", URL: url, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"language":"uz-Latn"`, `"channels":["sms","email"]`}},
		{Name: "the profile is unchanged otherwise", Method: "GET", URL: "/api/v1/auth/profile", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"` + ann.Email + `"`, `"role":"CUSTOMER"`}},
		{Name: "clear", Method: "PUT", URL: url, Headers: ann.Bearer(), Body: map[string]any{}, ExpectedStatus: 200,
			ExpectedContent: []string{`"channels":[]`}, NotExpectedContent: []string{"language", "UZS"}},
	})
}

// exportBody is the part of the export the tests look at.
type exportBody struct {
	Format  string `json:"format"`
	Account struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"account"`
	Addresses []addressBody `json:"addresses"`
	Sessions  []struct {
		ID string `json:"id"`
	} `json:"sessions"`
	Orders []struct {
		ID     string `json:"id"`
		Number string `json:"number"`
	} `json:"orders"`
	Carts []struct {
		ID string `json:"id"`
	} `json:"carts"`
}

// placeOrder checks out a cart of u's holding one unit of vid and returns the order's ID.
func placeOrder(t testing.TB, a *apptest.App, u apptest.User, vid string) string {
	t.Helper()
	cartID := newCart(t, a, u.Bearer())
	addItem(t, a, cartID, vid, 1, u.Bearer())
	body := withField(checkoutBody(cartID), map[string]any{"email": u.Email})
	r := a.Do(t, "POST", "/api/v1/orders", body, u.Bearer())
	if r.Status != 201 {
		t.Fatalf("checkout: %d %s", r.Status, r.Body)
	}
	var o orderBody
	r.JSON(t, &o)
	return o.ID
}

func TestExportAndDeleteAccountAPI(t *testing.T) {
	a := apptest.New(t)
	v := seedProduct(t, a, catalog.StatusActive, "USD", 10)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	none := map[string]int{}
	annOrder := placeOrder(t, a, ann, v[0])
	bobOrder := placeOrder(t, a, bob, v[0])
	openCart := newCart(t, a, ann.Bearer())
	if r := a.Do(t, "POST", "/api/v1/auth/profile/addresses", homeAddress("Home"), ann.Bearer()); r.Status != 201 {
		t.Fatalf("address: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "PUT", "/api/v1/auth/profile/preferences", map[string]any{"currency": "UZS", "channels": []string{"push"}}, ann.Bearer()); r.Status != 200 {
		t.Fatalf("preferences: %d %s", r.Status, r.Body)
	}
	var before orderBody
	a.Do(t, "GET", "/api/v1/orders/"+annOrder, nil, admin.Bearer()).JSON(t, &before)

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous export", Method: "GET", URL: "/api/v1/auth/profile/export", ExpectedStatus: 401},
		{Name: "export", Method: "GET", URL: "/api/v1/auth/profile/export", Headers: ann.Bearer(), ExpectedStatus: 200, ExpectedEvents: none,
			ExpectedHeaders: map[string]string{"Content-Disposition": `attachment; filename="ultramarket-export-` + ann.ID + `.json"`, "Cache-Control": "no-store"},
			ExpectedContent: []string{`"format":"ultramarket.customer-export.v1"`, `"currency":"UZS"`, `"channels":["push"]`, annOrder, openCart,
				`"label":"Home"`, ann.Email},
			NotExpectedContent: []string{"password_hash", "totp_secret", "recovery_codes", "access_key", "argon2", ann.Token, ann.Refresh, ann.Password, bobOrder, bob.Email},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				var ex exportBody
				r.JSON(t, &ex)
				if ex.Account.ID != ann.ID || len(ex.Orders) != 1 || ex.Orders[0].ID != annOrder || len(ex.Addresses) != 1 ||
					len(ex.Sessions) != 1 || len(ex.Carts) != 2 {
					t.Errorf("export %s", r.Body)
				}
			}},

		{Name: "anonymous deletion", Method: "DELETE", URL: "/api/v1/auth/profile", Body: map[string]any{"password": ann.Password}, ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "no password", Method: "DELETE", URL: "/api/v1/auth/profile", Headers: ann.Bearer(), Body: map[string]any{}, ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"password"`}, ExpectedEvents: none},
		{Name: "an unknown field", Method: "DELETE", URL: "/api/v1/auth/profile", Headers: ann.Bearer(), Body: map[string]any{"password": ann.Password, "user_id": bob.ID},
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"user_id"`}, ExpectedEvents: none},
		{Name: "a wrong password is refused and recorded", Method: "DELETE", URL: "/api/v1/auth/profile", Headers: ann.Bearer(), Body: map[string]any{"password": "not it at all"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"wrong_password"`}, ExpectedEvents: map[string]int{customers.EventDeletionRefused: 1}},
		{Name: "staff cannot delete themselves", Method: "DELETE", URL: "/api/v1/auth/profile", Headers: admin.Bearer(), Body: map[string]any{"password": admin.Password},
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"staff_account"`}, ExpectedEvents: none},
		{Name: "delete", Method: "DELETE", URL: "/api/v1/auth/profile", Headers: ann.Bearer(), Body: map[string]any{"password": ann.Password},
			ExpectedStatus: 204, ExpectedEvents: map[string]int{customers.EventAccountDeleted: 1, auth.EventSessionRevoked: 1}},
		{Name: "the old access token is refused", Method: "GET", URL: "/api/v1/auth/profile/addresses", Headers: ann.Bearer(), ExpectedStatus: 401},
		{Name: "the old refresh token is refused", Method: "POST", URL: "/api/v1/auth/refresh-token", Body: map[string]any{"refresh_token": ann.Refresh}, ExpectedStatus: 401},
		{Name: "signing in fails like a wrong password", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{"email": ann.Email, "password": ann.Password},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}},
		{Name: "nor with the anonymized e-mail", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{"email": customers.DeletedEmail(ann.ID), "password": ann.Password},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"invalid_credentials"`}},
		{Name: "staff see the account gone", Method: "GET", URL: "/api/v1/admin/customers/" + ann.ID, Headers: admin.Bearer(), ExpectedStatus: 404},
		{Name: "the order is kept, anonymized", Method: "GET", URL: "/api/v1/orders/" + annOrder, Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"` + customers.DeletedEmail(ann.ID) + `"`, `"name":"Deleted customer"`, `"number":"` + before.Number + `"`,
				fmt.Sprintf(`"total":{"amount":%d,"currency":"%s"}`, before.Total.Amount, before.Total.Currency), `"city":"Tashkent"`},
			NotExpectedContent: []string{ann.Email, "Ann Lee", "1 Main St"}},
		{Name: "another customer's order is untouched", Method: "GET", URL: "/api/v1/orders/" + bobOrder, Headers: bob.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"` + bob.Email + `"`, `"name":"Ann Lee"`}},
		{Name: "another customer still signs in", Method: "GET", URL: "/api/v1/auth/profile", Headers: bob.Bearer(), ExpectedStatus: 200},
	})

	// The e-mail is free again.
	again, err := a.Auth.CreateUser(context.Background(), auth.CreateUserInput{Email: ann.Email, Password: "a fresh start 2026", Name: "Ann"})
	if err != nil || again.ID == ann.ID {
		t.Fatalf("register the e-mail again: %+v %v", again, err)
	}
	// The account record holds no personal data or secrets any more.
	u, err := a.Auth.User(context.Background(), ann.ID)
	raw, _ := json.Marshal(u)
	if err != nil || !u.Deleted || u.Name != "" || u.Phone != "" || strings.Contains(string(raw), ann.Email) {
		t.Errorf("deleted account %s %v", raw, err)
	}
}
