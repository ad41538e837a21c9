package clients_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
)

// TestDeclare: a declared client is created, then left alone while its
// declaration is the same, replaced whole when it changes (an
// API-created client with its id is taken over), read-only for Update and
// RotateSecret, and disabled by Undeclare once no longer declared.
func TestDeclare(t *testing.T) {
	ctx := context.Background()
	store, h := openStore(t)
	now := time.Now()
	sec := strings.Repeat("s", 40)
	spec := clients.Spec{ID: "shop", Secret: sec, RedirectURIs: []string{"https://shop.example/cb"},
		BackchannelLogoutURI: "https://shop.example/bcl"}

	c, what, err := clients.Declare(ctx, store, h, spec, now)
	if err != nil || what != clients.DeclaredCreated || !c.ConfigManaged || c.BackchannelLogoutURI != spec.BackchannelLogoutURI {
		t.Fatalf("first declaration: %v %q %+v", err, what, c)
	}
	if _, what, err = clients.Declare(ctx, store, h, spec, now.Add(time.Minute)); err != nil || what != clients.DeclaredUnchanged {
		t.Fatalf("same declaration: %v %q", err, what)
	}
	spec.Name, spec.Public, spec.Secret = "Shop", true, ""
	c, what, err = clients.Declare(ctx, store, h, spec, now.Add(time.Minute))
	if err != nil || what != clients.DeclaredUpdated || !c.Public || len(c.SecretHash) != 0 || c.Name != "Shop" {
		t.Fatalf("changed declaration: %v %q %+v", err, what, c)
	}
	// The grant settings are declared too, and a change to one is an update.
	spec.RequirePAR, spec.RequireDPoP = true, true
	c, what, err = clients.Declare(ctx, store, h, spec, now.Add(2*time.Minute))
	if err != nil || what != clients.DeclaredUpdated || !c.RequirePAR || !c.RequireDPoP || c.AllowImpersonation {
		t.Fatalf("declaration with grant settings: %v %q %+v", err, what, c)
	}
	if _, _, err := clients.Declare(ctx, store, h, clients.Spec{ID: "nosecret", RedirectURIs: []string{"https://x.example/cb"}}, now); !errors.Is(err, clients.ErrInvalid) {
		t.Errorf("confidential without secret: %v", err)
	}

	if _, err := clients.Update(ctx, store, "shop", func(*clients.Spec) error { return nil }, now); !errors.Is(err, clients.ErrConfigManaged) {
		t.Errorf("Update of a declared client: %v", err)
	}
	if _, _, err := clients.RotateSecret(ctx, store, h, "shop", now); !errors.Is(err, clients.ErrConfigManaged) {
		t.Errorf("RotateSecret of a declared client: %v", err)
	}

	// Taken over: a client made by the API, then declared.
	if _, _, err := clients.Create(ctx, store, h, clients.Spec{ID: "api", GrantTypes: []string{"client_credentials"}}, now); err != nil {
		t.Fatal(err)
	}
	if c, what, err := clients.Declare(ctx, store, h, clients.Spec{ID: "api", Secret: sec, GrantTypes: []string{"client_credentials"}}, now); err != nil || what != clients.DeclaredUpdated || !c.ConfigManaged {
		t.Fatalf("declaring an existing client: %v %q %+v", err, what, c)
	}
	if _, _, err := clients.Create(ctx, store, h, clients.Spec{ID: "other", GrantTypes: []string{"client_credentials"}}, now); err != nil {
		t.Fatal(err)
	}

	disabled, err := clients.Undeclare(ctx, store, []string{"shop"}, now)
	if err != nil || len(disabled) != 1 || disabled[0] != "api" {
		t.Fatalf("Undeclare: %v %v, want [api]", disabled, err)
	}
	for id, want := range map[string]bool{"shop": false, "api": true, "other": false} {
		c, err := store.GetClient(ctx, id)
		if err != nil || c.Disabled != want {
			t.Errorf("%s: disabled %v (%v), want %v", id, c.Disabled, err, want)
		}
	}
	c, what, err = clients.Declare(ctx, store, h, clients.Spec{ID: "api", Secret: sec, GrantTypes: []string{"client_credentials"}}, now)
	if err != nil || what != clients.DeclaredUpdated || c.Disabled {
		t.Errorf("declared again: %v %q disabled %v", err, what, c.Disabled)
	}
}
