package e2e

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestRateCounterStore: on SQLite (a single node) the login counters live
// in memory by default, so a failed login writes nothing; with
// ratelimit.store: database they are rows every node on the database sees.
func TestRateCounterStore(t *testing.T) {
	t.Parallel()
	for store, wantRows := range map[string]bool{"": false, "memory": false, "database": true} {
		t.Run("store="+store, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "gatehouse.db") // SQLite even under GATEHOUSE_TEST_SERVER_DB
			f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
				c.Database = dbPath
				c.RateLimit.Store = store
			}))
			r := post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, "wrong password x"), f.clientID, f.secret)
			wantJSONError(t, r, http.StatusBadRequest, "invalid_grant")
			db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var rows int
			if err := db.QueryRow(`SELECT COUNT(*) FROM rate_counters`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if (rows > 0) != wantRows {
				t.Fatalf("%d rate_counters rows after a failed login, want rows: %v", rows, wantRows)
			}
		})
	}
}
