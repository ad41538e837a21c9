package e2e

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// wantErrorPage checks that resp is the server's own HTML error page for an
// authorization request, with status 400, and that it redirects nowhere.
func wantErrorPage(t *testing.T, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("Location %q: an unverified request must not redirect", loc)
	}
	if resp.Request.URL.Path != "/oauth2/auth" {
		t.Errorf("the browser was sent on to %s", resp.Request.URL)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" {
		t.Errorf("Content-Type %q, want an HTML page", resp.Header.Get("Content-Type"))
	}
}

// wantClientError checks that resp sends the browser back to the client
// with the OAuth2 error code and the state, and without a code.
func wantClientError(t *testing.T, resp *http.Response, code, state string) {
	t.Helper()
	q := redirectQuery(t, resp)
	if q.Get("error") != code {
		t.Errorf("error %q (%s), want %q", q.Get("error"), q.Get("error_description"), code)
	}
	if q.Get("state") != state {
		t.Errorf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("code") != "" {
		t.Errorf("a code came with the error")
	}
}

// TestAuthorizeRequestErrors checks the authorization endpoint's refusals:
// requests it cannot trust get an error page, others go back to the client
// with an error, and none of them shows the login page.
func TestAuthorizeRequestErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, opts := pkce()

	t.Run("unregistered redirect_uri", func(t *testing.T) {
		for _, uri := range []string{
			"https://evil.example/callback",
			"https://app.example/callback/other",
			"https://app.example/callback?next=https://evil.example",
			"https://app.example.evil.example/callback",
		} {
			cfg := f.env.OAuth2Config(f.clientID, f.secret, uri, "openid")
			resp := f.env.NewBrowser(t).Authorize(t, cfg.AuthCodeURL(servertest.RandomString(t), opts...))
			wantErrorPage(t, resp)
			if strings.Contains(resp.Header.Get("Location"), "evil") {
				t.Errorf("redirected to %s", resp.Header.Get("Location"))
			}
		}
	})

	t.Run("unknown client_id", func(t *testing.T) {
		cfg := f.env.OAuth2Config("no-such-client", "", redirectURI, "openid")
		wantErrorPage(t, f.env.NewBrowser(t).Authorize(t, cfg.AuthCodeURL(servertest.RandomString(t), opts...)))
	})

	t.Run("no code_challenge", func(t *testing.T) {
		state := servertest.RandomString(t)
		resp := f.env.NewBrowser(t).Authorize(t, f.config("openid").AuthCodeURL(state))
		wantClientError(t, resp, "invalid_request", state)
	})

	t.Run("code_challenge_method plain", func(t *testing.T) {
		state := servertest.RandomString(t)
		v := oauth2.GenerateVerifier()
		resp := f.env.NewBrowser(t).Authorize(t, f.config("openid").AuthCodeURL(state,
			oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain")))
		wantClientError(t, resp, "invalid_request", state)
	})

	t.Run("code_challenge without method", func(t *testing.T) {
		// The method defaults to plain (RFC 7636 section 4.3).
		state := servertest.RandomString(t)
		resp := f.env.NewBrowser(t).Authorize(t, f.config("openid").AuthCodeURL(state,
			oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier())))
		wantClientError(t, resp, "invalid_request", state)
	})

	t.Run("state shorter than 8 characters", func(t *testing.T) {
		resp := f.env.NewBrowser(t).Authorize(t, f.config("openid").AuthCodeURL("short", opts...))
		wantClientError(t, resp, "invalid_request", "short")
	})

	t.Run("response_type token", func(t *testing.T) {
		state := servertest.RandomString(t)
		u := f.config("openid").AuthCodeURL(state, opts...)
		u = strings.Replace(u, "response_type=code", "response_type=token", 1)
		resp := f.env.NewBrowser(t).Authorize(t, u)
		if servertest.OnPage(resp, "/login") {
			t.Fatalf("the implicit flow reached the login page")
		}
		q := redirectQuery(t, resp)
		if q.Get("error") == "" || q.Get("code") != "" || q.Get("access_token") != "" {
			t.Errorf("response_type=token: redirect query %v, want an error", q)
		}
	})

	t.Run("scope not allowed", func(t *testing.T) {
		state := servertest.RandomString(t)
		resp := f.env.NewBrowser(t).Authorize(t, f.config("openid", "admin:everything").AuthCodeURL(state, opts...))
		wantClientError(t, resp, "invalid_scope", state)
	})

	t.Run("client without the code grant", func(t *testing.T) {
		id, sec := f.env.CreateClient(t, clients.Spec{
			ID: "pw-only", GrantTypes: []string{"password"}, RedirectURIs: []string{redirectURI},
		})
		state := servertest.RandomString(t)
		resp := f.env.NewBrowser(t).Authorize(t, f.env.OAuth2Config(id, sec, redirectURI, "openid").AuthCodeURL(state, opts...))
		if servertest.OnPage(resp, "/login") {
			t.Fatalf("a client without the code grant reached the login page")
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			q := redirectQuery(t, resp)
			if q.Get("error") == "" || q.Get("code") != "" {
				t.Errorf("redirect query %v, want an error", q)
			}
		} else if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want an error redirect or 400", resp.StatusCode)
		}
	})
}

