package admin_test

import (
	"net/http"
	"testing"
)

// TestDatabaseDown: while the database fails, an admin with a good token is
// told to retry (503 temporarily_unavailable, Retry-After), not that the
// token is bad (401) or that something unknown broke (500).
func TestDatabaseDown(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	if err := f.env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := f.call(t, admin, http.MethodGet, "/admin/users", nil)
	wantError(t, r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if r.Header.Get("Retry-After") == "" || r.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("headers %v, want Retry-After and no challenge", r.Header)
	}
}
