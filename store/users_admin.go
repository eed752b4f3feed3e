package store

import (
	"context"
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
	return pageRows(ctx, s.db, []byte(prefixUser), page, false, errUserCursor,
		func(last []byte) bool { return len(last) > 0 && !strings.Contains(string(last), "/") },
		func(_ *Reader, id, v []byte) (auth.User, bool, error) {
			var u auth.User
			if err := decode(v, &u); err != nil {
				return u, false, fmt.Errorf("store: user %s: %w", id, err)
			}
			return u, f.Match(u), nil
		})
}
