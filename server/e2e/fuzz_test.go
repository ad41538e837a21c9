package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// FuzzProtocolEndpoints sends arbitrary bodies, content types, credentials
// and queries to every protocol endpoint: the answer is never a 5xx and
// never leaks internals. The seeds run with the normal tests; run
// `go test -fuzz FuzzProtocolEndpoints ./server/e2e` to search further.
func FuzzProtocolEndpoints(f *testing.F) {
	seeds := []struct {
		path, ct, auth, query, body string
	}{
		{"/oauth2/token", "application/x-www-form-urlencoded", "app", "", "grant_type=password&username=a&password=b"},
		{"/oauth2/token", "application/x-www-form-urlencoded", "app", "", "grant_type=authorization_code&code=%zz"},
		{"/oauth2/token", "multipart/form-data; boundary=x", "", "", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--"},
		{"/oauth2/token", "application/json", "app", "", `{"grant_type":"client_credentials"}`},
		{"/oauth2/token", "application/x-www-form-urlencoded", "app", "", "grant_type=refresh_token&refresh_token=ory_rt_x.y"},
		{"/oauth2/token", "application/x-www-form-urlencoded", "", "", "grant_type=client_credentials&client_id=app&client_secret=%00"},
		{"/oauth2/introspect", "application/x-www-form-urlencoded", "app", "", "token=a.b.c&token_type_hint=refresh_token"},
		{"/oauth2/revoke", "application/x-www-form-urlencoded", "app", "", "token=eyJhbGciOiJub25lIn0.e30.&token_type_hint=access_token"},
		{"/userinfo", "application/x-www-form-urlencoded", "", "", "access_token=eyJ.eyJ.x"},
		{"/oauth2/auth", "", "", "response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid&state=12345678&code_challenge=x&code_challenge_method=S256&max_age=-1&prompt=none+login", ""},
		{"/oauth2/auth", "", "", "client_id=app&response_type=code%20id_token&response_mode=form_post&nonce=1", ""},
		{"/login", "application/x-www-form-urlencoded", "", "flow=%ZZ", "email=a&password=b&flow=%25"},
		{"/consent", "application/x-www-form-urlencoded", "", "flow=client_id%3Dapp", "decision=allow"},
		// Text PostgreSQL cannot hold (a NUL byte, invalid UTF-8) in
		// values that are looked up in storage as they are.
		{"/oauth2/token", "application/x-www-form-urlencoded", "app", "", "grant_type=refresh_token&refresh_token=ory_rt_x.%FF"},
		{"/oauth2/token", "application/x-www-form-urlencoded", "", "", "grant_type=client_credentials&client_id=%00&client_secret=x"},
		{"/oauth2/revoke", "application/x-www-form-urlencoded", "app", "", "token=ory_at_x.%00"},
		{"/oauth2/introspect", "application/x-www-form-urlencoded", "app", "", "token=ory_rt_x.%FF&token_type_hint=refresh_token"},
		{"/oauth2/auth", "", "", "response_type=code&client_id=%FF&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid&state=12345678", ""},
	}
	for _, s := range seeds {
		f.Add(s.path, s.ct, s.auth, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, path, ct, auth, query, body string) {
		switch path {
		case "/oauth2/token", "/oauth2/introspect", "/oauth2/revoke", "/userinfo", "/oauth2/auth", "/login", "/consent":
		default:
			return
		}
		// A fresh server per input (ES256 keys are quick to make), so no
		// input sees another's state.
		fuzzFix := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Keys.Algorithm = "ES256" }))
		method := http.MethodPost
		if body == "" && (path == "/oauth2/auth" || path == "/userinfo") {
			method = http.MethodGet
		}
		req, err := http.NewRequest(method, fuzzFix.env.URL+path+"?"+query, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			req.SetBasicAuth(url.QueryEscape(auth), url.QueryEscape(fuzzFix.secret))
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s body %q: %d %s", method, path, query, body, resp.StatusCode, raw)
		}
		if bytes.Contains(raw, []byte("sql:")) || bytes.Contains(raw, []byte(".go:")) || bytes.Contains(raw, []byte("panic")) {
			t.Fatalf("%s %s leaks internals: %s", method, path, raw)
		}
	})
}
