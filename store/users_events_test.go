package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

func TestUsersUpdateEmitAndEmitEvents(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	users := NewUsers(db)
	ann := usersTestUser("ann@example.com")
	must(t, users.CreateUser(ctx, ann))
	failed := func(id string) commerce.Event {
		ev, err := commerce.NewEvent(auth.EventLoginFailed, id, time.Now(), auth.LoginFailedData{UserID: id, Reason: auth.FailPassword, Failures: 1})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	types := func(after uint64) []string {
		evs, err := db.Outbox(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Type)
		}
		return out
	}
	errBoom := errors.New("boom")
	scenarios := []struct {
		name     string
		run      func() error
		events   []string
		failures int // ann's FailedLogins afterwards
	}{
		{"change with its events", func() error {
			_, err := users.UpdateUserEmit(ctx, ann.ID, func(u *auth.User) ([]commerce.Event, error) {
				u.FailedLogins++
				return []commerce.Event{failed(u.ID)}, nil
			})
			return err
		}, []string{auth.EventUserUpdated, auth.EventLoginFailed}, 1},
		{"a failing fn writes neither change nor events", func() error {
			_, err := users.UpdateUserEmit(ctx, ann.ID, func(u *auth.User) ([]commerce.Event, error) {
				u.FailedLogins++
				return []commerce.Event{failed(u.ID)}, errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("err %v", err)
			}
			return nil
		}, nil, 1},
		{"unknown user", func() error {
			_, err := users.UpdateUserEmit(ctx, commerce.NewID(), func(*auth.User) ([]commerce.Event, error) { return nil, nil })
			if !errors.Is(err, auth.ErrUserNotFound) {
				t.Fatalf("err %v", err)
			}
			return nil
		}, nil, 1},
		{"events alone", func() error { return users.EmitEvents(ctx, failed(""), failed("")) },
			[]string{auth.EventLoginFailed, auth.EventLoginFailed}, 1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			before := db.LastSeq()
			if err := sc.run(); err != nil {
				t.Fatal(err)
			}
			if got := types(before); !slices.Equal(got, sc.events) {
				t.Fatalf("events %v, want %v", got, sc.events)
			}
			u, err := users.User(ctx, ann.ID)
			if err != nil || u.FailedLogins != sc.failures {
				t.Fatalf("user %+v %v", u, err)
			}
		})
	}
}
