package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestAgentOnboarding is what an MCP client does with a server it has
// never seen: discover it from RFC 8414 metadata, register itself
// (RFC 7591, with an initial access token the operator handed out), and
// run a PKCE flow for the MCP server's resource (RFC 8707), getting an
// access token whose aud is that resource and a refresh token.
func TestAgentOnboarding(t *testing.T) {
	t.Parallel()
	env := registrationEnv(t, false, func(c *server.Config) {
		c.Resources = []server.ResourceConfig{{URI: mcpResource, Scopes: []string{"mcp:tools"}}}
		c.DynamicRegistration.AllowedScopes = []string{"openid", "offline_access", "mcp:tools"}
	})

	// 1. Discover.
	md := send(t, env, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil, nil)
	if md.Status != http.StatusOK {
		t.Fatalf("metadata: %d", md.Status)
	}
	regEndpoint, _ := md.JSON["registration_endpoint"].(string)
	if regEndpoint == "" || !slices.Contains(jsonStrings(md.JSON["code_challenge_methods_supported"]), "S256") ||
		md.JSON["authorization_response_iss_parameter_supported"] != true {
		t.Fatalf("metadata lacks what an agent needs: %s", md.Body)
	}
	endpoint := oauth2.Endpoint{
		AuthURL:   md.JSON["authorization_endpoint"].(string),
		TokenURL:  md.JSON["token_endpoint"].(string),
		AuthStyle: oauth2.AuthStyleInParams,
	}

	// 2. Register: a public client, as MCP clients are.
	r := register(t, env, map[string]any{
		"client_name": "Claude-like agent", "redirect_uris": []string{agentRedirect},
		"token_endpoint_auth_method": "none", "scope": "openid offline_access mcp:tools",
	}, initialToken(t, env, 1))
	if r.Status != http.StatusCreated {
		t.Fatalf("register at %s: %d %s", regEndpoint, r.Status, r.Body)
	}
	cfg := &oauth2.Config{ClientID: r.JSON["client_id"].(string), Endpoint: endpoint, RedirectURL: agentRedirect,
		Scopes: []string{"openid", "offline_access", "mcp:tools"}}

	// 3. The person signs in and consents; the agent gets tokens for the
	// MCP server.
	b := env.NewBrowser(t)
	resource := oauth2.SetAuthURLParam("resource", mcpResource)
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword, resource)
	if a.Redirect.Query().Get("iss") != env.URL {
		t.Errorf("the answer's iss %q", a.Redirect.Query().Get("iss"))
	}
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption(), resource)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	f := &fixture{env: env}
	if got := audOf(t, f, tok.AccessToken, mcpResource); !slices.Equal(got, []string{mcpResource}) {
		t.Errorf("aud %v, want the MCP server", got)
	}
	if c := jwtClaims(t, tok.AccessToken); c["scope"] != "openid offline_access mcp:tools" || c["client_id"] != cfg.ClientID {
		t.Errorf("access token claims %v", c)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	next, err := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if got := audOf(t, f, next.AccessToken, mcpResource); !slices.Equal(got, []string{mcpResource}) {
		t.Errorf("refreshed aud %v", got)
	}
}

// TestMetadataDocumentClient: a client whose client_id is the URL of its
// metadata document signs a person in without registering; its consent
// page always asks, says it is unverified and shows the redirect host.
func TestMetadataDocumentClient(t *testing.T) {
	t.Parallel()
	env, cfg := documentClient(t, 300)
	docURL := cfg.ClientID
	b := env.NewBrowser(t)
	for _, tok := range unvettedConsentTwice(t, b, cfg, "Doc Agent") {
		if _, err := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
			t.Fatalf("refresh: %v", err)
		}
	}
	// A redirect URI the document does not list exactly.
	other := *cfg
	other.RedirectURL = "http://127.0.0.1:33418/callback/other"
	wantErrorPage(t, b.Authorize(t, other.AuthCodeURL("state-123456789", pkceOptions()...)))

	// Off: the URL is no client.
	off := servertest.Start(t)
	wantErrorPage(t, off.NewBrowser(t).Authorize(t, (&oauth2.Config{ClientID: docURL, Endpoint: off.Endpoint(), RedirectURL: agentRedirect}).AuthCodeURL("state-123456789", pkceOptions()...)))
}

// documentClient serves the client ID metadata document of "Doc Agent"
// (cached for maxAge seconds) and starts a server with metadata documents
// on and Alice. It returns the server and the client's config, whose
// client ID is the document's URL.
func documentClient(t *testing.T, maxAge int) (*servertest.Env, *oauth2.Config) {
	t.Helper()
	docURL, _ := serveDocument(t, maxAge)
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.ClientMetadataDocuments.Enabled = true
		c.ClientMetadataDocuments.AllowedHTTPHosts = []string{"127.0.0.1"}
	}))
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	return env, documentConfig(env, docURL)
}

// serveDocument serves the client ID metadata document of "Doc Agent"
// (cached for maxAge seconds) on 127.0.0.1 and returns its URL, the
// client's ID, and the number of times it was fetched.
func serveDocument(t *testing.T, maxAge int) (docURL string, fetches *atomic.Int64) {
	t.Helper()
	fetches = new(atomic.Int64)
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", maxAge))
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": docURL, "client_name": "Doc Agent", "redirect_uris": []string{agentRedirect},
			"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
		})
	}))
	t.Cleanup(doc.Close)
	docURL = doc.URL + "/oauth/client-metadata.json"
	return docURL, fetches
}

// documentConfig is the OAuth 2.0 configuration of the document client
// docURL on env.
func documentConfig(env *servertest.Env, docURL string) *oauth2.Config {
	cfg := &oauth2.Config{ClientID: docURL, Endpoint: env.Endpoint(), RedirectURL: agentRedirect, Scopes: []string{"openid", "offline_access"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return cfg
}
