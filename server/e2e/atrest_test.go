package e2e

import (
	"bytes"
	"database/sql"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestNoSecretsAtRest runs every grant, with client_secret_post so the
// client secret is in the form, then reads every row of the database file:
// no password, client secret, code, verifier or token appears in clear.
func TestNoSecretsAtRest(t *testing.T) {
	// It reads the SQLite file itself: SQLite even when the other tests run
	// on PostgreSQL (GATEHOUSE_TEST_SERVER_DB).
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Database = dbPath }))
	var secrets [][]byte
	keep := func(s ...string) {
		for _, v := range s {
			if v != "" {
				secrets = append(secrets, []byte(v))
			}
		}
	}
	keep(alicePassword, f.secret)

	// Password grant with the secret in the body.
	r := post(t, f.env, "/oauth2/token", url.Values{
		"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword},
		"scope": {"openid offline_access"}, "client_id": {f.clientID}, "client_secret": {f.secret},
	}, "", "")
	if r.Status != 200 {
		t.Fatalf("password grant: %d %s", r.Status, r.Body)
	}
	keep(r.JSON["access_token"].(string), r.JSON["refresh_token"].(string), r.JSON["id_token"].(string))

	// Authorization code, then a refresh.
	tok, a := f.codeTokens(t, "openid", "offline_access")
	keep(a.Code, a.Verifier, tok.AccessToken, tok.RefreshToken)
	next, err := f.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	keep(next.AccessToken, next.RefreshToken)

	db, err := sql.Open("sqlite3", "file:"+server.SQLitePath(f.env.Config.Database)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	for _, table := range names {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case []byte:
					b = v
				case string:
					b = []byte(v)
				default:
					continue
				}
				for _, s := range secrets {
					if bytes.Contains(b, s) || bytes.Contains(b, []byte(url.QueryEscape(string(s)))) {
						t.Errorf("table %s column %s holds a secret in clear", table, cols[i])
					}
				}
			}
		}
		rows.Close()
	}
}

// TestConcurrentCodeExchange: the same code redeemed by several requests at
// once yields tokens at most once, and no request gets a server error.
func TestConcurrentCodeExchange(t *testing.T) {
	f := newFixture(t)
	a := f.env.NewBrowser(t).AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	const n = 4
	var wg sync.WaitGroup
	results := make([]apiResponse, n)
	for i := range n {
		wg.Go(func() {
			results[i] = post(t, f.env, "/oauth2/token", url.Values{
				"grant_type": {"authorization_code"}, "code": {a.Code},
				"redirect_uri": {redirectURI}, "code_verifier": {a.Verifier},
			}, f.clientID, f.secret)
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.Status == 200:
			ok++
		case r.Status >= 500:
			t.Errorf("server error on a concurrent exchange: %d %s", r.Status, r.Body)
		case r.JSON["error"] != "invalid_grant" && r.JSON["error"] != "invalid_request":
			t.Errorf("loser got %d %s, want invalid_grant", r.Status, r.Body)
		}
	}
	if ok > 1 {
		t.Fatalf("%d exchanges of one code succeeded", ok)
	}
}
