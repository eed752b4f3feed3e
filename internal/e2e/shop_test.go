package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// shopAPI is a JSON client of a server's storefront and admin API. Its base URL changes when
// the server is restarted (each start picks a new port).
type shopAPI struct {
	base  string
	token string // bearer token of the administrator, when logged in
	http  *http.Client
}

func newShopAPI(base string) *shopAPI {
	return &shopAPI{base: base, http: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16},
	}}
}

// reply is one answer: its status and raw body.
type reply struct {
	method, path string
	status       int
	body         []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s: %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.body))
}

// errorCode returns the code of an error body ({"error":{"code":...}}), or "".
func (r reply) errorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// decode unmarshals the body into out.
func (r reply) decode(out any) error {
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("%s %s: decode %q: %w", r.method, r.path, r.body, err)
	}
	return nil
}

// call sends in as JSON (when not nil), as the administrator when admin is set. err is a
// transport error: no answer at all.
func (a *shopAPI) call(ctx context.Context, admin bool, method, path string, in any) (reply, error) {
	r := reply{method: method, path: path}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return r, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return r, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	r.body, err = io.ReadAll(resp.Body)
	return r, err
}

// must sends a request that has to answer want and decodes the answer into out (when not nil).
func (a *shopAPI) must(t testing.TB, admin bool, method, path string, in any, want int, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := a.call(ctx, admin, method, path, in)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.status != want {
		t.Fatalf("want status %d: %s", want, r)
	}
	if out != nil {
		if err := r.decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// login signs in and keeps the access token for admin calls.
func (a *shopAPI) login(t testing.TB, email, password string) {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	a.must(t, false, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, http.StatusOK, &out)
	if out.AccessToken == "" {
		t.Fatal("login answered without an access_token")
	}
	a.token = out.AccessToken
}

// Shapes of the API the tests read; only the fields they check.
type (
	apiVariant struct {
		ID    string `json:"id"`
		SKU   string `json:"sku"`
		Stock int64  `json:"stock"`
	}
	apiProduct struct {
		ID       string       `json:"id"`
		Title    string       `json:"title"`
		Variants []apiVariant `json:"variants"`
	}
	apiLine struct {
		VariantID string `json:"variant_id"`
		Quantity  int64  `json:"quantity"`
	}
	apiOrder struct {
		ID     string    `json:"id"`
		Number string    `json:"number"`
		Status string    `json:"status"`
		Lines  []apiLine `json:"lines"`
	}
)

// allOrders pages through every order as the administrator.
func (a *shopAPI) allOrders(t testing.TB) []apiOrder {
	return allPages[apiOrder](t, a, "/api/v1/orders")
}

// allProducts pages through the catalog.
func (a *shopAPI) allProducts(t testing.TB) []apiProduct {
	return allPages[apiProduct](t, a, "/api/v1/products")
}

// allPages follows a list route's cursor (as the administrator) to its last page.
func allPages[T any](t testing.TB, a *shopAPI, path string) []T {
	t.Helper()
	var out []T
	cursor := ""
	for {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		a.must(t, true, http.MethodGet, path+"?"+q.Encode(), nil, http.StatusOK, &page)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}
