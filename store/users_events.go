package store

import (
	"context"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

var _ auth.UserEvents = (*Users)(nil)

// UpdateUserEmit is UpdateUser that also emits the events fn returns, after auth.user_updated
// and in the same batch (a failed sign-in, a 2FA change or a role change is a security event
// for the audit log).
func (s *Users) UpdateUserEmit(ctx context.Context, id string, fn func(*auth.User) ([]commerce.Event, error)) (auth.User, error) {
	var out auth.User
	err := s.db.Update(ctx, func(tx *Tx) error {
		var evs []commerce.Event
		u, err := updateUser(tx, id, func(u *auth.User) (err error) {
			evs, err = fn(u)
			return err
		})
		if err != nil {
			return err
		}
		for _, ev := range evs {
			tx.Emit(ev)
		}
		out = u
		return nil
	})
	if err != nil {
		return auth.User{}, err
	}
	return out, nil
}

// EmitEvents writes events that change no stored record (a failed sign-in for an e-mail no
// account has) to the outbox in one batch.
func (s *Users) EmitEvents(ctx context.Context, evs ...commerce.Event) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		for _, ev := range evs {
			tx.Emit(ev)
		}
		return nil
	})
}
