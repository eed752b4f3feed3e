package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
)

var usersTestTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func usersTestUser(email string) auth.User {
	return auth.User{
		ID: commerce.NewID(), Email: email, Name: "Test", Role: auth.RoleCustomer,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		CreatedAt:    usersTestTime, UpdatedAt: usersTestTime, Version: 1,
	}
}

func TestUsersCreate(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	users := NewUsers(db)
	ann := usersTestUser("Ann.Lee@example.com")
	must(t, users.CreateUser(ctx, ann))

	scenarios := []struct {
		name string
		u    auth.User
		want error
	}{
		{"same email", usersTestUser("Ann.Lee@example.com"), auth.ErrEmailTaken},
		{"email in other case", usersTestUser("ann.lee@EXAMPLE.com"), auth.ErrEmailTaken},
		{"other email", usersTestUser("bo@example.com"), nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			err := users.CreateUser(ctx, sc.u)
			if sc.want == nil && err != nil || sc.want != nil && !errors.Is(err, sc.want) {
				t.Fatalf("err %v, want %v", err, sc.want)
			}
			if sc.want != nil && commerce.KindOf(err) != commerce.EConflict {
				t.Fatalf("kind %s", commerce.KindOf(err))
			}
		})
	}
	dupID := usersTestUser("cy@example.com")
	dupID.ID = ann.ID
	if err := users.CreateUser(ctx, dupID); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("duplicate ID: %v", err)
	}

	for _, email := range []string{"Ann.Lee@example.com", "ANN.LEE@EXAMPLE.COM"} {
		got, err := users.UserByEmail(ctx, email)
		if err != nil || !reflect.DeepEqual(got, ann) {
			t.Fatalf("by email %q: %+v %v", email, got, err)
		}
	}
	if got, err := users.User(ctx, ann.ID); err != nil || !reflect.DeepEqual(got, ann) {
		t.Fatalf("by ID: %+v %v", got, err)
	}
	if _, err := users.User(ctx, commerce.NewID()); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("missing ID: %v", err)
	}
	if _, err := users.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("missing email: %v", err)
	}

	// Exactly one created event per stored user, without the hash.
	evs, err := db.Outbox(ctx, 0, 100)
	if err != nil || len(evs) != 2 {
		t.Fatalf("outbox: %d %v", len(evs), err)
	}
	ev := evs[0]
	if ev.Type != auth.EventUserCreated || ev.Aggregate != ann.ID || strings.Contains(string(ev.Data), "argon2") {
		t.Fatalf("event %+v data %s", ev, ev.Data)
	}
	var data auth.UserCreatedData
	if err := json.Unmarshal(ev.Data, &data); err != nil || data != (auth.UserCreatedData{ID: ann.ID, Email: ann.Email, Role: ann.Role}) {
		t.Fatalf("event data %s: %v", ev.Data, err)
	}
}

