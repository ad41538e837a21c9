package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

const (
	mcpResource = "https://mcp.example.com/mcp"
	apiResource = "https://api.example.com"
	ownAudience = "https://own.example.com/api"
)

// resourceFixture is a server with two configured resources (the MCP
// one accepts mcp:tools only) and the "app" client allowed mcp:tools and
// its own audience.
func resourceFixture(t *testing.T) *fixture {
	t.Helper()
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Resources = []server.ResourceConfig{{URI: mcpResource, Scopes: []string{"mcp:tools"}}, {URI: apiResource}}
	}))
	spec := appLikeSpec("app")
	spec.Scopes = append(spec.Scopes, "mcp:tools")
	spec.Audience = []string{ownAudience}
	id, sec := env.CreateClient(t, spec)
	user := env.CreateUser(t, aliceEmail, alicePassword, aliceName, "user")
	return &fixture{env: env, clientID: id, secret: sec, user: user}
}

// audOf returns the aud of a verified access token.
func audOf(t *testing.T, f *fixture, raw string, some string) []string {
	t.Helper()
	verifyAccessToken(t, f.env, raw, some)
	var out []string
	switch a := jwtClaims(t, raw)["aud"].(type) {
	case string:
		out = []string{a}
	case []any:
		for _, v := range a {
			out = append(out, v.(string))
		}
	}
	slices.Sort(out)
	return out
}

// TestResourceIndicators: RFC 8707 at the authorization and token
// endpoints.
func TestResourceIndicators(t *testing.T) {
	t.Parallel()
	f := resourceFixture(t)
	b := f.env.NewBrowser(t)

	// One resource, asked at both endpoints: aud is exactly it.
	cfg := f.config("openid", "mcp:tools", "offline_access")
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword, oauth2.SetAuthURLParam("resource", mcpResource))
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption(), oauth2.SetAuthURLParam("resource", mcpResource))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if got := audOf(t, f, tok.AccessToken, mcpResource); !slices.Equal(got, []string{mcpResource}) {
		t.Errorf("aud %v, want [%s]", got, mcpResource)
	}

	// Two resources; the exchange narrows to one; refreshes narrow from
	// the whole grant, which the refresh token keeps.
	cfg = f.config("openid", "offline_access")
	authURL := func(extra ...string) (string, string) {
		verifier, opts := pkce()
		u := cfg.AuthCodeURL("state-123456789", opts...)
		for _, r := range extra {
			u += "&resource=" + url.QueryEscape(r)
		}
		return u, verifier
	}
	u, verifier := authURL(mcpResource, apiResource)
	q := redirectQuery(t, b.Authorize(t, u))
	tok, err = cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", apiResource))
	if err != nil {
		t.Fatalf("exchange narrowing to one resource: %v", err)
	}
	if got := audOf(t, f, tok.AccessToken, apiResource); !slices.Equal(got, []string{apiResource}) {
		t.Errorf("narrowed exchange: aud %v", got)
	}
	refresh := func(rt string, resource ...string) apiResponse {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": resource}
		return post(t, f.env, "/oauth2/token", form, f.clientID, f.secret)
	}
	r := refresh(tok.RefreshToken, mcpResource)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh to the other resource: %d %s", r.Status, r.Body)
	}
	if got := audOf(t, f, r.JSON["access_token"].(string), mcpResource); !slices.Equal(got, []string{mcpResource}) {
		t.Errorf("refresh narrowed: aud %v", got)
	}
	r = refresh(r.JSON["refresh_token"].(string))
	if got := audOf(t, f, r.JSON["access_token"].(string), mcpResource); !slices.Equal(got, []string{apiResource, mcpResource}) {
		t.Errorf("refresh without resource: aud %v, want both", got)
	}
	wantJSONError(t, refresh(r.JSON["refresh_token"].(string), ownAudience), http.StatusBadRequest, "invalid_target")

	// A code's exchange may not name a resource its authorization did not.
	u, verifier = authURL(apiResource)
	q = redirectQuery(t, b.Authorize(t, u))
	_, err = cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", mcpResource))
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_target")

	// The client's own audience may be asked for.
	u, verifier = authURL(ownAudience)
	q = redirectQuery(t, b.Authorize(t, u))
	tok, err = cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("own audience: %v", err)
	}
	if got := audOf(t, f, tok.AccessToken, ownAudience); !slices.Equal(got, []string{ownAudience}) {
		t.Errorf("own audience: aud %v", got)
	}
}

