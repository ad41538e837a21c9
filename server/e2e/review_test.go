package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestRefreshCarriesCurrentClaims: a refresh issues tokens with the user's
// roles and name as they are now, not as they were at first issue, so a
// demoted admin loses the role at the next refresh.
func TestRefreshCarriesCurrentClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, _ := f.codeTokens(t, "openid", "profile", "offline_access")
	if c, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID); !slices.Contains(c.Roles, "admin") {
		t.Fatalf("first access token roles %v, want admin", c.Roles)
	}
	err := f.env.Store.UpdateUser(t.Context(), f.user.ID, func(u *storage.User) error {
		u.Roles, u.Name = []string{"user"}, "Alice Demoted"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	next, err := f.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := verifyAccessToken(t, f.env, next.AccessToken, f.clientID); !slices.Equal(c.Roles, []string{"user"}) {
		t.Errorf("refreshed access token roles %v, want [user]", c.Roles)
	}
	_, idc := verifyIDToken(t, f.env, f.clientID, idToken(next))
	if !slices.Equal(idc.Roles, []string{"user"}) || idc.Name == nil || *idc.Name != "Alice Demoted" {
		t.Errorf("refreshed id token roles %v name %v", idc.Roles, idc.Name)
	}
	if roles, _ := f.introspect(t, next.AccessToken)["roles"].([]any); !slices.Equal(roles, []any{"user"}) {
		t.Errorf("introspection roles %v, want [user]", roles)
	}
}

// TestUserInfoRejectsClientTokens: a client-credentials token, even with
// the openid scope, is not a person's token.
func TestUserInfoRejectsClientTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.clientCredentials(t, "openid")
	u := userinfo(t, f.env, http.MethodGet, r.JSON["access_token"].(string))
	if u.Status != http.StatusUnauthorized || !strings.Contains(u.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("userinfo with a client token: %d %q %s", u.Status, u.Header.Get("WWW-Authenticate"), u.Body)
	}
	// A client id shaped like a user id (UUID) is refused at registration,
	// so a client token's subject can never name a person.
	spec := appLikeSpec(f.user.ID)
	if _, _, err := clients.Create(t.Context(), f.env.Store, nil, spec, f.user.CreatedAt); err == nil || !strings.Contains(err.Error(), "UUID") {
		t.Fatalf("UUID-shaped client id: %v", err)
	}
}

// TestUserInfoIgnoresQueryToken: a token in the URL query is not accepted
// (OAuth 2.1: URLs end up in logs).
func TestUserInfoIgnoresQueryToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid")
	r := send(t, f.env, http.MethodGet, "/userinfo?access_token="+url.QueryEscape(tok.AccessToken), "", nil, nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("userinfo with a query token: %d %s", r.Status, r.Body)
	}
	body := send(t, f.env, http.MethodPost, "/userinfo", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"access_token": {tok.AccessToken}}.Encode()), nil)
	if body.Status != http.StatusOK {
		t.Fatalf("userinfo with a form-body token: %d %s", body.Status, body.Body)
	}
}

// TestInvalidClientChallenge: a 401 invalid_client to a client that used
// HTTP Basic carries WWW-Authenticate (RFC 6749 section 5.2), at the token,
// introspection and revocation endpoints.
func TestInvalidClientChallenge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/oauth2/token", url.Values{"grant_type": {"client_credentials"}}},
		{"/oauth2/introspect", url.Values{"token": {"x"}}},
		{"/oauth2/revoke", url.Values{"token": {"x"}}},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := post(t, f.env, c.path, c.form, f.clientID, "wrong-secret-wrong-secret-wrong-secret")
			wantJSONError(t, r, http.StatusUnauthorized, "invalid_client")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate %q, want a Basic challenge", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestRequestObjectNotSupported: an OIDC request object gets
// request_not_supported at the client's redirect URI, not an error page.
func TestRequestObjectNotSupported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, opts := pkce()
	for param, code := range map[string]string{"request": "request_not_supported", "request_uri": "request_uri_not_supported"} {
		t.Run(param, func(t *testing.T) {
			authURL := f.config("openid").AuthCodeURL("state-123456789", append(opts, oauth2.SetAuthURLParam(param, "eyJhbGciOiJub25lIn0.e30."))...)
			resp := f.env.NewBrowser(t).Authorize(t, authURL)
			if q := redirectQuery(t, resp); q.Get("error") != code || q.Get("state") != "state-123456789" {
				t.Fatalf("redirect query %v, want error=%s with the state", q, code)
			}
		})
	}
}

// TestResponseModes: response_mode=query and form_post are honoured (both
// are advertised); fragment is refused for the code flow.
func TestResponseModes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid")

	a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword, oauth2.SetAuthURLParam("response_mode", "query"))
	if _, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption()); err != nil {
		t.Fatalf("response_mode=query: %v", err)
	}

	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword) // sign in and consent once
	verifier := oauth2.GenerateVerifier()
	resp := b.Authorize(t, cfg.AuthCodeURL("state-form-post-1", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("response_mode", "form_post")))
	page := string(servertest.ReadBody(t, resp))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="`+redirectURI+`"`) ||
		!strings.Contains(page, `name="code"`) || !strings.Contains(page, `value="state-form-post-1"`) {
		t.Fatalf("form_post: %d %s", resp.StatusCode, page)
	}
}

// TestPagesValidateFlow: the login and consent pages refuse a flow the
// authorization endpoint would refuse, before showing or asking anything:
// no consent page listing scopes the client may not have, no password
// taken for a forged request.
func TestPagesValidateFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword) // signed in

	_, opts := pkce()
	good, err := url.Parse(f.config("openid").AuthCodeURL("state-123456789", opts...))
	if err != nil {
		t.Fatal(err)
	}
	q := good.Query()
	q.Set("scope", "openid delete_all_your_files")
	forged := q.Encode()

	resp := b.Get(t, f.env.URL+"/consent?flow="+url.QueryEscape(forged))
	if body := string(servertest.ReadBody(t, resp)); resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "delete_all_your_files") {
		t.Errorf("consent with a forged scope: %d, page mentions the scope: %v", resp.StatusCode, strings.Contains(body, "delete_all_your_files"))
	}
	for _, flow := range []string{forged, "garbage", "client_id=nobody&response_type=code"} {
		resp := f.env.NewBrowser(t).Get(t, f.env.URL+"/login?flow="+url.QueryEscape(flow))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("login page for flow %q: %d, want 400", flow, resp.StatusCode)
		}
	}
	if resp := b.Get(t, f.env.URL+"/consent?flow="+url.QueryEscape(good.RawQuery)); resp.StatusCode != http.StatusOK {
		t.Errorf("consent page for a valid flow: %d", resp.StatusCode)
	}
}
