package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
)

// openStore opens the CLI's database (the CLI itself is a second process
// on the same file in real use).
func (c *cli) openStore() storage.Store {
	c.t.Helper()
	store, err := server.OpenStore(context.Background(), filepath.Join(c.dir, "gatehouse.db"), server.Defaults().DatabasePool)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { store.Close() })
	return store
}

// auditEvents returns the stored events of typ.
func auditEvents(t *testing.T, store storage.Store, typ string) []storage.AuditEvent {
	t.Helper()
	list, err := store.ListAuditEvents(context.Background(), storage.AuditFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestUsersSetRoleDisableDelete(t *testing.T) {
	c := newCLI(t)
	// Another admin, so that dora is never the last one.
	c.ok("users", "create", "--email", "root@example.com", "--password", "root password", "--name", "Root", "--role", "admin")
	u := c.ok("users", "create", "--email", "dora@example.com", "--password", "dora password", "--name", "Dora")
	id := u["id"].(string)

	got := c.ok("users", "set-role", "--email", "DORA@example.com", "--role", "admin", "--role", "billing:read")
	if roles := strs(t, got["roles"]); !slices.Equal(roles, []string{"admin", "billing:read", "user"}) {
		t.Errorf("set-role printed roles %v", roles)
	}
	got = c.ok("users", "set-role", "--id", id, "--role", "user")
	if roles := strs(t, got["roles"]); !slices.Equal(roles, []string{"user"}) {
		t.Errorf("set-role --id printed roles %v", roles)
	}

	// A signed-in browser and a refresh token, to be revoked by disable.
	c.ok("clients", "create", "--id", "app", "--grant-type", "client_credentials")
	store := c.openStore()
	ctx := context.Background()
	now := time.Now()
	if err := store.CreateBrowserSession(ctx, storage.BrowserSession{ID: "s1", UserID: id, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rt := storage.TokenSession{Kind: storage.KindRefreshToken, Signature: secret.SHA256Hex("rt"), RequestID: "r1", ClientID: "app",
		Subject: id, Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour), Data: []byte("{}")}
	if err := store.CreateTokenSession(ctx, rt); err != nil {
		t.Fatal(err)
	}

	if got := c.ok("users", "disable", "--email", "dora@example.com"); got["disabled"] != true {
		t.Errorf("disable printed %v", got)
	}
	if s, _ := store.ListBrowserSessions(ctx, id, time.Now()); len(s) != 0 {
		t.Errorf("%d browser sessions after disable", len(s))
	}
	if ts, err := store.GetTokenSession(ctx, storage.KindRefreshToken, rt.Signature); err != nil || ts.Active {
		t.Errorf("refresh token after disable: active %v, %v", ts.Active, err)
	}
	if got := c.ok("users", "enable", "--id", id); got["disabled"] != false {
		t.Errorf("enable printed %v", got)
	}
	if got := c.ok("users", "delete", "--email", "dora@example.com"); got["deleted"] != id {
		t.Errorf("delete printed %v", got)
	}
	if _, err := store.GetUser(ctx, id); err == nil {
		t.Errorf("user still there after delete")
	}

	for typ, n := range map[string]int{audit.UserCreated: 2, audit.RolesChanged: 2, audit.UserDisabled: 1, audit.UserEnabled: 1, audit.UserDeleted: 1} {
		ev := auditEvents(t, store, typ)
		if len(ev) != n {
			t.Errorf("%d %s events, want %d", len(ev), typ, n)
			continue
		}
		if ev[0].UserID != id || ev[0].Details["actor"] != "cli" {
			t.Errorf("%s event %+v", typ, ev[0])
		}
	}

	c.ok("users", "create", "--email", "erin@example.com", "--password", "erin password", "--name", "Erin", "--role", "admin")
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"no user", "--email or --id", []string{"users", "disable"}},
		{"both", "--email or --id", []string{"users", "disable", "--email", "a@example.com", "--id", "x"}},
		{"unknown email", "no such user", []string{"users", "enable", "--email", "nobody@example.com"}},
		{"unknown id", "no such user", []string{"users", "delete", "--id", "nobody"}},
		{"bad email", "email", []string{"users", "set-role", "--email", "nobody", "--role", "admin"}},
		{"bad role", "invalid role", []string{"users", "set-role", "--email", "erin@example.com", "--role", "Bad Role"}},
		{"no role", "at least one --role", []string{"users", "set-role", "--email", "erin@example.com"}},
		{"stray argument", "unexpected", []string{"users", "disable", "--email", "a@example.com", "extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.with(t).fails(tc.want, tc.args...)
		})
	}
	// The refused role changes changed nothing.
	erin := list(t, c.ok("users", "list", "--search", "erin"), "users")
	if len(erin) != 1 || !slices.Equal(strs(t, erin[0]["roles"]), []string{"admin", "user"}) {
		t.Errorf("erin after the refused changes: %v", erin)
	}
}

func TestClientsRotateSecret(t *testing.T) {
	c := newCLI(t)
	created := c.ok("clients", "create", "--id", "svc", "--grant-type", "client_credentials", "--scope", "api")
	old := created["client_secret"].(string)
	out, text := c.okText("clients", "rotate-secret", "--id", "svc")
	sec, _ := out["client_secret"].(string)
	if out["client_id"] != "svc" || len(sec) < 40 || sec == old {
		t.Fatalf("rotate-secret printed %s", text)
	}
	store := c.openStore()
	cl, err := store.GetClient(context.Background(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	h := secret.NewHasher([]byte(testSecret))
	if want, _ := h.Hash(context.Background(), []byte(sec)); string(cl.SecretHash) != string(want) {
		t.Errorf("the stored hash is not the printed secret's")
	}
	if _, listed := c.okText("clients", "list"); strings.Contains(listed, sec) || strings.Contains(listed, "secret_hash") {
		t.Errorf("clients list shows the secret: %s", listed)
	}
	if ev := auditEvents(t, store, audit.ClientSecretRotated); len(ev) != 1 || ev[0].ClientID != "svc" || ev[0].Details["actor"] != "cli" {
		t.Errorf("rotation events %+v", ev)
	}
	for _, ev := range auditEvents(t, store, "") {
		for _, v := range ev.Details {
			if strings.Contains(v, sec) || strings.Contains(v, old) {
				t.Errorf("a secret is in audit event %s", ev.Type)
			}
		}
	}

	c.ok("clients", "create", "--id", "spa", "--public", "--redirect-uri", "https://spa.example/cb")
	c.fails("public", "clients", "rotate-secret", "--id", "spa")
	c.fails("no client", "clients", "rotate-secret", "--id", "nothing")
	c.fails("--id is required", "clients", "rotate-secret")
}

// The last enabled admin cannot be demoted, disabled or deleted: nobody
// could use the admin API afterwards. With a second admin it can.
func TestLastAdminKept(t *testing.T) {
	c := newCLI(t)
	c.ok("users", "create", "--email", "ann@example.com", "--password", "ann password", "--name", "Ann", "--role", "admin")
	for _, args := range [][]string{
		{"users", "set-role", "--email", "ann@example.com", "--role", "user"},
		{"users", "disable", "--email", "ann@example.com"},
		{"users", "delete", "--email", "ann@example.com"},
	} {
		c.fails("last enabled admin", args...)
	}
	// A disabled admin does not count.
	c.ok("users", "create", "--email", "bob@example.com", "--password", "bob password", "--name", "Bob", "--role", "admin")
	c.ok("users", "disable", "--email", "bob@example.com")
	c.fails("last enabled admin", "users", "set-role", "--email", "ann@example.com", "--role", "user")
	c.ok("users", "enable", "--email", "bob@example.com")
	if got := c.ok("users", "set-role", "--email", "ann@example.com", "--role", "user"); !slices.Equal(strs(t, got["roles"]), []string{"user"}) {
		t.Errorf("demoting ann with bob enabled: %v", got)
	}
}
