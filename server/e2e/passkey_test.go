package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// optionsCall posts body to a passkey options endpoint as the script
// does, with the CSRF token in the header (none when token is "").
func optionsCall(t *testing.T, b *servertest.Browser, env *servertest.Env, path, token, contentType, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set(web.CSRFHeader, token)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp := b.Do(t, req)
	var out map[string]any
	_ = json.Unmarshal(servertest.ReadBody(t, resp), &out)
	return resp, out
}

// TestPasskeyEndpointsBadInput: the passkey endpoints answer bad input
// with a clear 4xx (JSON for the options, the page otherwise), never a
// 500: a missing or wrong CSRF token, another content type, a body that
// is no JSON object or too big, no session, no sign-in waiting for a
// second factor, a cross-site post, a missing, malformed or forged
// answer, and a ceremony used twice.
func TestPasskeyEndpointsBadInput(t *testing.T) {
	env := passkeyServer(t)
	b := env.NewBrowser(t)
	login := servertest.ReadBody(t, b.Get(t, env.URL+"/login"))
	hidden, ok := servertest.HiddenFields(login, "/login/passkey")
	if !ok {
		t.Fatalf("no passkey sign-in form on the login page:\n%s", login)
	}
	if !strings.Contains(string(login), `id="passkey-login"`) || !strings.Contains(string(login), `src="/static/passkey.js"`) ||
		!strings.Contains(string(login), `autocomplete="username webauthn"`) {
		t.Errorf("login page lacks #passkey-login, its script or the autofill hint:\n%s", login)
	}
	token := hidden.Get("csrf_token")
	const json = "application/json"

	for _, tc := range []struct {
		name, path, token, ctype, body string
		status                         int
		code                           string
	}{
		{"no CSRF token", "/login/passkey/options", "", json, "{}", http.StatusForbidden, "csrf"},
		{"wrong CSRF token", "/login/passkey/options", "x" + token, json, "{}", http.StatusForbidden, "csrf"},
		{"form content type", "/login/passkey/options", token, "application/x-www-form-urlencoded", "a=b", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"no content type", "/login/passkey/options", token, "", "{}", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"not JSON", "/login/passkey/options", token, json, "{nope", http.StatusBadRequest, "invalid_request"},
		{"JSON array", "/login/passkey/options", token, json, "[1]", http.StatusBadRequest, "invalid_request"},
		{"too big", "/login/passkey/options", token, json, `{"a":"` + strings.Repeat("x", 4096) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{"register, not signed in", "/account/passkeys/options", token, json, "{}", http.StatusUnauthorized, "not_signed_in"},
		{"second factor, nothing pending", "/login/mfa/passkey/options", token, json, "{}", http.StatusConflict, "no_pending_sign_in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := optionsCall(t, b, env, tc.path, tc.token, tc.ctype, tc.body)
			if resp.StatusCode != tc.status || body["error"] != tc.code || body["error_description"] == "" {
				t.Errorf("%s: %d %v, want %d %q with a description", tc.path, resp.StatusCode, body, tc.status, tc.code)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, json) {
				t.Errorf("content type %q", ct)
			}
		})
	}

	// From another site, even with the token: refused before the handler.
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/login/passkey/options", strings.NewReader("{}"))
	req.Header.Set("Content-Type", json)
	req.Header.Set(web.CSRFHeader, token)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if resp := b.Do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site options request: %d, want 403", resp.StatusCode)
	}

	// The options themselves: a discoverable request, user verification
	// required, for this relying party.
	resp, opts := optionsCall(t, b, env, "/login/passkey/options", token, json, "{}")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("options: %d %v", resp.StatusCode, opts)
	}
	pk, _ := opts["publicKey"].(map[string]any)
	if pk["rpId"] != "localhost" || pk["userVerification"] != "required" || pk["challenge"] == "" || pk["allowCredentials"] != nil {
		t.Errorf("login options %v", opts)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("options cacheable: %q", resp.Header.Get("Cache-Control"))
	}

	// The answers: a form post that shows the login page with what went
	// wrong.
	post := func(form url.Values) *http.Response {
		t.Helper()
		for k, v := range hidden {
			if form.Get(k) == "" {
				form[k] = v
			}
		}
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/login/passkey", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return b.Do(t, req)
	}
	u, _ := url.Parse(env.URL)
	var ceremony *http.Cookie
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "gatehouse_passkey_login" {
			ceremony = c
		}
	}
	if ceremony == nil {
		t.Fatal("no ceremony cookie after the options")
	}
	wantText(t, post(url.Values{"credential": {`{"id":"AAAA","type":"public-key"}`}}), http.StatusBadRequest, web.MsgPasskeyInvalid)
	// The ceremony was spent by that answer: sent again, on any node, it
	// is refused.
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: ceremony.Name, Value: ceremony.Value, Path: "/"}})
	wantText(t, post(url.Values{"credential": {`{"id":"AAAA"}`}}), http.StatusBadRequest, web.MsgPasskeyExpired)
	if resp := post(url.Values{"credential": {""}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no credential: %d, want 400", resp.StatusCode)
	}
	if resp := post(url.Values{"credential": {"{}"}, "csrf_token": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d, want 403", resp.StatusCode)
	}
	// A forged ceremony cookie is no ceremony.
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_passkey_login", Value: "e30.forged", Path: "/"}})
	wantText(t, post(url.Values{"credential": {`{"id":"AAAA"}`}}), http.StatusBadRequest, web.MsgPasskeyExpired)
	// A well-formed answer to a real ceremony that no passkey signed.
	if resp, _ := optionsCall(t, b, env, "/login/passkey/options", token, json, "{}"); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.StatusCode)
	}
	forged := `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA","userHandle":"AAAA"}}`
	if resp := post(url.Values{"credential": {forged}}); resp.StatusCode/100 != 4 {
		t.Errorf("forged assertion: %d, want 4xx", resp.StatusCode)
	}
	wantAudit(t, env, []string{"login.failure/failure"})

	// Signed in: registration answers are refused just as clearly.
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	b.Login(t, b.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	page := servertest.ReadBody(t, b.Get(t, env.URL+web.PathSecurity))
	reg, ok := servertest.HiddenFields(page, "/account/passkeys")
	if !ok || !strings.Contains(string(page), `id="add-passkey"`) {
		t.Fatalf("no passkey registration on the security page:\n%s", page)
	}
	if resp, body := optionsCall(t, b, env, "/account/passkeys/options", reg.Get("csrf_token"), json, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("registration options: %d %v", resp.StatusCode, body)
	}
	reg.Set("name", strings.Repeat("n", 65))
	reg.Set("credential", "{}")
	wantText(t, b.PostForm(t, env.URL+"/account/passkeys", reg), http.StatusBadRequest, web.MsgPasskeyName)
	reg.Set("name", "Key")
	reg.Set("credential", `{"id":"AAAA","type":"public-key","response":{}}`)
	wantText(t, b.PostForm(t, env.URL+"/account/passkeys", reg), http.StatusBadRequest, web.MsgPasskeyInvalid)
	for _, id := range []string{"", "!!!", "QUFB"} {
		resp := b.PostForm(t, env.URL+"/account/passkeys/remove", url.Values{"csrf_token": {reg.Get("csrf_token")}, "passkey": {id}, "password": {alicePassword}})
		if resp.StatusCode >= 500 {
			t.Errorf("remove passkey %q: %d", id, resp.StatusCode)
		}
	}
}

// TestPasskeysNeedAHostName: on an issuer whose host is an IP address
// (the development default) browsers cannot use passkeys, so none are
// offered and their endpoints are not served; the server still starts.
func TestPasskeysNeedAHostName(t *testing.T) {
	env := servertest.Start(t)
	b := env.NewBrowser(t)
	login := string(servertest.ReadBody(t, b.Get(t, env.URL+"/login")))
	if strings.Contains(login, "passkey") {
		t.Errorf("login page offers passkeys on an IP issuer:\n%s", login)
	}
	resp, _ := optionsCall(t, b, env, "/login/passkey/options", "x", "application/json", "{}")
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("passkey endpoint on an IP issuer: %d", resp.StatusCode)
	}
}
