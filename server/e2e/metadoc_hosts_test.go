package e2e

import (
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestMetadataDocumentHosts: an operator limits which hosts' metadata
// documents are clients (client_metadata_documents.allowed_hosts and
// blocked_hosts). A document on a host that is not accepted is never
// fetched, and a client stored from it before is refused everywhere: no
// new flow, no refresh of the tokens it holds.
func TestMetadataDocumentHosts(t *testing.T) {
	t.Parallel()
	docURL, fetches := serveDocument(t, 3600)
	db, sec := sharedDatabase(t), secret.Token(32)
	start := func(allowed, blocked []string) (*servertest.Env, *oauth2.Config) {
		env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
			c.Database, c.Secret = db, sec
			c.ClientMetadataDocuments.Enabled = true
			c.ClientMetadataDocuments.AllowedHTTPHosts = []string{"127.0.0.1"}
			c.ClientMetadataDocuments.AllowedHosts = allowed
			c.ClientMetadataDocuments.BlockedHosts = blocked
		}))
		return env, documentConfig(env, docURL)
	}
	refresh := func(cfg *oauth2.Config, tok *oauth2.Token) error {
		_, err := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		return err
	}

	env, cfg := start([]string{"127.0.0.1", "*.example.com"}, []string{"bad.example.com"})
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	rsID, rsSecret := env.CreateClient(t, clients.Spec{ID: "resource-server", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, IntrospectAny: true})
	toks := unvettedConsentTwice(t, env.NewBrowser(t), cfg, "Doc Agent")
	active := func(env *servertest.Env) any {
		return post(t, env, "/oauth2/introspect", url.Values{"token": {toks[1].AccessToken}}, rsID, rsSecret).JSON["active"]
	}
	if a := active(env); a != true {
		t.Fatalf("introspection of the client's access token: %v", a)
	}
	env.Stop()

	for _, tc := range []struct {
		name             string
		allowed, blocked []string
	}{
		{"blocked", nil, []string{"127.0.0.1"}},
		{"not allowed", []string{"*.example.com", "127.0.0.2"}, nil},
		{"allowed but blocked", []string{"127.0.0.1"}, []string{"127.0.0.1"}},
	} {
		env, cfg := start(tc.allowed, tc.blocked)
		before := fetches.Load()
		wantErrorPage(t, env.NewBrowser(t).Authorize(t, cfg.AuthCodeURL("state-123456789", pkceOptions()...)))
		if n := fetches.Load() - before; n != 0 {
			t.Errorf("%s: the document was fetched %d times", tc.name, n)
		}
		if err := refresh(cfg, toks[0]); err == nil {
			t.Errorf("%s: the client's refresh token still works", tc.name)
		}
		if a := active(env); a != false {
			t.Errorf("%s: the client's access token introspects as active: %v", tc.name, a)
		}
		env.Stop()
	}

	// Accepted again: the stored client and its tokens work.
	env, cfg = start([]string{"127.0.0.1"}, []string{"*.example.com"})
	if a := active(env); a != true {
		t.Errorf("introspection once the host is accepted again: %v", a)
	}
	if err := refresh(cfg, toks[1]); err != nil {
		t.Fatalf("refresh once the host is accepted again: %v", err)
	}
	unvettedConsentTwice(t, env.NewBrowser(t), cfg, "Doc Agent")
}
