package e2e

import (
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestDeferredWriteFailures: a token request's writes are stored after its
// tokens are made (issue 18's group commit), so what a failure of them
// means depends on what failed.
//   - Only the audit event (a refresh, whose rotation has committed): the
//     new tokens go out and work, as with any audit failure; the request is
//     not mistaken for a replay, which would revoke the family.
//   - The token's own session (client credentials): no token goes out.
//
// The failures are SQLite triggers, so the test runs on SQLite even when
// the others run on PostgreSQL (GATEHOUSE_TEST_SERVER_DB).
func TestDeferredWriteFailures(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Database = dbPath }))
	db, err := sql.Open("sqlite3", "file:"+server.SQLitePath(f.env.Config.Database)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tok := f.passwordTokens(t, "openid", "offline_access")

	exec(`CREATE TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit down'); END`)
	r := post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, f.clientID, f.secret)
	rt, _ := r.JSON["refresh_token"].(string)
	if r.Status != http.StatusOK || rt == "" {
		t.Fatalf("refresh while audit events fail: %d %s, want the new tokens", r.Status, r.Body)
	}
	exec(`DROP TRIGGER audit_down`)
	r = post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, f.clientID, f.secret)
	if r.Status != http.StatusOK {
		t.Errorf("the refresh token issued while audit events failed: %d %s, want it to work", r.Status, r.Body)
	}

	exec(`CREATE TRIGGER sessions_down BEFORE INSERT ON token_sessions BEGIN SELECT RAISE(ABORT, 'sessions down'); END`)
	r = post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, f.clientID, f.secret)
	if r.Status < 500 || r.JSON["access_token"] != nil {
		t.Errorf("client_credentials while token sessions fail: %d %s, want a 5xx without a token", r.Status, r.Body)
	}
}
