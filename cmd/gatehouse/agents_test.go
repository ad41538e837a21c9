package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestClientsInitialToken: the CLI prints {"token": …} once; only its
// hash is stored, good for --uses registrations until --ttl ends.
func TestClientsInitialToken(t *testing.T) {
	c := newCLI(t)
	got := c.ok("clients", "initial-token", "--ttl", "2h", "--uses", "2")
	token, _ := got["token"].(string)
	if len(token) < 40 || got["uses"] != float64(2) {
		t.Fatalf("printed %v", got)
	}
	exp, err := time.Parse(time.RFC3339, got["expires_at"].(string))
	if err != nil || time.Until(exp) < time.Hour || time.Until(exp) > 3*time.Hour {
		t.Errorf("expires_at %v (%v)", got["expires_at"], err)
	}
	store := c.openStore()
	ctx := context.Background()
	for range 2 {
		if err := store.UseInitialAccessToken(ctx, secret.SHA256Hex(token), time.Now()); err != nil {
			t.Fatalf("use: %v", err)
		}
	}
	if err := store.UseInitialAccessToken(ctx, secret.SHA256Hex(token), time.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("third use of a two-use token: %v", err)
	}
	if n := len(auditEvents(t, store, audit.InitialTokenCreated)); n != 1 {
		t.Errorf("%d audit events", n)
	}
	c.fails("lifetime", "clients", "initial-token", "--ttl", "-1h")
	c.fails("uses", "clients", "initial-token", "--uses", "-1")
	if def := c.ok("clients", "initial-token"); def["uses"] != float64(1) {
		t.Errorf("default uses %v, want 1", def["uses"])
	}
}

// TestClientsCreatePKCEOptional: --pkce optional, for confidential
// clients only.
func TestClientsCreatePKCEOptional(t *testing.T) {
	c := newCLI(t)
	got := c.ok("clients", "create", "--id", "proxy", "--redirect-uri", "https://proxy.example/cb", "--pkce", "optional")
	if got["pkce"] != "optional" || got["origin"] != "operator" {
		t.Errorf("printed %v", got)
	}
	c.fails("public client must use PKCE", "clients", "create", "--id", "spa", "--public", "--redirect-uri", "https://spa.example/cb", "--pkce", "optional")
	c.fails("sometimes", "clients", "create", "--id", "odd", "--redirect-uri", "https://odd.example/cb", "--pkce", "sometimes")
}
