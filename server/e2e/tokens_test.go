package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/clients"
)

// TestPasswordGrant checks the resource-owner password grant: access token,
// an ID token when openid is granted, a refresh token with offline_access.
func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	tok := f.passwordTokens(t, allScopes...)
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("want access and refresh tokens, got %+v", tok)
	}
	idt, c := verifyIDToken(t, f.env, f.clientID, idToken(tok))
	if idt.Subject != f.user.ID || idt.Issuer != f.env.URL || !slices.Contains(idt.Audience, f.clientID) {
		t.Errorf("id_token sub %q iss %q aud %v", idt.Subject, idt.Issuer, idt.Audience)
	}
	if idt.AccessTokenHash == "" {
		t.Errorf("id_token has no at_hash")
	} else if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if c.Email == nil || *c.Email != aliceEmail || c.Name == nil || *c.Name != aliceName {
		t.Errorf("id_token email %v name %v", c.Email, c.Name)
	}
	if !slices.Equal(c.Roles, []string{"admin", "user"}) {
		t.Errorf("id_token roles %v", c.Roles)
	}
	if c.AuthTime == 0 {
		t.Errorf("id_token has no auth_time")
	}
	at, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
	if at.Subject != f.user.ID || at.ClientID != f.clientID || !sameSet(at.Scope, allScopes) {
		t.Errorf("access token sub %q client_id %q scope %q", at.Subject, at.ClientID, at.Scope)
	}

	t.Run("without openid and offline_access", func(t *testing.T) {
		tok := f.passwordTokens(t, "profile")
		if idToken(tok) != "" {
			t.Errorf("id_token issued without openid")
		}
		if tok.RefreshToken != "" {
			t.Errorf("refresh token issued without offline_access")
		}
		at, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
		if at.Scope != "profile" {
			t.Errorf("scope %q, want profile", at.Scope)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		_, err := f.config("openid").PasswordCredentialsToken(t.Context(), aliceEmail, "not the password")
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("unknown user", func(t *testing.T) {
		_, err := f.config("openid").PasswordCredentialsToken(t.Context(), "nobody@example.com", alicePassword)
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("client_secret_post", func(t *testing.T) {
		cfg := f.config("openid")
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		if _, err := cfg.PasswordCredentialsToken(t.Context(), aliceEmail, alicePassword); err != nil {
			t.Fatalf("password grant with client_secret_post: %v", err)
		}
	})
}

// TestPasswordGrantNotAllowed checks that a client not registered for the
// password grant cannot use it.
func TestPasswordGrantNotAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, sec := f.env.CreateClient(t, clients.Spec{ID: "web", RedirectURIs: []string{redirectURI}})
	_, err := f.env.OAuth2Config(id, sec, redirectURI, "openid").PasswordCredentialsToken(t.Context(), aliceEmail, alicePassword)
	wantRetrieveError(t, err, http.StatusBadRequest, "unauthorized_client")
}

// TestClientCredentials checks the client credentials grant: a JWT access
// token about the client itself, for the requested allowed scope.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, sec := f.env.CreateClient(t, clients.Spec{
		ID:         "worker",
		GrantTypes: []string{"client_credentials"},
		Scopes:     []string{"api:read", "api:write"},
	})
	cc := clientcredentials.Config{
		ClientID:     id,
		ClientSecret: sec,
		TokenURL:     f.env.URL + "/oauth2/token",
		Scopes:       []string{"api:read"},
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	if tok.RefreshToken != "" {
		t.Errorf("refresh token issued to client credentials")
	}
	if idToken(tok) != "" {
		t.Errorf("id_token issued to client credentials")
	}
	at, _ := verifyAccessToken(t, f.env, tok.AccessToken, id)
	if at.Subject != id {
		t.Errorf("sub %q, want the client id %q", at.Subject, id)
	}
	if !slices.Equal([]string(at.Audience), []string{id}) {
		t.Errorf("aud %v, want [%s]", at.Audience, id)
	}
	if at.ClientID != id {
		t.Errorf("client_id %q, want %q", at.ClientID, id)
	}
	if at.Scope != "api:read" {
		t.Errorf("scope %q, want api:read", at.Scope)
	}
	if len(at.Roles) != 0 {
		t.Errorf("roles %v in a client token", at.Roles)
	}

	t.Run("scope not allowed", func(t *testing.T) {
		cc := cc
		cc.Scopes = []string{"api:read", "api:admin"}
		_, err := cc.Token(t.Context())
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_scope")
	})

	t.Run("grant not allowed", func(t *testing.T) {
		// "web" is registered for the code grant only.
		wid, wsec := f.env.CreateClient(t, clients.Spec{ID: "web", RedirectURIs: []string{redirectURI}})
		r := post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, wid, wsec)
		wantJSONError(t, r, http.StatusBadRequest, "unauthorized_client")
	})
}
