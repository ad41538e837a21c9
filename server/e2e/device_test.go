package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// tvSpec is a public device client (a TV app) registered for the device
// grant and refresh tokens.
func tvSpec(id string) clients.Spec {
	return clients.Spec{ID: id, Name: "Living Room TV", Public: true,
		GrantTypes: []string{deviceGrant, "refresh_token"}, Scopes: allScopes}
}

// deviceStart asks for a device code for the public client id.
func deviceStart(t *testing.T, env *servertest.Env, id, scope string) map[string]any {
	t.Helper()
	resp := post(t, env, "/oauth2/device/auth", url.Values{"client_id": {id}, "scope": {scope}}, "", "")
	if resp.Status != http.StatusOK || resp.JSON == nil {
		t.Fatalf("device authorization: %d %s", resp.Status, resp.Body)
	}
	return resp.JSON
}

// devicePoll polls the token endpoint once as the public client id.
func devicePoll(t *testing.T, env *servertest.Env, id, deviceCode string) apiResponse {
	t.Helper()
	return post(t, env, "/oauth2/token", url.Values{"grant_type": {deviceGrant}, "client_id": {id}, "device_code": {deviceCode}}, "", "")
}

// deviceDecide signs Alice in from verification_uri_complete and answers
// the /device page with decision.
func deviceDecide(t *testing.T, env *servertest.Env, complete, decision string) *http.Response {
	t.Helper()
	b := env.NewBrowser(t)
	page := b.Get(t, complete)
	if !servertest.OnPage(page, "/login") {
		t.Fatalf("/device without a session: %d at %s, want the login page", page.StatusCode, page.Request.URL)
	}
	page = b.Login(t, page, aliceEmail, alicePassword)
	if !servertest.OnPage(page, "/device") {
		t.Fatalf("after login: %d at %s, want back on /device", page.StatusCode, page.Request.URL)
	}
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, page), "/device")
	if !ok || form.Get("user_code") == "" {
		t.Fatalf("no confirmation form on /device: %s", servertest.ReadBody(t, page))
	}
	form.Set("decision", decision)
	return b.PostForm(t, env.URL+"/device", form)
}

func TestDeviceFlow(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Second) }))
	id, _ := f.env.CreateClient(t, tvSpec("tv"))
	start := deviceStart(t, f.env, id, "openid email offline_access")
	code, _ := start["device_code"].(string)
	userCode, _ := start["user_code"].(string)
	complete, _ := start["verification_uri_complete"].(string)
	if len(userCode) != 9 || userCode[4] != '-' || strings.Trim(strings.ReplaceAll(userCode, "-", ""), "BCDFGHJKLMNPQRSTVWXZ") != "" {
		t.Errorf("user code %q is not XXXX-XXXX of the consonant alphabet", userCode)
	}
	if start["verification_uri"] != f.env.URL+"/device" || start["interval"] != float64(1) || start["expires_in"] != float64(600) {
		t.Errorf("device answer %v", start)
	}
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "authorization_pending")

	done := deviceDecide(t, f.env, complete, "allow")
	if done.StatusCode != http.StatusOK || !strings.Contains(string(servertest.ReadBody(t, done)), "device-done") {
		t.Fatalf("allow: %d %s", done.StatusCode, servertest.ReadBody(t, done))
	}
	// The last poll was just now: wait the interval out, as a device does.
	f.waitInterval(t, code)
	tok := devicePoll(t, f.env, id, code)
	if tok.Status != http.StatusOK {
		t.Fatalf("poll after approval: %d %s", tok.Status, tok.Body)
	}
	at, _ := tok.JSON["access_token"].(string)
	claims, _ := verifyAccessToken(t, f.env, at, id)
	if claims.Subject != f.user.ID {
		t.Errorf("access token subject %q, want Alice %q", claims.Subject, f.user.ID)
	}
	if tok.JSON["refresh_token"] == nil || tok.JSON["id_token"] == nil {
		t.Errorf("want a refresh token and an ID token: %s", tok.Body)
	}
	_, idc := verifyIDToken(t, f.env, id, tok.JSON["id_token"].(string))
	if idc.Email == nil || *idc.Email != aliceEmail {
		t.Errorf("ID token email %v", idc.Email)
	}
	// The refresh token works.
	rt := post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "refresh_token": {tok.JSON["refresh_token"].(string)}}, "", "")
	if rt.Status != http.StatusOK {
		t.Errorf("refresh a device grant: %d %s", rt.Status, rt.Body)
	}
	// Single use: the code is spent, and its user code no longer matches.
	f.waitInterval(t, code)
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "invalid_grant")
	b := f.env.NewBrowser(t)
	again := b.Login(t, b.Get(t, complete), aliceEmail, alicePassword)
	if body := string(servertest.ReadBody(t, again)); again.StatusCode != http.StatusBadRequest || !strings.Contains(body, "user-code-error") {
		t.Errorf("a used user code again: %d %s", again.StatusCode, body)
	}
	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: "device.approved"})
	if err != nil || len(events) != 1 || events[0].UserID != f.user.ID || events[0].ClientID != id {
		t.Errorf("device.approved audit events %+v (%v)", events, err)
	}
}

