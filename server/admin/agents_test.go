package admin_test

import (
	"net/http"
	"testing"
)

// The admin API sets a client's PKCE setting and labels every client with
// who registered it.
func TestClientsPKCEAndOrigin(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	r := f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "proxy", "redirect_uris": []string{"https://proxy.example/cb"}, "pkce": "optional",
	}, http.StatusCreated)
	if r.JSON["pkce"] != "optional" || r.JSON["origin"] != "operator" {
		t.Errorf("created: %s", r.Body)
	}
	p := f.ok(t, admin, http.MethodPatch, "/admin/clients/proxy", map[string]any{"pkce": "required"}, http.StatusOK)
	if p.JSON["pkce"] != "required" {
		t.Errorf("patched: %s", p.Body)
	}
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "spa", "public": true, "redirect_uris": []string{"https://spa.example/cb"}, "pkce": "optional",
	}), http.StatusBadRequest, "invalid_request")
	g := f.ok(t, admin, http.MethodGet, "/admin/clients", nil, http.StatusOK)
	for _, c := range g.JSON["clients"].([]any) {
		if c.(map[string]any)["origin"] == nil {
			t.Errorf("listed without an origin: %v", c)
		}
	}
}
