package admin_test

import (
	"net/http"
	"testing"
)

// TestClientGrantSettings: the PAR, DPoP and impersonation settings are
// admin-API fields, set at creation and by PATCH.
func TestClientGrantSettings(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	exchange := "urn:ietf:params:oauth:grant-type:token-exchange"
	r := f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "broker", "grant_types": []string{"client_credentials", exchange},
		"require_pushed_authorization_requests": true, "dpop_bound_access_tokens": true,
	}, http.StatusCreated)
	if r.JSON["require_pushed_authorization_requests"] != true || r.JSON["dpop_bound_access_tokens"] != true || r.JSON["allow_impersonation"] != false {
		t.Fatalf("created: %s", r.Body)
	}
	p := f.ok(t, admin, http.MethodPatch, "/admin/clients/broker", map[string]any{"allow_impersonation": true, "dpop_bound_access_tokens": false}, http.StatusOK)
	if p.JSON["allow_impersonation"] != true || p.JSON["dpop_bound_access_tokens"] != false || p.JSON["require_pushed_authorization_requests"] != true {
		t.Fatalf("patched: %s", p.Body)
	}
	// Impersonation needs the token-exchange grant.
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "x", "grant_types": []string{"client_credentials"}, "allow_impersonation": true,
	}), http.StatusBadRequest, "invalid_request")
}
