package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/mfa"
)

// TestUsersResetMFA: users list shows the second factors; reset-mfa
// (--email or --id) removes them all, audited with actor cli; a missing
// or doubled selector is refused.
func TestUsersResetMFA(t *testing.T) {
	c := newCLI(t)
	got := c.ok("users", "create", "--email", "erin@example.com", "--password", "erin password 1", "--name", "Erin")
	id, _ := got["id"].(string)
	store := c.openStore()
	ctx := context.Background()
	svc, err := mfa.New(mfa.Options{Store: store, Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.GetUser(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, time.Now())
	if err := svc.ConfirmTOTP(ctx, id, code); err != nil {
		t.Fatal(err)
	}

	_, out := c.okText("users", "list")
	if !strings.Contains(out, `"kind": "totp"`) && !strings.Contains(out, `"kind":"totp"`) {
		t.Errorf("users list does not show the app:\n%s", out)
	}
	if strings.Contains(out, e.Secret) {
		t.Fatal("users list shows the secret")
	}
	c.fails("give --email or --id", "users", "reset-mfa")
	got = c.ok("users", "reset-mfa", "--email", "erin@example.com")
	if removed := strs(t, got["removed"]); len(removed) != 1 || removed[0] != "totp" {
		t.Errorf("reset-mfa printed %v", got)
	}
	if _, err := store.GetTOTP(ctx, id); err == nil {
		t.Fatal("the app is still there")
	}
	if got = c.ok("users", "reset-mfa", "--id", id); len(strs(t, got["removed"])) != 0 {
		t.Errorf("second reset printed %v", got)
	}
	strict := c.ok("clients", "create", "--id", "strict", "--redirect-uri", "https://strict.example/cb", "--require-mfa")
	if strict["require_mfa"] != true {
		t.Errorf("--require-mfa printed %v", strict)
	}
	if cl, err := store.GetClient(ctx, "strict"); err != nil || !cl.RequireMFA {
		t.Errorf("stored client %+v, %v: want RequireMFA", cl, err)
	}
	ev := auditEvents(t, store, "mfa.removed")
	if len(ev) != 2 || ev[0].UserID != id || ev[0].Details["actor"] != "cli" {
		t.Errorf("mfa.removed events %+v", ev)
	}
}
