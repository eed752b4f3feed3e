package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

var _ auth.UserAdmin = (*Users)(nil)

// FindUsers returns one page of the users that match f, in ID (creation) order, with the
// cursor format of ListUsers. It reads users in order and skips those that do not match, so a
// rare filter reads many records: an administrator's query, not a storefront one.
func (s *Users) FindUsers(ctx context.Context, f auth.UserFilter, page commerce.Page) (commerce.List[auth.User], error) {
	page = page.Normalize()
	lower := []byte(prefixUser)
	if page.Cursor != "" {
		last, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		if err != nil || len(last) == 0 || strings.Contains(string(last), "/") {
			return commerce.List[auth.User]{}, errUserCursor
		}
		lower = append(userKey(string(last)), 0) // just after the last ID
	}
	list := commerce.List[auth.User]{Items: []auth.User{}}
	more := false
	err := s.db.View(ctx, func(r *Reader) error {
		return r.Scan(lower, PrefixEnd([]byte(prefixUser)), func(k, v []byte) error {
			var u auth.User
			if err := decode(v, &u); err != nil {
				return fmt.Errorf("store: user %s: %w", k[len(prefixUser):], err)
			}
			if !f.Match(u) {
				return nil
			}
			if len(list.Items) == page.Limit {
				more = true
				return ErrStop
			}
			list.Items = append(list.Items, u)
			return nil
		})
	})
	if err != nil {
		return commerce.List[auth.User]{}, err
	}
	if more {
		list.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(list.Items[len(list.Items)-1].ID))
	}
	return list, nil
}
