package admin_test

import (
	"net/http"
	"testing"
)

// TestClientBackchannelSettings: the admin API takes, checks, shows and
// changes backchannel_logout_uri and backchannel_logout_session_required.
func TestClientBackchannelSettings(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	r := f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "shop", "redirect_uris": []string{redirectURI},
		"backchannel_logout_uri": "https://shop.example/bcl", "backchannel_logout_session_required": true,
	}, http.StatusCreated)
	if r.JSON["backchannel_logout_uri"] != "https://shop.example/bcl" || r.JSON["backchannel_logout_session_required"] != true ||
		r.JSON["config_managed"] != false || r.JSON["disabled"] != false {
		t.Fatalf("created: %s", r.Body)
	}
	for _, uri := range []string{"/bcl", "https://shop.example/bcl#x", "ftp://shop.example/bcl", "https://u@shop.example/bcl"} {
		wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/shop", map[string]any{"backchannel_logout_uri": uri}), http.StatusBadRequest, "invalid_request")
	}
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/shop", map[string]any{"backchannel_logout_uri": ""}), http.StatusBadRequest, "invalid_request") // session_required without a URI
	p := f.ok(t, admin, http.MethodPatch, "/admin/clients/shop", map[string]any{"backchannel_logout_uri": "", "backchannel_logout_session_required": false}, http.StatusOK)
	if _, ok := p.JSON["backchannel_logout_uri"]; ok || p.JSON["backchannel_logout_session_required"] != false {
		t.Errorf("cleared: %s", p.Body)
	}
	g := f.ok(t, admin, http.MethodPatch, "/admin/clients/shop", map[string]any{"backchannel_logout_uri": "https://shop.example/logout"}, http.StatusOK)
	if g.JSON["backchannel_logout_uri"] != "https://shop.example/logout" {
		t.Errorf("set again: %s", g.Body)
	}
}