// TestResourceRefused: what may not be asked for is invalid_target (or
// invalid_scope for a scope the resource does not accept), at the
// client's redirect URI or as a token error.
func TestResourceRefused(t *testing.T) {
	t.Parallel()
	f := resourceFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	for _, c := range []struct {
		resource string
		scopes   []string
		want     string
	}{
		{"https://unknown.example.com", []string{"openid"}, "invalid_target"},
		{mcpResource + "/sub", []string{"openid"}, "invalid_target"},
		{mcpResource + "#frag", []string{"openid"}, "invalid_target"},
		{"relative/path", []string{"openid"}, "invalid_target"},
		{mcpResource, []string{"openid", "api:read"}, "invalid_scope"},
	} {
		u, _ := f.authURL(t, c.scopes, oauth2.SetAuthURLParam("resource", c.resource))
		q := redirectQuery(t, b.Authorize(t, u))
		if q.Get("error") != c.want || q.Get("iss") != f.env.URL {
			t.Errorf("resource %q scopes %v: %v, want %s", c.resource, c.scopes, q, c.want)
		}
	}
	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("resource", apiResource), oauth2.SetAuthURLParam("audience", apiResource))
	if q := redirectQuery(t, b.Authorize(t, u)); q.Get("error") != "invalid_request" {
		t.Errorf("resource and audience: %v", q)
	}

	cc := func(resource ...string) apiResponse {
		form := url.Values{"grant_type": {"client_credentials"}, "resource": resource, "scope": {"mcp:tools"}}
		return post(t, f.env, "/oauth2/token", form, f.clientID, f.secret)
	}
	r := cc(apiResource)
	if r.Status != http.StatusOK {
		t.Fatalf("client credentials for a resource: %d %s", r.Status, r.Body)
	}
	if got := audOf(t, f, r.JSON["access_token"].(string), apiResource); !slices.Equal(got, []string{apiResource}) {
		t.Errorf("client credentials: aud %v", got)
	}
	r = cc(apiResource, mcpResource)
	if got := audOf(t, f, r.JSON["access_token"].(string), apiResource); !slices.Equal(got, []string{apiResource, mcpResource}) {
		t.Errorf("client credentials for two: aud %v", got)
	}
	wantJSONError(t, cc("https://unknown.example.com"), http.StatusBadRequest, "invalid_target")
	wantJSONError(t, cc("not a uri"), http.StatusBadRequest, "invalid_target")

	// A resource with a scope list takes only those scopes, also next to
	// one without a list, and also when named with fosite's audience
	// parameter, which matches exactly, not by URL prefix.
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {mcpResource, apiResource}, "scope": {"api:read"}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", form, f.clientID, f.secret), http.StatusBadRequest, "invalid_scope")
	form = url.Values{"grant_type": {"client_credentials"}, "audience": {mcpResource}, "scope": {"api:read"}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", form, f.clientID, f.secret), http.StatusBadRequest, "invalid_scope")
	for _, aud := range []string{mcpResource + "/sub", apiResource + "/anything"} {
		form = url.Values{"grant_type": {"client_credentials"}, "audience": {aud}}
		if r := post(t, f.env, "/oauth2/token", form, f.clientID, f.secret); r.Status == http.StatusOK {
			t.Errorf("audience %q under a configured resource was granted: %s", aud, r.Body)
		}
	}
}
