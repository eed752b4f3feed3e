package app

import (
	"context"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
	uhttp "github.com/ultramarket/ultramarket/http"
)

// TestAdminUserOpsAudited: the user operations run offline and through the admin socket
// alike, name users by e-mail or ID, and every write they make is in the audit log as the
// operator ("cli").
func TestAdminUserOpsAudited(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	off := openApp(t, cfg, Options{Offline: true})
	owner, err := off.CreateUser(ctx, auth.CreateUserInput{Email: "owner@shop.example", Password: "a long passphrase 42", Role: auth.RoleSuperAdmin})
	if err != nil {
		t.Fatal(err)
	}
	cy, err := off.CreateUser(ctx, auth.CreateUserInput{Email: "cy@shop.example", Password: "a long passphrase 42"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := off.DisableUser(ctx, "CY@shop.example"); err != nil || !u.Disabled || u.ID != cy.ID {
		t.Fatalf("offline disable by e-mail: %+v %v", u, err)
	}
	if _, err := off.SetUserRole(ctx, owner.ID, auth.RoleAdmin); commerce.KindOf(err) != commerce.EConflict {
		t.Fatalf("last super admin offline: %v", err)
	}
	if err := off.Close(ctx); err != nil {
		t.Fatal(err)
	}

	on := openApp(t, cfg, Options{})
	client, err := uhttp.DialAdmin(ctx, AdminSocketPath(cfg.Data.Dir))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if l, err := client.FindUsers(ctx, auth.UserFilter{Disabled: &yes}, commerce.Page{}); err != nil || len(l.Items) != 1 || l.Items[0].ID != cy.ID {
		t.Fatalf("disabled users through the socket: %+v %v", l, err)
	}
	if u, err := client.EnableUser(ctx, cy.ID); err != nil || u.Disabled {
		t.Fatalf("enable through the socket: %+v %v", u, err)
	}
	if u, err := client.SetUserRole(ctx, "cy@shop.example", auth.RoleVendor); err != nil || u.Role != auth.RoleVendor {
		t.Fatalf("set role through the socket: %+v %v", u, err)
	}
	if _, err := client.SetUserRole(ctx, "cy@shop.example", "ROOT"); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("bad role through the socket: %v", err)
	}
	if _, err := client.ResetUserTwoFactor(ctx, "cy@shop.example"); err != nil {
		t.Fatalf("reset 2FA through the socket: %v", err)
	}
	if _, err := client.DisableUser(ctx, "nobody@shop.example"); commerce.KindOf(err) != commerce.ENotFound {
		t.Fatalf("unknown user through the socket: %v", err)
	}

	want := map[string]bool{auth.EventUserCreated: true, auth.EventUserDisabled: true, auth.EventUserEnabled: true,
		auth.EventRoleChanged: true, "auth.2fa_reset": true}
	l, err := on.DB.AuditEntries(ctx, audit.Filter{ActorID: "cli"}, commerce.Page{Limit: commerce.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Items {
		delete(want, e.Action)
	}
	if len(want) > 0 {
		t.Fatalf("operator actions missing from the audit log as cli: %v (have %d entries)", want, len(l.Items))
	}
}