// TestUsersCreateSameEmailConcurrently races 20 creations of one address (in varying case):
// the serialized writer lets exactly one win.
func TestUsersCreateSameEmailConcurrently(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	users := NewUsers(db)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@example.com"
			}
			errs[i] = users.CreateUser(ctx, usersTestUser(email))
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, auth.ErrEmailTaken):
			t.Errorf("creation %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creations succeeded, want 1", won)
	}
	list, err := users.ListUsers(ctx, commerce.Page{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("stored %d users: %v", len(list.Items), err)
	}
	if n, _ := db.OutboxBacklog(ctx); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

func TestUsersUpdate(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	users := NewUsers(db)
	ann, bo := usersTestUser("ann@example.com"), usersTestUser("bo@example.com")
	must(t, users.CreateUser(ctx, ann))
	must(t, users.CreateUser(ctx, bo))
	errBoom := errors.New("boom")
	later := usersTestTime.Add(time.Hour)

	scenarios := []struct {
		name    string
		fn      func(*auth.User) error
		want    error         // matched with errors.Is; nil means success
		kind    commerce.Kind // when set, the error's kind instead
		email   string        // the e-mail stored afterwards
		version int64
	}{
		{"disable", func(u *auth.User) error { u.Disabled = true; u.UpdatedAt = later; return nil }, nil, "", "ann@example.com", 2},
		{"change case of email keeps the index row", func(u *auth.User) error { u.Email = "Ann@Example.com"; return nil }, nil, "", "Ann@Example.com", 3},
		{"email of another user", func(u *auth.User) error { u.Email = "BO@example.com"; return nil }, auth.ErrEmailTaken, "", "Ann@Example.com", 3},
		{"fn fails", func(u *auth.User) error { u.Role = auth.RoleAdmin; return errBoom }, errBoom, "", "Ann@Example.com", 3},
		{"ID change refused", func(u *auth.User) error { u.ID = commerce.NewID(); return nil }, nil, commerce.EInvalid, "Ann@Example.com", 3},
		{"new email moves the index row", func(u *auth.User) error { u.Email = "ann.lee@example.org"; return nil }, nil, "", "ann.lee@example.org", 4},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := users.UpdateUser(ctx, ann.ID, sc.fn)
			switch {
			case sc.kind != "":
				if commerce.KindOf(err) != sc.kind {
					t.Fatalf("err %v, want kind %s", err, sc.kind)
				}
			case sc.want != nil:
				if !errors.Is(err, sc.want) {
					t.Fatalf("err %v, want %v", err, sc.want)
				}
			case err != nil:
				t.Fatal(err)
			case got.Version != sc.version || got.Email != sc.email:
				t.Fatalf("returned %+v", got)
			}
			stored, err := users.User(ctx, ann.ID)
			if err != nil || stored.Version != sc.version || stored.Email != sc.email || stored.Role != auth.RoleCustomer {
				t.Fatalf("stored %+v %v", stored, err)
			}
			byEmail, err := users.UserByEmail(ctx, sc.email)
			if err != nil || byEmail.ID != ann.ID {
				t.Fatalf("index for %s: %+v %v", sc.email, byEmail, err)
			}
		})
	}

	if _, err := users.UserByEmail(ctx, "ann@example.com"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("old email still indexed: %v", err)
	}
	if got, _ := users.UserByEmail(ctx, "bo@example.com"); got.ID != bo.ID {
		t.Fatalf("other user's index row changed: %+v", got)
	}
	stored, _ := users.User(ctx, ann.ID)
	if !stored.UpdatedAt.After(later) || !stored.Disabled {
		t.Fatalf("UpdatedAt %v not stamped after %v, or disable lost", stored.UpdatedAt, later)
	}
	n := 0
	must(t, db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixUserEmail), PrefixEnd([]byte(prefixUserEmail)), func(_, _ []byte) error { n++; return nil })
	}))
	if n != 2 {
		t.Fatalf("%d e-mail index rows, want 2", n)
	}
	if _, err := users.UpdateUser(ctx, commerce.NewID(), func(*auth.User) error { return nil }); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	evs, _ := db.Outbox(ctx, 0, 100)
	updates := 0
	for _, ev := range evs {
		if ev.Type == auth.EventUserUpdated {
			updates++
		}
	}
	if updates != 3 {
		t.Fatalf("%d update events, want 3", updates)
	}
}

func TestUsersList(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	users := NewUsers(db)
	const n = 23
	var ids []string
	for i := range n {
		u := usersTestUser(fmt.Sprintf("user%02d@example.com", i))
		ids = append(ids, u.ID)
		must(t, users.CreateUser(ctx, u))
	}

	scenarios := []struct {
		name  string
		limit int
		pages []int // items per page
	}{
		{"default limit", 0, []int{20, 3}},
		{"pages of 10", 10, []int{10, 10, 3}},
		{"exact fit has no empty tail", 23, []int{23}},
		{"one at a time", 1, onesOf(n)},
		{"limit clamped", 1000, []int{23}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var got []string
			var sizes []int
			cursor := ""
			for {
				l, err := users.ListUsers(ctx, commerce.Page{Limit: sc.limit, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(l.Items))
				for _, u := range l.Items {
					got = append(got, u.ID)
				}
				if l.NextCursor == "" {
					break
				}
				if len(sizes) > n+1 {
					t.Fatal("pagination does not end")
				}
				cursor = l.NextCursor
			}
			if fmt.Sprint(sizes) != fmt.Sprint(sc.pages) || fmt.Sprint(got) != fmt.Sprint(ids) {
				t.Fatalf("pages %v, want %v; ids in order: %v", sizes, sc.pages, fmt.Sprint(got) == fmt.Sprint(ids))
			}
		})
	}

	for _, c := range []string{"!!!", "a/b", "YS9i"} { // YS9i is base64url of "a/b"
		if _, err := users.ListUsers(ctx, commerce.Page{Cursor: c}); commerce.KindOf(err) != commerce.EInvalid {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
	l, err := NewUsers(openMem(t, vfs.NewMem())).ListUsers(ctx, commerce.Page{})
	if err != nil || l.Items == nil || len(l.Items) != 0 || l.NextCursor != "" {
		t.Fatalf("empty store: %+v %v", l, err)
	}
}

func onesOf(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

func BenchmarkUsersUserByEmail(b *testing.B) {
	ctx := context.Background()
	users := NewUsers(openMem(b, vfs.NewMem()))
	for i := range 1000 {
		must(b, users.CreateUser(ctx, usersTestUser(fmt.Sprintf("user%04d@example.com", i))))
	}
	i := 0
	for b.Loop() {
		if _, err := users.UserByEmail(ctx, fmt.Sprintf("USER%04d@example.com", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
