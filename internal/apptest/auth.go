package apptest

import (
	"context"
	"fmt"
	stdhttp "net/http"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
)

var userSeq atomic.Int64

// User is an account a test created, with an access token from the login route.
type User struct {
	ID, Email, Password string
	Role                auth.Role
	Token               string // access token
	Refresh             string // refresh token
}

// Bearer returns the Authorization header for the user's access token.
func (u User) Bearer() map[string]string { return Bearer(u.Token) }

// Bearer returns an Authorization header carrying token.
func Bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// NewUser creates an account with the given role directly through the auth service and
// signs it in through POST /api/v1/auth/login.
func (a *App) NewUser(t testing.TB, role auth.Role) User {
	t.Helper()
	n := userSeq.Add(1)
	u := User{Email: fmt.Sprintf("user%d-%s@example.com", n, role), Password: fmt.Sprintf("correct horse battery %d", n), Role: role}
	created, err := a.Auth.CreateUser(context.Background(), auth.CreateUserInput{Email: u.Email, Password: u.Password, Name: "Test User", Role: role})
	if err != nil {
		t.Fatalf("apptest: create %s user: %v", role, err)
	}
	u.ID = created.ID
	resp := a.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": u.Email, "password": u.Password}, nil)
	if resp.Status != stdhttp.StatusOK {
		t.Fatalf("apptest: login as %s: status %d\n%s", role, resp.Status, resp.Body)
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	resp.JSON(t, &out)
	u.Token, u.Refresh = out.AccessToken, out.RefreshToken
	return u
}
