package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
)

// TestMigrateDataSQLiteToPostgres moves a SQLite installation to
// PostgreSQL with `gatehouse migrate-data`, then starts a server on
// PostgreSQL: the copied user signs in with her password through the
// copied client, new tokens are signed with the copied key, and a token the
// SQLite installation issued verifies against the new server's JWKS.
func TestMigrateDataSQLiteToPostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	c := newCLI(t)
	dbPath := filepath.Join(c.dir, "gatehouse.db")
	const redirect = "https://app.example/cb"
	app := c.ok("clients", "create", "--id", "app", "--redirect-uri", redirect,
		"--grant-type", "authorization_code", "--grant-type", "password", "--grant-type", "refresh_token",
		"--scope", "openid", "--scope", "offline_access")
	appSecret, _ := app["client_secret"].(string)
	c.ok("users", "create", "--email", "alice@example.com", "--password", "correct horse battery", "--name", "Alice")

	like := func(database string) servertest.Option {
		return servertest.WithConfig(func(cfg *server.Config) {
			cfg.Database = database
			cfg.Secret = testSecret
			cfg.Keys.Algorithm = "ES256"
		})
	}
	old := servertest.Start(t, like(dbPath))
	oldTok, err := old.OAuth2Config("app", appSecret, redirect, "openid").
		PasswordCredentialsToken(t.Context(), "alice@example.com", "correct horse battery")
	if err != nil {
		t.Fatalf("password grant on the SQLite installation: %v", err)
	}

	out := c.ok("migrate-data", "--from", "sqlite://"+dbPath, "--to", pg)
	for key, want := range map[string]float64{"users": 1, "clients": 1, "keys": 1, "skipped": 0} {
		if out[key] != want {
			t.Errorf("migrate-data printed %s = %v, want %v (%v)", key, out[key], want, out)
		}
	}

	env := servertest.Start(t, like(pg))
	cfg := env.OAuth2Config("app", appSecret, redirect, "openid", "offline_access")
	a := env.NewBrowser(t).AuthCodeFlow(t, cfg, "alice@example.com", "correct horse battery")
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("code exchange on the PostgreSQL server: %v", err)
	}
	set := fetchJWKS(t, env.URL)
	oldKid := verifyES256(t, set, oldTok.AccessToken)
	if newKid := verifyES256(t, set, tok.AccessToken); newKid != oldKid {
		t.Errorf("the PostgreSQL server signs with %q, not the copied key %q", newKid, oldKid)
	}
	if len(set.Keys) != 1 {
		t.Errorf("JWKS has %d keys; the copied key should be the only one", len(set.Keys))
	}

	// The target is no longer empty: a second run is refused unless asked.
	code, stdout, stderr := c.raw("migrate-data", "--from", "sqlite://"+dbPath, "--to", pg)
	checkOneLineError(t, "migrate-data into a non-empty target", code, stdout, stderr, "--allow-non-empty")
	again := c.ok("migrate-data", "--from", dbPath, "--to", pg, "--allow-non-empty")
	if again["users"] != 0.0 || again["skipped"] != 3.0 {
		t.Errorf("second copy printed %v, want nothing written and 3 rows skipped", again)
	}
}

func TestMigrateDataArguments(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--from and --to are required", []string{"migrate-data", "--to", "sqlite:///x.db"}},
		{"same database", []string{"migrate-data", "--from", "/x.db", "--to", "/x.db"}},
		{"no such file", []string{"migrate-data", "--from", filepath.Join(c.dir, "missing.db"), "--to", filepath.Join(c.dir, "new.db")}},
		{"unexpected argument", []string{"migrate-data", "--from", "a.db", "--to", "b.db", "extra"}},
	} {
		code, stdout, stderr := c.raw(tc.args...)
		checkOneLineError(t, strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
	}

	// A database with nothing in it, not even a signing key (as opening a
	// mistyped PostgreSQL DSN creates one), is refused as the source
	// rather than copied as success.
	empty := filepath.Join(c.dir, "empty.db")
	s, err := server.OpenStore(t.Context(), empty, server.Defaults().DatabasePool)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, stdout, stderr := c.raw("migrate-data", "--from", empty, "--to", filepath.Join(c.dir, "target.db"))
	checkOneLineError(t, "migrate-data from an empty database", code, stdout, stderr, "holds no users")
}

// fetchJWKS reads a server's JWK Set.
func fetchJWKS(t *testing.T, base string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verifyES256 checks raw's signature against set and returns its kid.
func verifyES256(t *testing.T, set jose.JSONWebKeySet, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	kid := tok.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", kid)
	}
	var claims jwt.Claims
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("token signed by %q does not verify: %v", kid, err)
	}
	return kid
}

// TestCLIOnPostgres runs the admin CLI against a PostgreSQL database named
// in the config: migrate (twice), then users created and listed.
func TestCLIOnPostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	c := newCLI(t)
	c.writeConfig("issuer: http://127.0.0.1:8080\ndatabase: " + pg + "\nsecret: " + testSecret +
		"\nbcrypt_cost: 4\ndev: true\ndatabase_pool:\n  max_conns: 2\n")
	c.ok("migrate")
	c.ok("migrate")
	c.ok("users", "create", "--email", "bob@example.com", "--password", "correct horse battery", "--name", "Bob")
	if users := list(t, c.ok("users", "list"), "users"); len(users) != 1 || users[0]["email"] != "bob@example.com" {
		t.Fatalf("users list on PostgreSQL: %v", users)
	}
}