// waitInterval sleeps until the device code may be polled again. Sleeping
// longer than needed is harmless; the test never relies on being fast.
func (f *fixture) waitInterval(t *testing.T, code string) {
	t.Helper()
	d, err := f.env.Store.GetDeviceCode(t.Context(), secret.SHA256Hex(code))
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Until(d.LastPolledAt.Add(d.Interval)); wait > 0 {
		time.Sleep(wait + 50*time.Millisecond)
	}
}

func TestDeviceDeniedExpiredWrongClient(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Second) }))
	id, _ := f.env.CreateClient(t, tvSpec("tv"))
	other, _ := f.env.CreateClient(t, tvSpec("radio"))

	denied := deviceStart(t, f.env, id, "openid")
	deviceDecide(t, f.env, denied["verification_uri_complete"].(string), "deny")
	wantJSONError(t, devicePoll(t, f.env, id, denied["device_code"].(string)), http.StatusBadRequest, "access_denied")

	start := deviceStart(t, f.env, id, "openid")
	code := start["device_code"].(string)
	wantJSONError(t, devicePoll(t, f.env, other, code), http.StatusBadRequest, "invalid_grant")
	wantJSONError(t, devicePoll(t, f.env, id, "not-a-device-code"), http.StatusBadRequest, "invalid_grant")
	// Expire it (the clock moves on): expired_token.
	err := f.env.Store.UpdateDeviceCode(t.Context(), secret.SHA256Hex(code), func(d *storage.DeviceCode) error {
		d.ExpiresAt = time.Now().Add(-time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "expired_token")

	// A client without the grant, and a scope the client lacks.
	wantJSONError(t, post(t, f.env, "/oauth2/device/auth", url.Values{"client_id": {f.clientID}}, f.clientID, f.secret), http.StatusBadRequest, "unauthorized_client")
	wantJSONError(t, post(t, f.env, "/oauth2/device/auth", url.Values{"client_id": {id}, "scope": {"api:read"}}, "", ""), http.StatusBadRequest, "invalid_scope")
}

// TestDeviceApprovalEndsWithReset: a device code approved and not yet
// redeemed when the person resets their password (say, approved by
// someone who had it) gets access_denied after the reset, not tokens
// that would outlive it.
func TestDeviceApprovalEndsWithReset(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Second) }))
	id, _ := f.env.CreateClient(t, tvSpec("tv"))
	start := deviceStart(t, f.env, id, "openid offline_access")
	code := start["device_code"].(string)
	deviceDecide(t, f.env, start["verification_uri_complete"].(string), "allow")

	b := f.env.NewBrowser(t)
	submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {aliceEmail}})
	resp := b.Get(t, mailLink(t, f.env, outbox(t, f.env, aliceEmail, 1)[0], "/reset-password"))
	resp = submit(t, f.env, b, resp, "/reset-password", url.Values{"password": {"a brand new password 42"}})
	wantText(t, resp, http.StatusOK, "Password changed")
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "access_denied")
}

