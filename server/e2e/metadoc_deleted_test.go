package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestMetadataDocumentClientDeleted: a metadata document client deleted
// from the database (the janitor, `gatehouse clients delete`, another
// node) while its document is still cached is fetched and stored again on
// its next use, and that flow works: the cache never hands out a client
// whose row is gone (its code and tokens would refer to nothing).
func TestMetadataDocumentClientDeleted(t *testing.T) {
	t.Parallel()
	var docURL string
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=3600")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": docURL, "client_name": "Doc Agent", "redirect_uris": []string{agentRedirect},
			"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
		})
	}))
	t.Cleanup(doc.Close)
	docURL = doc.URL + "/oauth/client-metadata.json"
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.ClientMetadataDocuments.Enabled = true
		c.ClientMetadataDocuments.AllowedHTTPHosts = []string{"127.0.0.1"}
	}))
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	cfg := &oauth2.Config{ClientID: docURL, Endpoint: env.Endpoint(), RedirectURL: agentRedirect, Scopes: []string{"openid", "offline_access"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	b := env.NewBrowser(t)
	unvettedConsentTwice(t, b, cfg, "Doc Agent")
	if err := env.Store.DeleteClient(t.Context(), docURL); err != nil {
		t.Fatal(err)
	}
	// Deleted behind the server's back: it notices within its client
	// cache's TTL.
	time.Sleep(server.ClientCacheTTL + 100*time.Millisecond)
	unvettedConsentTwice(t, b, cfg, "Doc Agent")
}
