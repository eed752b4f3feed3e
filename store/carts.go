package store

import (
	"context"
	"errors"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Carts is the Pebble implementation of cart.Store.
type Carts struct{ db *DB }

// NewCarts returns the cart store on db.
func NewCarts(db *DB) *Carts { return &Carts{db: db} }

var _ cart.Store = (*Carts)(nil)

func cartKey(id string) []byte { return Key(prefixCart, id) }

// View runs fn on a snapshot.
func (s *Carts) View(ctx context.Context, fn func(cart.Reader) error) error {
	return s.db.View(ctx, func(r *Reader) error { return fn(cartReader{r}) })
}

// Update runs fn as one atomic update.
func (s *Carts) Update(ctx context.Context, fn func(cart.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(cartTx{cartReader{tx}, tx}) })
}

type cartReader struct{ r getter }

func (c cartReader) Cart(id string) (cart.Cart, error) { return cartOf(c.r, id) }

func (c cartReader) Quote(variantID string) (cart.Quote, error) {
	ref, err := variantTx(c.r, variantID)
	if errors.Is(err, catalog.ErrVariantNotFound) {
		return cart.Quote{}, cart.ErrVariantNotFound
	} else if err != nil {
		return cart.Quote{}, err
	}
	v := ref.Variant
	return cart.Quote{
		VariantID: v.ID, ProductID: ref.ProductID, SKU: v.SKU, Title: ref.ProductTitle, Options: v.Options,
		Price: v.Price, CompareAt: compareAtOf(v), Active: ref.ProductStatus == catalog.StatusActive, Stock: v.Stock,
	}, nil
}

type cartTx struct {
	cartReader
	tx *Tx
}

func (c cartTx) PutCart(v cart.Cart) error { return putCart(c.tx, v) }
func (c cartTx) Emit(ev commerce.Event)    { c.tx.Emit(ev) }

// cartOf reads a cart, or cart.ErrNotFound.
func cartOf(r getter, id string) (cart.Cart, error) {
	var c cart.Cart
	if err := getJSON(r, cartKey(id), &c); errors.Is(err, ErrNotFound) {
		return c, cart.ErrNotFound
	} else if err != nil {
		return c, err
	}
	return c, nil
}

// putCart writes a cart and its index rows: an account cart's row under its user, and its
// row in the idle index while it is an open account cart with lines not flagged abandoned
// (moved with every write, since it is keyed by UpdatedAt). Guest carts have neither, so
// writing one reads nothing first.
func putCart(tx *Tx, c cart.Cart) error {
	if c.UserID != "" {
		var old cart.Cart
		switch err := getJSON(tx, cartKey(c.ID), &old); {
		case errors.Is(err, ErrNotFound):
			tx.Set(Key(prefixCartByUser, c.UserID, c.ID), nil)
		case err != nil:
			return err
		default:
			if idles(old) {
				tx.Delete(cartIdleKey(old))
			}
			if old.UserID != c.UserID {
				tx.Set(Key(prefixCartByUser, c.UserID, c.ID), nil)
			}
		}
		if idles(c) {
			tx.Set(cartIdleKey(c), nil)
		}
	}
	return putJSON(tx, cartKey(c.ID), c)
}

// idles reports whether a cart belongs in the idle index (abandoned-cart candidates).
func idles(c cart.Cart) bool {
	return c.UserID != "" && c.Status == cart.StatusOpen && len(c.Lines) > 0 && c.AbandonedAt.IsZero()
}

func cartIdleKey(c cart.Cart) []byte {
	k := Uint64Key(prefixCartIdle, uint64(max(c.UpdatedAt.UnixNano(), 0)))
	k = append(k, '/')
	return append(k, c.ID...)
}

// compareAtOf is a variant's own compare-at price, zero when it has none.
func compareAtOf(v catalog.Variant) commerce.Money {
	if v.CompareAtPrice == nil {
		return commerce.Money{Currency: v.Price.Currency}
	}
	return *v.CompareAtPrice
}

// recoveryRow is what a recovery token's hash opens.
type recoveryRow struct {
	CartID    string    `json:"cart_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// UserCarts returns a user's carts through its index rows.
func (c cartReader) UserCarts(userID string) ([]cart.Cart, error) {
	s, ok := c.r.(scanner)
	if !ok || userID == "" {
		return nil, nil
	}
	base := Key(prefixCartByUser, userID, "")
	var ids []string
	if err := s.Scan(base, PrefixEnd(base), func(k, _ []byte) error {
		ids = append(ids, string(k[len(base):]))
		return nil
	}); err != nil {
		return nil, err
	}
	return c.carts(ids)
}

// carts reads the carts ids name, leaving out those gone since their index row was read.
func (c cartReader) carts(ids []string) ([]cart.Cart, error) {
	out := make([]cart.Cart, 0, len(ids))
	for _, id := range ids {
		v, err := cartOf(c.r, id)
		if errors.Is(err, cart.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// IdleCarts returns up to limit carts of the idle index unchanged since before, oldest first.
func (c cartReader) IdleCarts(before time.Time, limit int) ([]cart.Cart, error) {
	s, ok := c.r.(scanner)
	if !ok {
		return nil, nil
	}
	upper := Uint64Key(prefixCartIdle, uint64(max(before.UnixNano(), 0))+1)
	var ids []string
	if err := s.Scan([]byte(prefixCartIdle), upper, func(k, _ []byte) error {
		ids = append(ids, string(k[len(prefixCartIdle)+9:]))
		if len(ids) == limit {
			return ErrStop
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return c.carts(ids)
}

// Recovery returns the cart a recovery token hash opens.
func (c cartReader) Recovery(hash string) (string, time.Time, bool, error) {
	var row recoveryRow
	err := getJSON(c.r, Key(prefixCartRecovery, hash), &row)
	if errors.Is(err, ErrNotFound) {
		return "", time.Time{}, false, nil
	} else if err != nil {
		return "", time.Time{}, false, err
	}
	return row.CartID, row.ExpiresAt, true, nil
}

// PutRecovery stores a recovery token hash until expires (the idempotency purge drops it then).
func (c cartTx) PutRecovery(hash, cartID string, expires time.Time) error {
	k := Key(prefixCartRecovery, hash)
	if err := putJSON(c.tx, k, recoveryRow{CartID: cartID, ExpiresAt: expires}); err != nil {
		return err
	}
	setIdemExpiry(c.tx, k, expires)
	return nil
}

var (
	_ cart.Lifecycle  = cartTx{}
	_ cart.Recoveries = cartReader{}
)
