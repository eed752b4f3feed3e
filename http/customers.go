package http

import (
	"context"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/customers"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// CustomerDeps are what the customer routes use: the customers service and, for the export,
// a reader of the account's carts (carts have no per-user list of their own).
type CustomerDeps struct {
	Service *customers.Service
	Carts   func(ctx context.Context, userID string) ([]cart.Cart, error)
}

// addressRequest is the body of PUT /auth/profile/addresses/:id: every field is replaced.
// Whether the address is the default changes only through POST .../default.
type addressRequest struct {
	Label      string `json:"label,omitempty"`   // at most 50 bytes, e.g. "Home"
	Name       string `json:"name"`              // required, at most 200 bytes
	Company    string `json:"company,omitempty"` // at most 200 bytes
	Line1      string `json:"line1"`             // required, at most 200 bytes
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"` // required, at most 100 bytes
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country"`         // ISO 3166-1 alpha-2, any case
	Phone      string `json:"phone,omitempty"` // digits, spaces and + - ( ) .
}

// newAddressRequest is the body of POST /auth/profile/addresses.
type newAddressRequest struct {
	addressRequest
	Default bool `json:"default,omitempty"` // make it the default (the first address always is)
}

func (r addressRequest) input() customers.AddressInput {
	return customers.AddressInput{Label: r.Label, Company: r.Company, Address: commerce.Address{Name: r.Name, Line1: r.Line1,
		Line2: r.Line2, City: r.City, Region: r.Region, PostalCode: r.PostalCode, Country: r.Country, Phone: r.Phone}}
}

// addressResponse is an entry of an address book. ETag is its version.
type addressResponse struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Label      string    `json:"label,omitempty"`
	Name       string    `json:"name"`
	Company    string    `json:"company,omitempty"`
	Line1      string    `json:"line1"`
	Line2      string    `json:"line2,omitempty"`
	City       string    `json:"city"`
	Region     string    `json:"region,omitempty"`
	PostalCode string    `json:"postal_code,omitempty"`
	Country    string    `json:"country"` // ISO 3166-1 alpha-2, upper case
	Phone      string    `json:"phone,omitempty"`
	Default    bool      `json:"default"` // exactly one address of a non-empty book is the default
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func addressOut(a customers.Address) addressResponse {
	return addressResponse{ID: a.ID, UserID: a.UserID, Label: a.Label, Name: a.Name, Company: a.Company, Line1: a.Line1,
		Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone,
		Default: a.Default, Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func addressesOut(book []customers.Address) []addressResponse {
	out := make([]addressResponse, len(book))
	for i, a := range book {
		out[i] = addressOut(a)
	}
	return out
}

type addressListResponse struct {
	Items      []addressResponse `json:"items"`       // oldest first; at most 50
	NextCursor string            `json:"next_cursor"` // always empty: the whole book is one page
}

// preferencesResponse is a customer's preferences; ETag is the account's version.
type preferencesResponse struct {
	Language string   `json:"language,omitempty"`
	Currency string   `json:"currency,omitempty"`
	Channels []string `json:"channels"`
}

func preferencesOut(p customers.Preferences) preferencesResponse {
	return preferencesResponse{Language: p.Language, Currency: p.Currency, Channels: p.Channels}
}

// customerAccountResponse is an account as staff and the export show it: never a password
// hash, a second factor's secret or recovery codes.
type customerAccountResponse struct {
	ID            string              `json:"id"`
	Email         string              `json:"email"`
	Name          string              `json:"name"`
	Phone         string              `json:"phone,omitempty"`
	Role          string              `json:"role"`
	EmailVerified bool                `json:"email_verified"`
	TwoFactor     bool                `json:"two_factor_enabled"`
	Disabled      bool                `json:"disabled"`
	Preferences   preferencesResponse `json:"preferences"`
	CreatedAt     time.Time           `json:"created_at"`
	UpdatedAt     time.Time           `json:"updated_at"`
	Version       int64               `json:"version"`
}

func customerAccountOut(a customers.Account) customerAccountResponse {
	return customerAccountResponse{ID: a.ID, Email: a.Email, Name: a.Name, Phone: a.Phone, Role: a.Role, EmailVerified: a.EmailVerified,
		TwoFactor: a.TwoFactor, Disabled: a.Disabled, Preferences: preferencesOut(a.Preferences), CreatedAt: a.CreatedAt,
		UpdatedAt: a.UpdatedAt, Version: a.Version}
}

// customerResponse is what staff read of a customer.
type customerResponse struct {
	Account   customerAccountResponse `json:"account"`
	Addresses []addressResponse       `json:"addresses"`
}

// exportSession is a session in the export: IDs and times, never a token.
type exportSession struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Revoked      bool      `json:"revoked"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// preferencesRequest is the body of PUT /auth/profile/preferences: every field is replaced.
type preferencesRequest struct {
	Language string   `json:"language,omitempty"` // en, en-US, en-GB, ru, ru-RU, uz, uz-Latn, uz-Cyrl, uz-UZ, kk, tr, de, fr, es
	Currency string   `json:"currency,omitempty"` // ISO 4217, three upper-case letters
	Channels []string `json:"channels,omitempty"` // each of "email", "sms", "push" at most once
}

// deleteAccountRequest is the body of DELETE /auth/profile: the password, again.
type deleteAccountRequest struct {
	Password string `json:"password"`
}

// exportFormat names the shape of the export, so a reader can tell versions apart.
const exportFormat = "ultramarket.customer-export.v1"

// exportResponse is everything the shop keeps about the signed-in account. It never holds a
// password hash, a second factor's secret, recovery codes or any token.
type exportResponse struct {
	Format      string                  `json:"format"` // "ultramarket.customer-export.v1"
	ExportedAt  time.Time               `json:"exported_at"`
	Account     customerAccountResponse `json:"account"`
	Preferences preferencesResponse     `json:"preferences"`
	Addresses   []addressResponse       `json:"addresses"` // oldest first
	Sessions    []exportSession         `json:"sessions"`  // oldest first, revoked ones included until purged
	Orders      []orderResponse         `json:"orders"`    // newest first
	Carts       []exportCart            `json:"carts"`
}

// exportCart is a cart of the account as stored (lines without prices: prices are read from
// the catalog when a cart is shown).
type exportCart struct {
	ID        string           `json:"id"`
	Status    string           `json:"status"`
	OrderID   string           `json:"order_id,omitempty"`
	Currency  string           `json:"currency,omitempty"`
	Lines     []exportCartLine `json:"lines"`
	Version   int64            `json:"version"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	ExpiresAt time.Time        `json:"expires_at"`
}

type exportCartLine struct {
	ID        string            `json:"id"`
	VariantID string            `json:"variant_id"`
	ProductID string            `json:"product_id"`
	SKU       string            `json:"sku"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	Quantity  int64             `json:"quantity"`
	AddedAt   time.Time         `json:"added_at"`
}

func exportCartOut(c cart.Cart) exportCart {
	out := exportCart{ID: c.ID, Status: c.Status, OrderID: c.OrderID, Currency: c.Currency, Lines: make([]exportCartLine, len(c.Lines)),
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ExpiresAt: c.ExpiresAt}
	for i, l := range c.Lines {
		out.Lines[i] = exportCartLine{ID: l.ID, VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU, Title: l.Title,
			Options: l.Options, Quantity: l.Quantity, AddedAt: l.AddedAt}
	}
	return out
}

func (s *Server) customerRoutes() {
	svc := func() (*customers.Service, error) {
		if s.deps.Customers.Service == nil {
			return nil, unavailable("customers")
		}
		return s.deps.Customers.Service, nil
	}
	// me is the signed-in user: the guard has made sure there is one.
	me := func(c echo.Context) string { p, _ := principalOf(c); return p.UserID }
	address := func(c echo.Context, status int, a customers.Address, err error) error {
		if err != nil {
			return err
		}
		noStore(c)
		setETag(c, a.Version)
		return c.JSON(status, addressOut(a))
	}
	const owner = " Only the owner's addresses exist for a caller: another account's address id answers 404."
	addrErrors := []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusNotFound}

	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/addresses", Tag: "customers", Summary: "My address book",
		Description: "Every address of the signed-in account, oldest first; exactly one has default true while there are any.",
		Perm:        auth.PermAccountManage, Response: addressListResponse{}, Errors: addrErrors[:2],
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			book, err := cs.Addresses(c.Request().Context(), me(c))
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, addressListResponse{Items: addressesOut(book)})
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/profile/addresses", Tag: "customers", Summary: "Add an address",
		Description: "The first address becomes the default; \"default\": true makes a later one the default instead of the " +
			"old one. At most 50 addresses (409 address_book_full). Each bad field is named in a 422.",
		Perm: auth.PermAccountManage, Request: newAddressRequest{}, Response: addressResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, cs *customers.Service, req newAddressRequest) error {
			in := req.input()
			in.Default = req.Default
			a, err := cs.AddAddress(c.Request().Context(), me(c), in)
			return address(c, stdhttp.StatusCreated, a, err)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "One of my addresses",
		Description: "ETag is the address's version, for If-Match on PUT." + owner,
		Perm:        auth.PermAccountManage, Response: addressResponse{}, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			a, err := cs.Address(c.Request().Context(), me(c), c.Param("id"))
			return address(c, stdhttp.StatusOK, a, err)
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "Replace one of my addresses",
		Description: "Every field is replaced; the default flag stays. With If-Match, a stale version answers 412 version_mismatch." + owner,
		Perm:        auth.PermAccountManage, Request: addressRequest{}, Response: addressResponse{},
		Errors: append(addrErrors, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity),
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			var req addressRequest
			version, err := ifMatchBody(c, &req)
			if err != nil {
				return err
			}
			in := req.input()
			in.IfVersion = version
			a, err := cs.UpdateAddress(c.Request().Context(), me(c), c.Param("id"), in)
			return address(c, stdhttp.StatusOK, a, err)
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "Delete one of my addresses",
		Description: "Deleting the default makes the newest remaining address the default." + owner,
		Perm:        auth.PermAccountManage, Status: stdhttp.StatusNoContent, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			if err := cs.RemoveAddress(c.Request().Context(), me(c), c.Param("id")); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/profile/addresses/:id/default", Tag: "customers", Summary: "Make one of my addresses the default",
		Description: "The old default stops being it in the same write. Answers the new default." + owner,
		Perm:        auth.PermAccountManage, Response: addressResponse{}, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			a, err := cs.SetDefaultAddress(c.Request().Context(), me(c), c.Param("id"))
			return address(c, stdhttp.StatusOK, a, err)
		})})

	prefs := func(c echo.Context, p customers.Preferences, version int64, err error) error {
		if err != nil {
			return err
		}
		noStore(c)
		setETag(c, version)
		return c.JSON(stdhttp.StatusOK, preferencesOut(p))
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/preferences", Tag: "customers", Summary: "My preferences",
		Description: "Language, currency and notification channels. ETag is the account's version (the profile's), for If-Match on PUT.",
		Perm:        auth.PermAccountManage, Response: preferencesResponse{}, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			p, v, err := cs.Preferences(c.Request().Context(), me(c))
			return prefs(c, p, v, err)
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/auth/profile/preferences", Tag: "customers", Summary: "Replace my preferences",
		Description: "Every field is replaced; an omitted one is cleared. language is one of en, en-US, en-GB, ru, ru-RU, uz, uz-Latn, " +
			"uz-Cyrl, uz-UZ, kk, tr, de, fr, es (any case); currency an ISO 4217 code in upper case; channels each of email, sms, push " +
			"at most once. With If-Match, a stale version answers 412 version_mismatch.",
		Perm: auth.PermAccountManage, Request: preferencesRequest{}, Response: preferencesResponse{},
		Errors: append(addrErrors, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity),
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			var req preferencesRequest
			version, err := ifMatchBody(c, &req)
			if err != nil {
				return err
			}
			p, v, err := cs.SetPreferences(c.Request().Context(), me(c),
				customers.Preferences{Language: req.Language, Currency: req.Currency, Channels: req.Channels}, version)
			return prefs(c, p, v, err)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/export", Tag: "customers", Summary: "Download all my data",
		Description: "A JSON attachment (format ultramarket.customer-export.v1): the account (without password hash, second-factor " +
			"secret or recovery codes), preferences, addresses, sessions (ids and times, never tokens), every order and every cart of the account.",
		Perm: auth.PermAccountManage, Response: exportResponse{}, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			if s.deps.Orders == nil || s.deps.Customers.Carts == nil {
				return unavailable("export")
			}
			ctx, uid := c.Request().Context(), me(c)
			ex, err := cs.Export(ctx, uid)
			if err != nil {
				return err
			}
			out := exportResponse{Format: exportFormat, ExportedAt: ex.ExportedAt, Account: customerAccountOut(ex.Account),
				Preferences: preferencesOut(ex.Preferences), Addresses: addressesOut(ex.Addresses),
				Sessions: make([]exportSession, len(ex.Sessions)), Orders: []orderResponse{}}
			for i, x := range ex.Sessions {
				out.Sessions[i] = exportSession{ID: x.ID, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt, ExpiresAt: x.ExpiresAt,
					Revoked: x.Revoked, RevokedAt: x.RevokedAt, RevokeReason: x.RevokeReason}
			}
			page := commerce.Page{Limit: commerce.MaxPageLimit}
			for {
				l, err := s.deps.Orders.List(ctx, orders.Viewer{UserID: uid}, "", page)
				if err != nil {
					return err
				}
				for _, o := range l.Items {
					out.Orders = append(out.Orders, orderOut(o))
				}
				if l.NextCursor == "" {
					break
				}
				page.Cursor = l.NextCursor
			}
			carts, err := s.deps.Customers.Carts(ctx, uid)
			if err != nil {
				return err
			}
			out.Carts = make([]exportCart, len(carts))
			for i, x := range carts {
				out.Carts[i] = exportCartOut(x)
			}
			noStore(c)
			c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="ultramarket-export-`+uid+`.json"`)
			return c.JSON(stdhttp.StatusOK, out)
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/auth/profile", Tag: "customers", Summary: "Delete my account",
		Description: "Needs the password again (a wrong one answers 401 wrong_password and is audited). In one atomic write the " +
			"account is anonymized (e-mail deleted-<id>@deleted.invalid, name, phone, preferences and second factor cleared, password " +
			"unusable), its addresses are deleted and every session is revoked (access tokens stop working at once); its orders stay " +
			"for accounting with their numbers, lines and totals, but their e-mail and the shipping address's name, lines and phone " +
			"are replaced. The e-mail may register again. Staff accounts answer 409 staff_account. Emits auth.account_deleted.",
		Perm: auth.PermAccountManage, Request: deleteAccountRequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withBody(svc, func(c echo.Context, cs *customers.Service, req deleteAccountRequest) error {
			if _, err := cs.DeleteAccount(c.Request().Context(), me(c), req.Password); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/admin/customers/:id", Tag: "customers", Summary: "A customer's account and addresses (staff)",
		Description: "For customers:read (ADMIN and SUPER_ADMIN). Never a password hash, second-factor secret or token. A deleted account is 404.",
		Perm:        auth.PermCustomersRead, Response: customerResponse{}, Errors: addrErrors,
		Handler: withService(svc, func(c echo.Context, cs *customers.Service) error {
			cu, err := cs.Customer(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, customerResponse{Account: customerAccountOut(cu.Account), Addresses: addressesOut(cu.Addresses)})
		})})
}
