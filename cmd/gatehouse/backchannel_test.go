package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestClientsBackchannelAndDeclared: clients create takes the back-channel
// logout settings; a client declared in the configuration file cannot be
// deleted or given a new secret from the CLI.
func TestClientsBackchannelAndDeclared(t *testing.T) {
	c := newCLI(t)
	out := c.ok("clients", "create", "--id", "shop", "--redirect-uri", "https://shop.example/cb",
		"--backchannel-logout-uri", "https://shop.example/bcl", "--backchannel-logout-session-required")
	if out["backchannel_logout_uri"] != "https://shop.example/bcl" || out["backchannel_logout_session_required"] != true {
		t.Errorf("clients create printed %v", out)
	}
	c.fails("backchannel logout URI", "clients", "create", "--id", "bad", "--redirect-uri", "https://bad.example/cb",
		"--backchannel-logout-uri", "https://bad.example/bcl#frag")

	store := c.openStore()
	if err := store.UpdateClient(context.Background(), "shop", func(cl *storage.Client) error {
		cl.ConfigManaged = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"clients", "delete", "--id", "shop"}, {"clients", "rotate-secret", "--id", "shop"}} {
		if msg := c.fails("configuration file", args...); !strings.Contains(msg, "shop") && !strings.Contains(msg, "client") {
			t.Errorf("%v: %s", args, msg)
		}
	}
}