// TestCodeExchangeErrors checks the token endpoint's refusals for the code
// grant.
func TestCodeExchangeErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid", "offline_access")
	flow := func(t *testing.T) servertest.Authorization {
		t.Helper()
		return f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	}

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		a := flow(t)
		_, err := cfg.Exchange(t.Context(), a.Code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		// No downgrade (fosite PR #883): the same code without any verifier
		// fails too. fosite calls that invalid_request, as for a request
		// that never had a challenge.
		_, err = cfg.Exchange(t.Context(), a.Code)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest {
			t.Errorf("after a wrong verifier, redeeming the code without one: %v, want a 400 error", err)
		}
	})

	t.Run("no PKCE verifier", func(t *testing.T) {
		a := flow(t)
		_, err := cfg.Exchange(t.Context(), a.Code)
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("code replay revokes the tokens", func(t *testing.T) {
		a := flow(t)
		tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
		if err != nil {
			t.Fatalf("first exchange: %v", err)
		}
		if !f.active(t, tok.AccessToken) {
			t.Fatalf("access token inactive before the replay")
		}
		_, err = cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		if f.active(t, tok.AccessToken) {
			t.Errorf("access token from the first exchange is still active after the replay")
		}
		if f.active(t, tok.RefreshToken) {
			t.Errorf("refresh token from the first exchange is still active after the replay")
		}
		_, err = f.refresh(t, tok.RefreshToken)
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		if r := userinfo(t, f.env, http.MethodGet, tok.AccessToken); r.Status != http.StatusUnauthorized {
			t.Errorf("userinfo with a replayed code's token: %d", r.Status)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		a := flow(t)
		bad := *cfg
		bad.ClientSecret = f.secret + "x"
		_, err := bad.Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusUnauthorized, "invalid_client")

		bad.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		_, err = bad.Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusUnauthorized, "invalid_client")

		// Failed client authentication does not burn the code.
		if _, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption()); err != nil {
			t.Errorf("exchange with the right secret after failures: %v", err)
		}
	})

	t.Run("unknown client", func(t *testing.T) {
		a := flow(t)
		other := *cfg
		other.ClientID = "no-such-client"
		_, err := other.Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("code of another client", func(t *testing.T) {
		a := flow(t)
		id, sec := f.env.CreateClient(t, appLikeSpec("other"))
		_, err := f.env.OAuth2Config(id, sec, redirectURI).Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("different redirect_uri", func(t *testing.T) {
		a := flow(t)
		other := *cfg
		other.RedirectURL = "https://app.example/elsewhere"
		_, err := other.Exchange(t.Context(), a.Code, a.VerifierOption())
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("garbage code", func(t *testing.T) {
		_, err := cfg.Exchange(t.Context(), "garbage", oauth2.VerifierOption(oauth2.GenerateVerifier()))
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	})
}

// TestTokenEndpointErrors checks unsupported grants and malformed requests
// at the token, introspection and revocation endpoints: always a 4xx with
// a JSON error, never a 500.
func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	for _, g := range []string{"urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit", "magic"} {
		t.Run("grant_type "+g, func(t *testing.T) {
			r := post(t, f.env, "/oauth2/token", url.Values{"grant_type": {g}}, f.clientID, f.secret)
			wantJSONError(t, r, http.StatusBadRequest, "unsupported_grant_type")
		})
	}

	t.Run("GET", func(t *testing.T) {
		r := send(t, f.env, http.MethodGet, "/oauth2/token?grant_type=client_credentials", "", nil, nil)
		if r.Status < 400 || r.Status >= 500 || r.JSON == nil {
			t.Errorf("GET /oauth2/token: %d %s, want a 4xx JSON error", r.Status, r.Body)
		}
	})

	huge := "grant_type=client_credentials&token=x&pad=" + strings.Repeat("a", 1<<20+1024)
	bodies := []struct {
		name, contentType string
		body              []byte
	}{
		{"garbage", "application/x-www-form-urlencoded", []byte("%zz&&==%%;\x00\xff grant_type")},
		{"json", "application/json", []byte(`{"grant_type":"client_credentials","token":"x"}`)},
		{"no content type", "", []byte("grant_type=client_credentials&token=x")},
		{"empty", "application/x-www-form-urlencoded", nil},
		{"huge", "application/x-www-form-urlencoded", []byte(huge)},
		{"multipart garbage", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nnot a part")},
	}
	for _, path := range []string{"/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"} {
		for _, b := range bodies {
			for _, auth := range []bool{true, false} {
				name := strings.TrimPrefix(path, "/oauth2/") + " " + b.name
				if !auth {
					name += " unauthenticated"
				}
				t.Run(name, func(t *testing.T) {
					var body io.Reader = bytes.NewReader(b.body)
					if b.body == nil {
						body = nil
					}
					r := send(t, f.env, http.MethodPost, path, b.contentType, body, func(r *http.Request) {
						if auth {
							r.SetBasicAuth(f.clientID, f.secret)
						}
					})
					if r.Status < 400 || r.Status >= 500 {
						t.Errorf("status %d, want 4xx; body %.300s", r.Status, r.Body)
					}
					if r.JSON == nil {
						t.Fatalf("body is not a JSON object (Content-Type %q): %.300s", r.Header.Get("Content-Type"), r.Body)
					}
					if e, _ := r.JSON["error"].(string); e == "" {
						t.Errorf("JSON without an error code: %.300s", r.Body)
					}
				})
			}
		}
	}
}
