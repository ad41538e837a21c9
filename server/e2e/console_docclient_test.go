package e2e

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestConsoleMetadataDocumentClient: a client whose ID is a URL (a client
// ID metadata document) is listed with a link that opens its page, and
// the console deletes it.
func TestConsoleMetadataDocumentClient(t *testing.T) {
	f := newFixture(t)
	env := f.env
	admin, _, _ := consoleAdmin(t, f)
	const id = "https://agent.example/oauth/client.json"
	now := time.Now().UTC()
	if err := env.Store.CreateClient(t.Context(), storage.Client{
		ID: id, Name: "Doc Agent", Public: true, Origin: storage.ClientOriginMetadataDocument, RedirectURIs: []string{"https://agent.example/cb"},
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scopes: []string{"openid"}, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	page := consoleClient(url.PathEscape(id))
	if list := bodyOf(t, admin.Get(t, env.URL+"/console/clients")); !strings.Contains(html.UnescapeString(list), `href="`+page+`"`) {
		t.Errorf("the client list has no link to %s:\n%s", page, list)
	}
	resp := admin.Get(t, env.URL+page)
	wantText(t, resp, http.StatusOK, id)
	resp = consoleAction(t, env, admin, page, page+"/delete", nil)
	wantText(t, resp, http.StatusOK, "The client has been deleted")
	if _, err := env.Store.GetClient(t.Context(), id); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after the console deleted it: %v", err)
	}
}
