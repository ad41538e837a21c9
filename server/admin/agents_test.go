package admin_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
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

// A metadata document client's ID is a URL: percent-encoded into the
// path, it reaches its client (read, delete) like any other ID.
func TestClientIDWithSlashes(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	const id = "https://agent.example/oauth/client.json"
	now := time.Now().UTC()
	if err := f.env.Store.CreateClient(t.Context(), storage.Client{
		ID: id, Public: true, Origin: storage.ClientOriginMetadataDocument, RedirectURIs: []string{"https://agent.example/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"}, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	path := "/admin/clients/" + url.PathEscape(id)
	if g := f.ok(t, admin, http.MethodGet, path, nil, http.StatusOK); g.JSON["client_id"] != id {
		t.Errorf("read %s: %s", path, g.Body)
	}
	f.ok(t, admin, http.MethodDelete, path, nil, http.StatusNoContent)
	if _, err := f.env.Store.GetClient(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after DELETE %s: %v", path, err)
	}
}
