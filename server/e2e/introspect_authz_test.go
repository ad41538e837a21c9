package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
)

// TestIntrospectionCallerMustAuthenticate is the attack of issue 11 item 1:
// made-up client credentials plus any valid access token in a form
// parameter (or a bearer header) must not buy an answer about another
// token. Only a confidential client proving its secret is heard.
func TestIntrospectionCallerMustAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	victim := f.passwordTokens(t, allScopes...)
	attacker := f.passwordTokens(t, "openid")

	for _, tc := range []struct {
		name       string
		form       url.Values
		user, pass string
		header     string
	}{
		{name: "made-up basic plus access_token parameter",
			form: url.Values{"token": {victim.RefreshToken}, "access_token": {attacker.AccessToken}},
			user: "nobody", pass: "made-up"},
		{name: "real basic plus access_token parameter",
			form: url.Values{"token": {victim.RefreshToken}, "access_token": {attacker.AccessToken}},
			user: f.clientID, pass: f.secret},
		{name: "bearer header",
			form:   url.Values{"token": {victim.AccessToken}},
			header: "Bearer " + attacker.AccessToken},
		{name: "made-up client_secret_post",
			form: url.Values{"token": {victim.AccessToken}, "client_id": {f.clientID}, "client_secret": {"wrong"}}},
		{name: "access_token parameter alone",
			form: url.Values{"token": {victim.AccessToken}, "access_token": {attacker.AccessToken}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, f.env, http.MethodPost, "/oauth2/introspect", "application/x-www-form-urlencoded",
				strings.NewReader(tc.form.Encode()), func(r *http.Request) {
					if tc.user != "" {
						r.SetBasicAuth(tc.user, tc.pass)
					}
					if tc.header != "" {
						r.Header.Set("Authorization", tc.header)
					}
				})
			if r.Status != http.StatusUnauthorized || r.JSON["error"] != "invalid_client" {
				t.Errorf("status %d %s, want 401 invalid_client", r.Status, r.Body)
			}
			if _, ok := r.JSON["active"]; ok || r.JSON["sub"] != nil || r.JSON["username"] != nil {
				t.Errorf("an unauthenticated caller learned about the token: %s", r.Body)
			}
		})
	}
}

// TestIntrospectionAuthorization is the matrix of issue 11 item 2: who may
// ask about which token. A client hears about the tokens issued to it; a
// client registered with introspect_any (a resource server) about any
// token; every other authenticated client gets {"active": false}.
func TestIntrospectionAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, allScopes...)
	otherID, otherSecret := f.env.CreateClient(t, clients.Spec{ID: "other", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}})
	rsID, rsSecret := f.env.CreateClient(t, clients.Spec{ID: "resource-server", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, IntrospectAny: true})
	publicID, _ := f.env.CreateClient(t, clients.Spec{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}})

	type caller struct {
		id, secret string
		post       bool // client_secret_post instead of client_secret_basic
	}
	callers := map[string]caller{
		"owner (basic)":          {id: f.clientID, secret: f.secret},
		"owner (post)":           {id: f.clientID, secret: f.secret, post: true},
		"other client":           {id: otherID, secret: otherSecret},
		"other client (post)":    {id: otherID, secret: otherSecret, post: true},
		"introspect_any (basic)": {id: rsID, secret: rsSecret},
		"introspect_any (post)":  {id: rsID, secret: rsSecret, post: true},
		"owner, wrong secret":    {id: f.clientID, secret: f.secret + "x"},
		"public client":          {id: publicID, post: true},
		"unknown client":         {id: "ghost", secret: "whatever"},
	}
	tokens := map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken}
	// want: 0 = 401 invalid_client, 1 = active, 2 = {"active": false} only.
	want := map[string]int{
		"owner (basic)": 1, "owner (post)": 1,
		"other client": 2, "other client (post)": 2,
		"introspect_any (basic)": 1, "introspect_any (post)": 1,
		"owner, wrong secret": 0, "public client": 0, "unknown client": 0,
	}
	for name, c := range callers {
		for kind, token := range tokens {
			t.Run(name+" asks about "+kind, func(t *testing.T) {
				form := url.Values{"token": {token}}
				user, pass := c.id, c.secret
				if c.post {
					form.Set("client_id", c.id)
					if c.secret != "" {
						form.Set("client_secret", c.secret)
					}
					user, pass = "", ""
				}
				r := post(t, f.env, "/oauth2/introspect", form, user, pass)
				switch want[name] {
				case 0:
					if r.Status != http.StatusUnauthorized || r.JSON["error"] != "invalid_client" {
						t.Errorf("status %d %s, want 401 invalid_client", r.Status, r.Body)
					}
				case 1:
					if r.Status != http.StatusOK || r.JSON["active"] != true || r.JSON["sub"] != f.user.ID {
						t.Errorf("status %d %s, want an active answer", r.Status, r.Body)
					}
				case 2:
					if r.Status != http.StatusOK || r.JSON["active"] != false || len(r.JSON) != 1 {
						t.Errorf("status %d %s, want only {\"active\": false}", r.Status, r.Body)
					}
				}
			})
		}
	}
}
