package http

import (
	"context"
	stdhttp "net/http"

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

type addressListResponse struct {
	Items      []customers.Address `json:"items"`       // oldest first; at most 50
	NextCursor string              `json:"next_cursor"` // always empty: the whole book is one page
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
	Format string `json:"format"` // "ultramarket.customer-export.v1"
	customers.Export
	Orders []orderResponse `json:"orders"` // newest first
	Carts  []cart.Cart     `json:"carts"`
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
		return c.JSON(status, a)
	}
	const owner = " Only the owner's addresses exist for a caller: another account's address id answers 404."
	addrErrors := []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusNotFound}

	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/addresses", Tag: "customers", Summary: "My address book",
		Description: "Every address of the signed-in account, oldest first; exactly one has default true while there are any.",
		Perm:        auth.PermAccountManage, Response: addressListResponse{}, Errors: addrErrors[:2],
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			book, err := cs.Addresses(c.Request().Context(), me(c))
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, addressListResponse{Items: book})
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/profile/addresses", Tag: "customers", Summary: "Add an address",
		Description: "The first address becomes the default; \"default\": true makes a later one the default instead of the " +
			"old one. At most 50 addresses (409 address_book_full). Each bad field is named in a 422.",
		Perm: auth.PermAccountManage, Request: newAddressRequest{}, Response: customers.Address{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			var req newAddressRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			in := req.input()
			in.Default = req.Default
			a, err := cs.AddAddress(c.Request().Context(), me(c), in)
			return address(c, stdhttp.StatusCreated, a, err)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "One of my addresses",
		Description: "ETag is the address's version, for If-Match on PUT." + owner,
		Perm:        auth.PermAccountManage, Response: customers.Address{}, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			a, err := cs.Address(c.Request().Context(), me(c), c.Param("id"))
			return address(c, stdhttp.StatusOK, a, err)
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "Replace one of my addresses",
		Description: "Every field is replaced; the default flag stays. With If-Match, a stale version answers 412 version_mismatch." + owner,
		Perm:        auth.PermAccountManage, Request: addressRequest{}, Response: customers.Address{},
		Errors: append(addrErrors, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity),
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			var req addressRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			in := req.input()
			in.IfVersion = version
			a, err := cs.UpdateAddress(c.Request().Context(), me(c), c.Param("id"), in)
			return address(c, stdhttp.StatusOK, a, err)
		}})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/auth/profile/addresses/:id", Tag: "customers", Summary: "Delete one of my addresses",
		Description: "Deleting the default makes the newest remaining address the default." + owner,
		Perm:        auth.PermAccountManage, Status: stdhttp.StatusNoContent, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			if err := cs.RemoveAddress(c.Request().Context(), me(c), c.Param("id")); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})
	s.handle(Route{Method: "POST", Path: "/api/v1/auth/profile/addresses/:id/default", Tag: "customers", Summary: "Make one of my addresses the default",
		Description: "The old default stops being it in the same write. Answers the new default." + owner,
		Perm:        auth.PermAccountManage, Response: customers.Address{}, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			a, err := cs.SetDefaultAddress(c.Request().Context(), me(c), c.Param("id"))
			return address(c, stdhttp.StatusOK, a, err)
		}})

	prefs := func(c echo.Context, p customers.Preferences, version int64, err error) error {
		if err != nil {
			return err
		}
		noStore(c)
		setETag(c, version)
		return c.JSON(stdhttp.StatusOK, p)
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/preferences", Tag: "customers", Summary: "My preferences",
		Description: "Language, currency and notification channels. ETag is the account's version (the profile's), for If-Match on PUT.",
		Perm:        auth.PermAccountManage, Response: customers.Preferences{}, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			p, v, err := cs.Preferences(c.Request().Context(), me(c))
			return prefs(c, p, v, err)
		}})
	s.handle(Route{Method: "PUT", Path: "/api/v1/auth/profile/preferences", Tag: "customers", Summary: "Replace my preferences",
		Description: "Every field is replaced; an omitted one is cleared. language is one of en, en-US, en-GB, ru, ru-RU, uz, uz-Latn, " +
			"uz-Cyrl, uz-UZ, kk, tr, de, fr, es (any case); currency an ISO 4217 code in upper case; channels each of email, sms, push " +
			"at most once. With If-Match, a stale version answers 412 version_mismatch.",
		Perm: auth.PermAccountManage, Request: preferencesRequest{}, Response: customers.Preferences{},
		Errors: append(addrErrors, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity),
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			version, err := ifMatch(c)
			if err != nil {
				return err
			}
			var req preferencesRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			p, v, err := cs.SetPreferences(c.Request().Context(), me(c),
				customers.Preferences{Language: req.Language, Currency: req.Currency, Channels: req.Channels}, version)
			return prefs(c, p, v, err)
		}})

	s.handle(Route{Method: "GET", Path: "/api/v1/auth/profile/export", Tag: "customers", Summary: "Download all my data",
		Description: "A JSON attachment (format ultramarket.customer-export.v1): the account (without password hash, second-factor " +
			"secret or recovery codes), preferences, addresses, sessions (ids and times, never tokens), every order and every cart of the account.",
		Perm: auth.PermAccountManage, Response: exportResponse{}, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			if s.deps.Orders == nil || s.deps.Customers.Carts == nil {
				return unavailable("export")
			}
			ctx, uid := c.Request().Context(), me(c)
			ex, err := cs.Export(ctx, uid)
			if err != nil {
				return err
			}
			out := exportResponse{Format: exportFormat, Export: ex, Orders: []orderResponse{}}
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
			if out.Carts, err = s.deps.Customers.Carts(ctx, uid); err != nil {
				return err
			}
			noStore(c)
			c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="ultramarket-export-`+uid+`.json"`)
			return c.JSON(stdhttp.StatusOK, out)
		}})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/auth/profile", Tag: "customers", Summary: "Delete my account",
		Description: "Needs the password again (a wrong one answers 401 wrong_password and is audited). In one atomic write the " +
			"account is anonymized (e-mail deleted-<id>@deleted.invalid, name, phone, preferences and second factor cleared, password " +
			"unusable), its addresses are deleted and every session is revoked (access tokens stop working at once); its orders stay " +
			"for accounting with their numbers, lines and totals, but their e-mail and the shipping address's name, lines and phone " +
			"are replaced. The e-mail may register again. Staff accounts answer 409 staff_account. Emits auth.account_deleted.",
		Perm: auth.PermAccountManage, Request: deleteAccountRequest{}, Status: stdhttp.StatusNoContent,
		Errors: []int{stdhttp.StatusUnauthorized, stdhttp.StatusForbidden, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			var req deleteAccountRequest
			if err := bind(c, &req); err != nil {
				return err
			}
			if _, err := cs.DeleteAccount(c.Request().Context(), me(c), req.Password); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		}})

	s.handle(Route{Method: "GET", Path: "/api/v1/admin/customers/:id", Tag: "customers", Summary: "A customer's account and addresses (staff)",
		Description: "For customers:read (ADMIN and SUPER_ADMIN). Never a password hash, second-factor secret or token. A deleted account is 404.",
		Perm:        auth.PermCustomersRead, Response: customers.Customer{}, Errors: addrErrors,
		Handler: func(c echo.Context) error {
			cs, err := svc()
			if err != nil {
				return err
			}
			cu, err := cs.Customer(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			noStore(c)
			return c.JSON(stdhttp.StatusOK, cu)
		}})
}
