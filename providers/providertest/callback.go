package providertest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Callback opens loginURL at a fake upstream, as the browser would, and
// returns the upstream's redirect back to Gatehouse as the request the
// callback handler would receive.
func Callback(t testing.TB, loginURL string) *http.Request {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(loginURL)
	if err != nil {
		t.Fatalf("providertest: GET %s: %v", loginURL, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		t.Fatalf("providertest: GET %s: %d, want a redirect back", loginURL, resp.StatusCode)
	}
	return httptest.NewRequest(http.MethodGet, loc, nil)
}