// TestDeviceSlowDownOnEveryNode: polling faster than the interval gets
// slow_down and 5 more seconds for that device code, kept in the database,
// so a second server on the same database enforces it too.
func TestDeviceSlowDownOnEveryNode(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Minute) }))
	id, _ := f.env.CreateClient(t, tvSpec("tv"))
	code := deviceStart(t, f.env, id, "openid")["device_code"].(string)
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "authorization_pending")
	wantJSONError(t, devicePoll(t, f.env, id, code), http.StatusBadRequest, "slow_down")
	node2 := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Database, c.Secret = f.env.Config.Database, f.env.Config.Secret
		c.Device.Interval = server.Duration(time.Minute)
	}))
	wantJSONError(t, devicePoll(t, node2, id, code), http.StatusBadRequest, "slow_down")
	d, err := f.env.Store.GetDeviceCode(context.Background(), secret.SHA256Hex(code))
	if err != nil {
		t.Fatal(err)
	}
	if d.Interval != time.Minute+10*time.Second {
		t.Errorf("interval after two slow_downs %s, want 1m10s", d.Interval)
	}
}

// TestDeviceUserCodeGuessing: wrong user codes are audited and, past the
// per-IP budget, refused with 429.
func TestDeviceUserCodeGuessing(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.RateLimit.IPAttempts = 3 }))
	b := f.env.NewBrowser(t)
	page := b.Get(t, f.env.URL+"/device")
	page = b.Login(t, page, aliceEmail, alicePassword)
	if !servertest.OnPage(page, "/device") {
		t.Fatalf("after login: %d at %s", page.StatusCode, page.Request.URL)
	}
	form, _ := servertest.HiddenFields(servertest.ReadBody(t, page), "/device")
	var last *http.Response
	for _, guess := range []string{"BCDF-GHJK", "bcdf ghjl", "XXXX-XXXX", "BCDF-GHJM"} {
		form.Set("user_code", guess)
		last = b.PostForm(t, f.env.URL+"/device", form)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth guess: %d, want 429 with Retry-After", last.StatusCode)
	}
	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: "device.user_code_failure"})
	if err != nil || len(events) != 3 || events[0].UserID != f.user.ID || events[0].IP == "" {
		t.Errorf("user code failures audited: %+v (%v)", events, err)
	}
}

// TestGrantsOff: with device, par, dpop and token_exchange off, none is
// served or advertised, and their grant types are unsupported.
func TestGrantsOff(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Device.Enabled, c.PAR.Enabled, c.DPoP.Enabled, c.TokenExchange.Enabled = false, false, false, false
	}))
	d := send(t, f.env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	for _, k := range []string{"device_authorization_endpoint", "pushed_authorization_request_endpoint", "dpop_signing_alg_values_supported"} {
		if _, ok := d.JSON[k]; ok {
			t.Errorf("discovery has %s with the grant off", k)
		}
	}
	for _, g := range d.JSON["grant_types_supported"].([]any) {
		if g == deviceGrant || g == "urn:ietf:params:oauth:grant-type:token-exchange" {
			t.Errorf("grant_types_supported lists %s with the grant off", g)
		}
	}
	for _, g := range []string{deviceGrant, "urn:ietf:params:oauth:grant-type:token-exchange"} {
		wantJSONError(t, post(t, f.env, "/oauth2/token", url.Values{"grant_type": {g}}, f.clientID, f.secret), http.StatusBadRequest, "unsupported_grant_type")
	}
	if r := post(t, f.env, "/oauth2/device/auth", url.Values{"client_id": {f.clientID}}, "", ""); r.Status != http.StatusNotFound {
		t.Errorf("device endpoint with the grant off: %d", r.Status)
	}
	if r := post(t, f.env, "/oauth2/par", url.Values{"client_id": {f.clientID}}, f.clientID, f.secret); r.Status != http.StatusNotFound {
		t.Errorf("PAR endpoint with PAR off: %d", r.Status)
	}
	if r := send(t, f.env, http.MethodGet, "/device", "", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("/device with the grant off: %d", r.Status)
	}
	// A code cannot be bound to a DPoP key with DPoP off: refused, not
	// issued unbound.
	authURL := f.config("openid").AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("dpop_jkt", newDPoPKey(t).jkt))
	if q := redirectQuery(t, f.env.NewBrowser(t).Authorize(t, authURL)); q.Get("error") != "invalid_request" {
		t.Errorf("dpop_jkt with DPoP off: redirect %v, want invalid_request", q)
	}
}
