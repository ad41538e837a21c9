package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/providers"
)

// NewFlow returns a login flow with fresh random state, nonce and PKCE
// verifier.
func NewFlow() providers.Flow {
	return providers.Flow{State: "state-" + randomString(), Nonce: "nonce-" + randomString(), CodeVerifier: oauth2.GenerateVerifier()}
}

// Start asks p for its login URL, opens it at the fake upstream as the
// browser would, and returns the login URL's query and the upstream's
// redirect back to Gatehouse as the request the callback handler would
// receive. The state must come back unchanged.
func Start(t testing.TB, p providers.Provider, f providers.Flow) (url.Values, *http.Request) {
	t.Helper()
	raw, err := p.LoginURL(context.Background(), f)
	if err != nil {
		t.Fatalf("providertest: LoginURL: %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("providertest: login URL %q: %v", raw, err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(raw)
	if err != nil {
		t.Fatalf("providertest: GET %s: %v", raw, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		t.Fatalf("providertest: GET %s: %d, want a redirect back", raw, resp.StatusCode)
	}
	back := httptest.NewRequest(http.MethodGet, loc, nil)
	if got := back.URL.Query().Get("state"); got != f.State {
		t.Fatalf("providertest: state %q came back, sent %q", got, f.State)
	}
	return u.Query(), back
}

// Login runs a whole login with p: Start, then p.Callback with f.
func Login(t testing.TB, p providers.Provider, f providers.Flow) (url.Values, providers.Identity, error) {
	t.Helper()
	q, back := Start(t, p, f)
	id, err := p.Callback(context.Background(), back, f)
	return q, id, err
}
