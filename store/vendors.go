package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/vendors"
)

func vendorKey(id string) []byte                 { return Key(prefixVendor, id) }
func vendorByOwnerKey(userID string) []byte      { return Key(prefixVendorByOwner, userID) }
func vendorSlugKey(slug string) []byte           { return Key(prefixVendorSlug, slug) }
func vendorByStatusKey(status, id string) []byte { return Key(prefixVendorByStatus, status, id) }
func vendorOrderKey(vendorID, orderID string) []byte {
	return Key(prefixVendorOrder, vendorID, orderID)
}

// Vendors is the Pebble implementation of vendors.Repository.
type Vendors struct{ db *DB }

// NewVendors returns the vendor repository on db.
func NewVendors(db *DB) *Vendors { return &Vendors{db: db} }

var _ vendors.Repository = (*Vendors)(nil)

func vendorOf(r getter, id string) (vendors.Vendor, error) {
	var v vendors.Vendor
	err := getJSON(r, vendorKey(id), &v)
	if errors.Is(err, ErrNotFound) {
		return v, vendors.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("store: vendor %s: %w", id, err)
	}
	return v, nil
}

// rawID reads an index row holding an ID; "" when there is none.
func rawID(r getter, key []byte) (string, error) {
	b, err := r.Get(key)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// Vendor returns a vendor by ID.
func (s *Vendors) Vendor(ctx context.Context, id string) (vendors.Vendor, error) {
	var v vendors.Vendor
	err := s.db.View(ctx, func(r *Reader) (err error) { v, err = vendorOf(r, id); return err })
	return v, err
}

// VendorByOwner returns a user's vendor.
func (s *Vendors) VendorByOwner(ctx context.Context, userID string) (vendors.Vendor, error) {
	var v vendors.Vendor
	err := s.db.View(ctx, func(r *Reader) error {
		id, err := rawID(r, vendorByOwnerKey(userID))
		if err != nil {
			return err
		}
		if id == "" {
			return vendors.ErrNotFound
		}
		v, err = vendorOf(r, id)
		return err
	})
	return v, err
}

// ListVendors returns a page of vendors, newest first (IDs are time-ordered): a reverse scan
// of the status index, or of the vendors themselves. The cursor is the last ID, base64url.
func (s *Vendors) ListVendors(ctx context.Context, status string, page commerce.Page) (commerce.List[vendors.Vendor], error) {
	prefix, idOnly := []byte(prefixVendor), false
	if status != "" {
		prefix, idOnly = Key(prefixVendorByStatus, status, ""), true
	}
	list := commerce.List[vendors.Vendor]{Items: []vendors.Vendor{}}
	err := s.db.View(ctx, func(r *Reader) error {
		next, err := reversePage(ctx, r, prefix, page, func(k, v []byte) (string, error) {
			id := string(k[len(prefix):])
			var x vendors.Vendor
			var err error
			if idOnly {
				x, err = vendorOf(r, id)
			} else if err = decode(v, &x); err != nil {
				err = fmt.Errorf("store: vendor %s: %w", id, err)
			}
			if err != nil {
				return "", err
			}
			list.Items = append(list.Items, x)
			return id, nil
		})
		list.NextCursor = next
		return err
	})
	if err != nil {
		return commerce.List[vendors.Vendor]{}, err
	}
	return list, nil
}

// VendorOrders returns a page of the vendor's orders, newest first, each with the vendor's
// lines only.
func (s *Vendors) VendorOrders(ctx context.Context, vendorID string, page commerce.Page) (commerce.List[vendors.Order], error) {
	prefix := Key(prefixVendorOrder, vendorID, "")
	list := commerce.List[vendors.Order]{Items: []vendors.Order{}}
	err := s.db.View(ctx, func(r *Reader) error {
		next, err := reversePage(ctx, r, prefix, page, func(k, _ []byte) (string, error) {
			id := string(k[len(prefix):])
			o, err := orderOf(r, id)
			if err != nil {
				return "", err
			}
			vo, err := vendorOrderOf(o, vendorID)
			if err != nil {
				return "", err
			}
			list.Items = append(list.Items, vo)
			return id, nil
		})
		list.NextCursor = next
		return err
	})
	if err != nil {
		return commerce.List[vendors.Order]{}, err
	}
	return list, nil
}

// vendorOrderOf is o as vendorID sees it: number, status, date and its own lines.
func vendorOrderOf(o orders.Order, vendorID string) (vendors.Order, error) {
	vo := vendors.Order{OrderID: o.ID, Number: o.Number, Status: o.Status, CreatedAt: o.CreatedAt,
		Lines: []vendors.OrderLine{}, Subtotal: commerce.Money{Currency: o.Subtotal.Currency}}
	for _, l := range o.Lines {
		if l.VendorID != vendorID {
			continue
		}
		vo.Lines = append(vo.Lines, vendors.OrderLine{ProductID: l.ProductID, VariantID: l.VariantID, SKU: l.SKU, Title: l.Title,
			Options: l.Options, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
		var err error
		if vo.Subtotal, err = vo.Subtotal.Add(l.LineTotal); err != nil {
			return vendors.Order{}, err
		}
	}
	return vo, nil
}

// putVendorOrderRows writes the (vendor, order) rows of a new order: one per vendor that
// has a line in it. Checkout calls it in the order's batch.
func putVendorOrderRows(tx *Tx, o orders.Order) {
	seen := map[string]bool{}
	for _, l := range o.Lines {
		if l.VendorID != "" && !seen[l.VendorID] {
			seen[l.VendorID] = true
			tx.Set(vendorOrderKey(l.VendorID, o.ID), nil)
		}
	}
}

// errVendorCursor is returned for a cursor this store did not make.
var errVendorCursor = vendors.ErrInvalidCursor

// reversePage scans the rows under prefix newest first (the key's last part is a
// time-ordered ID), after the page's cursor, calling fn for at most page.Limit rows; fn
// returns the row's ID. It returns the next page's cursor ("" on the last page).
func reversePage(ctx context.Context, r *Reader, prefix []byte, page commerce.Page, fn func(k, v []byte) (string, error)) (string, error) {
	page = page.Normalize()
	upper := PrefixEnd(prefix)
	if page.Cursor != "" {
		last, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		if err != nil || !commerce.ValidID(string(last)) {
			return "", errVendorCursor
		}
		upper = append(append([]byte(nil), prefix...), last...) // exclusive: strictly older
	}
	n, more, lastID := 0, false, ""
	err := r.ScanReverse(prefix, upper, func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n == page.Limit {
			more = true
			return ErrStop
		}
		id, err := fn(k, v)
		if err != nil {
			return err
		}
		n, lastID = n+1, id
		return nil
	})
	if err != nil || !more {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString([]byte(lastID)), nil
}

// Update runs fn as one atomic write.
func (s *Vendors) Update(ctx context.Context, fn func(tx vendors.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(vendorTx{tx}) })
}

type vendorTx struct{ tx *Tx }

func (t vendorTx) Vendor(id string) (vendors.Vendor, error) { return vendorOf(t.tx, id) }
func (t vendorTx) VendorIDByOwner(userID string) (string, error) {
	return rawID(t.tx, vendorByOwnerKey(userID))
}
func (t vendorTx) VendorIDBySlug(slug string) (string, error) {
	return rawID(t.tx, vendorSlugKey(slug))
}
func (t vendorTx) Emit(ev commerce.Event) { t.tx.Emit(ev) }

// SaveVendor writes v with its owner, slug and status rows, moving the rows prev had.
func (t vendorTx) SaveVendor(v vendors.Vendor, prev *vendors.Vendor) error {
	if !commerce.ValidID(v.ID) || v.OwnerUserID == "" || v.Slug == "" || !vendors.ValidStatus(v.Status) {
		return commerce.Errorf(commerce.EInternal, "vendor_incomplete", "store: vendor %q needs an ID, owner, slug and status", v.ID)
	}
	if err := putJSON(t.tx, vendorKey(v.ID), v); err != nil {
		return err
	}
	if prev != nil {
		if prev.OwnerUserID != v.OwnerUserID {
			t.tx.Delete(vendorByOwnerKey(prev.OwnerUserID))
		}
		if prev.Slug != v.Slug {
			t.tx.Delete(vendorSlugKey(prev.Slug))
		}
		if prev.Status != v.Status {
			t.tx.Delete(vendorByStatusKey(prev.Status, v.ID))
		}
	}
	t.tx.Set(vendorByOwnerKey(v.OwnerUserID), []byte(v.ID))
	t.tx.Set(vendorSlugKey(v.Slug), []byte(v.ID))
	t.tx.Set(vendorByStatusKey(v.Status, v.ID), nil)
	return nil
}

// MakeOwnerVendor gives a CUSTOMER the VENDOR role (with auth.user_updated, an audited
// security event) in the vendor's batch; other roles are kept.
func (t vendorTx) MakeOwnerVendor(userID string) error {
	var u auth.User
	if err := readUser(t.tx, userID, &u); err != nil {
		return err
	}
	if u.Disabled || u.Deleted {
		return commerce.Errorf(commerce.EForbidden, "account_disabled", "store: a disabled account cannot become a vendor")
	}
	if u.Role != auth.RoleCustomer {
		return nil
	}
	_, err := updateUser(t.tx, userID, func(u *auth.User) error {
		u.Role = auth.RoleVendor
		return nil
	})
	return err
}
