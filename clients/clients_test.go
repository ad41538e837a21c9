package clients_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

func TestCreate(t *testing.T) {
	ctx := context.Background()
	store, h := openStore(t)
	web := []string{"https://app.example.com/cb"}

	cases := []struct {
		name    string
		spec    clients.Spec
		wantErr string
	}{
		{"generated secret", clients.Spec{ID: "app", RedirectURIs: web}, ""},
		{"given secret", clients.Spec{ID: "app2", Secret: strings.Repeat("x", 32), RedirectURIs: web}, ""},
		{"public native app", clients.Spec{ID: "cli", Public: true, RedirectURIs: []string{"http://127.0.0.1/cb", "com.example.app:/cb"}}, ""},
		{"service", clients.Spec{ID: "svc", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}}, ""},
		{"duplicate", clients.Spec{ID: "app", RedirectURIs: web}, "already exists"},
		{"no id", clients.Spec{RedirectURIs: web}, "client id is required"},
		{"bad id", clients.Spec{ID: "a b", RedirectURIs: web}, "may contain only"},
		{"short secret", clients.Spec{ID: "s1", Secret: "short", RedirectURIs: web}, "at least 32"},
		{"secret and public", clients.Spec{ID: "s2", Secret: strings.Repeat("x", 32), Public: true, RedirectURIs: web}, "not both"},
		{"relative redirect", clients.Spec{ID: "r1", RedirectURIs: []string{"/cb"}}, "absolute"},
		{"fragment", clients.Spec{ID: "r2", RedirectURIs: []string{"https://a.example/cb#x"}}, "fragment"},
		{"http remote", clients.Spec{ID: "r3", RedirectURIs: []string{"http://a.example/cb"}}, "loopback"},
		{"javascript", clients.Spec{ID: "r4", RedirectURIs: []string{"javascript:alert(1)"}}, "not allowed"},
		{"loopback userinfo", clients.Spec{ID: "r5", RedirectURIs: []string{"http://evil@127.0.0.1:3000/callback"}}, "user"},
		{"https userinfo", clients.Spec{ID: "r6", RedirectURIs: []string{"https://evil:pw@a.example/cb"}}, "user"},
		{"loopback encoded path", clients.Spec{ID: "r7", RedirectURIs: []string{"http://127.0.0.1:3000/%63allback"}}, "percent"},
		{"loopback port 0", clients.Spec{ID: "r8", RedirectURIs: []string{"http://127.0.0.1:0/callback"}}, "port"},
		{"loopback port 99999", clients.Spec{ID: "r9", RedirectURIs: []string{"http://127.0.0.1:99999/callback"}}, "port"},
		{"https port 0", clients.Spec{ID: "r10", RedirectURIs: []string{"https://a.example:0/cb"}}, "port"},
		{"logout userinfo", clients.Spec{ID: "r11", RedirectURIs: web, PostLogoutRedirectURIs: []string{"https://u@a.example/bye"}}, "user"},
		{"unknown grant", clients.Spec{ID: "g1", GrantTypes: []string{"implicit"}, RedirectURIs: web}, "unknown grant type"},
		{"code without redirect", clients.Spec{ID: "g2"}, "redirect URI"},
		{"public client credentials", clients.Spec{ID: "g3", Public: true, GrantTypes: []string{"client_credentials"}}, "public client"},
		{"bad scope", clients.Spec{ID: "sc", RedirectURIs: web, Scopes: []string{"a b"}}, "scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, plain, err := clients.Create(ctx, store, h, c.spec, time.Now())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.spec.Public {
				if plain != "" || len(got.SecretHash) != 0 {
					t.Fatal("public client got a secret")
				}
				return
			}
			if len(plain) < secret.MinClientSecretLength || string(got.SecretHash) == plain {
				t.Fatalf("secret %q hash %x", plain, got.SecretHash)
			}
			if err := h.Compare(ctx, got.SecretHash, []byte(plain)); err != nil {
				t.Fatal("stored hash does not match the secret")
			}
		})
	}
	if _, _, err := clients.Create(ctx, store, h, clients.Spec{ID: "app", RedirectURIs: web}, time.Now()); !errors.Is(err, clients.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
}

// openStore opens a fresh SQLite store, closed when t ends, and a client
// secret hasher.
func openStore(t *testing.T) (*sqlite.Store, *secret.Hasher) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, secret.NewHasher([]byte(strings.Repeat("s", 32)))
}
