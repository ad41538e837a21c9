package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// authCodeFlow runs one whole authorization-code flow as a new browser
// would (its own cookie jar): authorize, login, consent when asked, then
// the client redeems the code with its PKCE verifier.
func (a *api) authCodeFlow(ctx context.Context) (int, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return 0, err
	}
	base, err := url.Parse(a.t.URL)
	if err != nil {
		return 0, err
	}
	browser := &http.Client{
		Transport: a.client.Transport,
		Jar:       jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != base.Host || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	verifier := oauth2.GenerateVerifier()
	q := url.Values{
		"response_type": {"code"}, "client_id": {a.t.ClientID}, "redirect_uri": {benchRedirect},
		"scope": {"openid"}, "state": {randomHex()}, "nonce": {randomHex()},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	resp, body, err := browse(ctx, browser, http.MethodGet, a.t.URL+oauth.PathAuthorize+"?"+q.Encode(), nil)
	if err != nil {
		return statusOf(err, 0), err
	}
	for _, step := range []struct{ action, field, value string }{
		{"/login", "", ""}, {"/consent", "decision", "allow"},
	} {
		if !servertest.OnPage(resp, step.action) {
			continue
		}
		form, ok := servertest.HiddenFields(body, step.action)
		if !ok {
			return resp.StatusCode, fmt.Errorf("no %s form", step.action)
		}
		if step.action == "/login" {
			form.Set("email", a.t.Username)
			form.Set("password", a.t.Password)
		} else {
			form.Set(step.field, step.value)
		}
		if resp, body, err = browse(ctx, browser, http.MethodPost, a.t.URL+step.action, form); err != nil {
			return statusOf(err, 0), err
		}
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), benchRedirect+"?") || loc.Query().Get("code") == "" {
		return resp.StatusCode, fmt.Errorf("authorize: no code (status %d at %s)", resp.StatusCode, resp.Request.URL.Path)
	}
	status, _, err := a.token(ctx, url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {benchRedirect}, "code_verifier": {verifier},
	})
	return status, err
}

// browse sends one browser request, following redirects on the server.
func browse(ctx context.Context, c *http.Client, method, rawURL string, form url.Values) (*http.Response, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 400 {
		return resp, page, &statusError{resp.StatusCode}
	}
	return resp, page, nil
}

// statusError is an HTTP failure in the middle of a flow.
type statusError struct{ status int }

func (e *statusError) Error() string { return fmt.Sprintf("status %d", e.status) }

// statusOf returns the status an error carries, else fallback.
func statusOf(err error, fallback int) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return fallback
}

// randomHex returns 16 random bytes in hex (state, nonce).
func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
