package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// maxLogLine bounds one log line whatever a request carried.
const maxLogLine = 4096

// TestRequestValuesBoundedInLogs: anonymous requests with a 1 MB value in
// each parameter that ends up in a log line or an error description get a
// bounded answer and bounded log lines; the value, cut, is marked as cut.
func TestRequestValuesBoundedInLogs(t *testing.T) {
	t.Parallel()
	var log logBuffer
	f := newFixture(t, servertest.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	huge := strings.Repeat("A", 1<<20-4096)

	check := func(name string, r apiResponse) {
		t.Helper()
		if len(r.Body) > maxLogLine {
			t.Errorf("%s: %d-byte answer", name, len(r.Body))
		}
		if d, _ := r.JSON["error_description"].(string); len(d) > 1024 {
			t.Errorf("%s: %d-byte error_description", name, len(d))
		}
		if loc, err := url.Parse(r.Header.Get("Location")); err == nil {
			if d := loc.Query().Get("error_description"); len(d) > 1024 {
				t.Errorf("%s: %d-byte error_description in the redirect", name, len(d))
			}
		}
	}
	for _, name := range []string{"grant_type", "scope", "client_id"} {
		form := url.Values{"grant_type": {"client_credentials"}}
		form.Set(name, huge)
		check("token "+name, post(t, f.env, "/oauth2/token", form, "", ""))
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {huge}}
	check("token scope, authenticated", post(t, f.env, "/oauth2/token", form, f.clientID, f.secret))
	base := url.Values{
		"client_id": {f.clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"state-0123456789"}, "code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"},
	}
	for _, name := range []string{"response_type", "response_mode", "scope", "client_id", "prompt", "max_age"} {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set(name, huge)
		check("authorize "+name, postNoRedirect(t, f.env.URL+"/oauth2/auth", form))
	}
	for _, name := range []string{"post_logout_redirect_uri", "client_id", "id_token_hint"} {
		form := url.Values{"client_id": {f.clientID}}
		form.Set(name, huge)
		check("logout "+name, postNoRedirect(t, f.env.URL+"/oauth2/logout", form))
	}

	check("long path", send(t, f.env, http.MethodGet, "/"+strings.Repeat("p", 512<<10), "", nil, nil))

	out := log.String()
	if len(out) > 64<<10 {
		t.Errorf("the log grew by %d bytes", len(out))
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > maxLogLine {
			t.Errorf("%d-byte log line: %.300s…", len(line), line)
		}
	}
	if !strings.Contains(out, "…(cut)") {
		t.Errorf("no value marked as cut in the log:\n%.3000s", out)
	}
}

// TestTokenInWrongParameterNotLogged: a token sent in a parameter that is
// logged (grant_type, scope, client_id, post_logout_redirect_uri) is not
// logged verbatim, nor echoed in the error description.
func TestTokenInWrongParameterNotLogged(t *testing.T) {
	t.Parallel()
	var log logBuffer
	f := newFixture(t, servertest.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	tok := f.passwordTokens(t, "openid", "offline_access")
	for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
		for _, name := range []string{"grant_type", "scope", "client_id"} {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}
			form.Set(name, token)
			r := post(t, f.env, "/oauth2/token", form, f.clientID, f.secret)
			if strings.Contains(string(r.Body), token) {
				t.Errorf("%s: the token is echoed in the answer: %s", name, r.Body)
			}
		}
		form := url.Values{"client_id": {f.clientID}, "post_logout_redirect_uri": {"https://app.example/?t=" + token}}
		postNoRedirect(t, f.env.URL+"/oauth2/logout", form)
		if strings.Contains(log.String(), token) {
			t.Fatalf("a token is logged verbatim:\n%s", log.String())
		}
	}
}

// postNoRedirect posts form and returns the answer without following a
// redirect.
func postNoRedirect(t *testing.T, rawURL string, form url.Values) apiResponse {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(rawURL, form)
	if err != nil {
		t.Fatalf("POST %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
