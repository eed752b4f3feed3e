package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// client is the JSON client the set-up and the checks use (the timed cases go through
// the lean engine in engine.go instead).
type client struct {
	base  string // http://host:port
	token string // bearer token; empty for an anonymous shopper
	http  *http.Client
}

func newClient(base string, conns int) *client {
	return &client{base: base, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
	}}
}

// apiError is a response with an unexpected status.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// do sends in (when not nil) as JSON and decodes the answer into out (when not nil). A status
// other than want is an *apiError.
func (c *client) do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		if len(data) > 512 {
			data = data[:512]
		}
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Body: string(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// Shapes of the API the load run reads; only the fields it needs.
type (
	money struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	}
	variant struct {
		ID      string            `json:"id"`
		SKU     string            `json:"sku"`
		Price   money             `json:"price"`
		Stock   int64             `json:"stock"`
		Options map[string]string `json:"options,omitempty"`
	}
	product struct {
		ID         string    `json:"id"`
		Slug       string    `json:"slug"`
		Title      string    `json:"title"`
		CategoryID string    `json:"category_id"`
		Variants   []variant `json:"variants"`
	}
	productPage struct {
		Items      []product `json:"items"`
		NextCursor string    `json:"next_cursor"`
	}
	category struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	orderLine struct {
		VariantID string `json:"variant_id"`
		Quantity  int64  `json:"quantity"`
	}
	order struct {
		ID     string      `json:"id"`
		Number string      `json:"number"`
		Status string      `json:"status"`
		Lines  []orderLine `json:"lines"`
	}
	idOnly struct {
		ID string `json:"id"`
	}
)

// login signs in and returns a client that sends the account's access token. The receiver
// stays anonymous: shoppers' requests (guest carts, public reads) carry no token.
func (c *client) login(ctx context.Context, email, password string) (*client, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("log in as %s: %w", email, err)
	}
	if out.AccessToken == "" {
		return nil, fmt.Errorf("log in as %s: no access_token in the answer", email)
	}
	signed := *c
	signed.token = out.AccessToken
	return &signed, nil
}

// products pages through the catalog (what the client may see: shoppers see active products).
func (c *client) products(ctx context.Context) ([]product, error) {
	var all []product
	cursor := ""
	for {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page productPage
		if err := c.do(ctx, http.MethodGet, "/api/v1/products?"+q.Encode(), nil, &page, http.StatusOK); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" || len(page.Items) == 0 {
			return all, nil
		}
		cursor = page.NextCursor
	}
}

// categories lists the categories; the answer is {"items":[...]} or a bare list.
func (c *client) categories(ctx context.Context) ([]category, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/categories", nil, &raw, http.StatusOK); err != nil {
		return nil, err
	}
	var list []category
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var page struct {
		Items []category `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("GET /api/v1/categories: decode: %w", err)
	}
	return page.Items, nil
}

// product reads one product with its variants' current stock.
func (c *client) product(ctx context.Context, id string) (product, error) {
	var p product
	err := c.do(ctx, http.MethodGet, "/api/v1/products/"+url.PathEscape(id), nil, &p, http.StatusOK)
	return p, err
}

// newCart creates a guest cart and returns its id.
func (c *client) newCart(ctx context.Context) (string, error) {
	var out idOnly
	if err := c.do(ctx, http.MethodPost, "/api/v1/carts", map[string]any{}, &out, http.StatusCreated); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("POST /api/v1/carts: no id in the answer")
	}
	return out.ID, nil
}

// addItem puts quantity units of variantID into the cart.
func (c *client) addItem(ctx context.Context, cartID, variantID string, quantity int64) error {
	body := map[string]any{"variant_id": variantID, "quantity": quantity}
	err := c.do(ctx, http.MethodPost, "/api/v1/carts/"+url.PathEscape(cartID)+"/items", body, nil, http.StatusOK)
	var ae *apiError
	if asAPIError(err, &ae) && ae.Status == http.StatusCreated {
		return nil // either 200 or 201 adds the item
	}
	return err
}

func asAPIError(err error, target **apiError) bool {
	ae, ok := err.(*apiError)
	if ok {
		*target = ae
	}
	return ok
}

// checkoutBody is the order request the checkout case and its set-up send for cartID.
func checkoutBody(cartID string, n uint64) []byte {
	b, _ := json.Marshal(map[string]any{
		"cart_id":        cartID,
		"email":          fmt.Sprintf("shopper-%d@load.example", n),
		"payment_method": "cash",
		"shipping_address": map[string]string{
			"name": "Load Shopper", "line1": "1 Bench Street", "city": "Tashkent", "country": "UZ", "postal_code": "100000",
		},
	})
	return b
}
