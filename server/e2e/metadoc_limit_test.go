package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestMetadataDocumentNewClientsRateLimited: anonymous authorization
// requests naming metadata document URLs this server has never seen each
// make it fetch a document and store a client row, so one client IP may
// introduce only client_metadata_documents.rate_limit new ones an hour, as
// dynamic registration is limited. Past it the person sees a 429 page and
// nothing is fetched or stored; a document client already known is not
// counted and keeps working.
func TestMetadataDocumentNewClientsRateLimited(t *testing.T) {
	t.Parallel()
	var base string
	fetches := make(chan string, 100)
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches <- r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": base + r.URL.Path, "redirect_uris": []string{agentRedirect}, "token_endpoint_auth_method": "none",
		})
	}))
	t.Cleanup(doc.Close)
	base = doc.URL
	const limit = 3
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.ClientMetadataDocuments.Enabled = true
		c.ClientMetadataDocuments.AllowedHTTPHosts = []string{"127.0.0.1"}
		c.ClientMetadataDocuments.RateLimit = limit
	}))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(i int) *http.Response {
		t.Helper()
		cfg := &oauth2.Config{ClientID: fmt.Sprintf("%s/c/%d.json", base, i), Endpoint: env.Endpoint(), RedirectURL: agentRedirect, Scopes: []string{"openid"}}
		resp, err := noFollow.Get(cfg.AuthCodeURL("state-123456789", pkceOptions()...))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range limit {
		if resp := authorize(i); resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("new document client %d of %d: status %d, want a redirect to sign in", i+1, limit, resp.StatusCode)
		}
	}
	for range limit {
		<-fetches
	}
	resp := authorize(limit)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("new document client %d: status %d, want 429", limit+1, resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After %q, want seconds", resp.Header.Get("Retry-After"))
	}
	select {
	case p := <-fetches:
		t.Errorf("a document past the limit was fetched: %s", p)
	default:
	}
	// Pushed (RFC 9126) from the same address: refused alike.
	form := url.Values{"client_id": {base + "/c/pushed.json"}, "response_type": {"code"}, "redirect_uri": {agentRedirect},
		"state": {"state-123456789"}, "code_challenge": {"E9Melhoe2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	pushed, err := http.PostForm(env.URL+"/oauth2/par", form)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error string }
	_ = json.NewDecoder(pushed.Body).Decode(&body)
	pushed.Body.Close()
	if pushed.StatusCode != http.StatusTooManyRequests || body.Error != "invalid_client" || pushed.Header.Get("Retry-After") == "" {
		t.Errorf("pushed request for a new document client past the limit: %d %q Retry-After %q, want 429 invalid_client with Retry-After",
			pushed.StatusCode, body.Error, pushed.Header.Get("Retry-After"))
	}
	// A known client is not new: not counted, not refused.
	if resp := authorize(0); resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("known document client past the limit: status %d, want a redirect to sign in", resp.StatusCode)
	}
	list, err := env.Store.ListClients(t.Context(), storage.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	docs := 0
	for _, c := range list {
		if c.Origin == storage.ClientOriginMetadataDocument {
			docs++
		}
	}
	if docs != limit {
		t.Errorf("%d document client rows stored, want %d", docs, limit)
	}
}
