package admin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
)

func TestClientsCRUD(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)

	r := f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "reports", "name": "Reports", "grant_types": []string{"client_credentials"}, "scopes": []string{"api:read"},
	}, http.StatusCreated)
	sec, _ := r.JSON["client_secret"].(string)
	if len(sec) < 40 || r.JSON["client_id"] != "reports" || r.Header.Get("Location") != "/admin/clients/reports" {
		t.Fatalf("created client: %s", r.Body)
	}
	noSecrets(t, r.Body)
	if _, err := f.ccToken(t, "reports", sec); err != nil {
		t.Errorf("the generated secret does not work: %v", err)
	}

	for name, body := range map[string]any{
		"no id":           map[string]any{"grant_types": []string{"client_credentials"}},
		"bad grant":       map[string]any{"client_id": "x", "grant_types": []string{"implicit"}},
		"http redirect":   map[string]any{"client_id": "x", "redirect_uris": []string{"http://app.example/cb"}},
		"public with cc":  map[string]any{"client_id": "x", "public": true, "grant_types": []string{"client_credentials"}},
		"short secret":    map[string]any{"client_id": "x", "client_secret": "short", "grant_types": []string{"client_credentials"}},
		"secret_hash set": map[string]any{"client_id": "x", "secret_hash": "abc"},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients", body), http.StatusBadRequest, "invalid_request")
		})
	}
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients", map[string]any{"client_id": "reports", "grant_types": []string{"client_credentials"}}),
		http.StatusConflict, "conflict")

	// Reading never shows a secret.
	for _, path := range []string{"/admin/clients/reports", "/admin/clients", "/admin/clients?search=REP"} {
		g := f.ok(t, admin, http.MethodGet, path, nil, http.StatusOK)
		noSecrets(t, g.Body, sec)
		if !strings.Contains(string(g.Body), `"reports"`) {
			t.Errorf("GET %s: %s", path, g.Body)
		}
	}
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/clients/nothing", nil), http.StatusNotFound, "not_found")

	p := f.ok(t, admin, http.MethodPatch, "/admin/clients/reports", map[string]any{"name": "Monthly reports", "scopes": []string{"api:read", "api:write"}}, http.StatusOK)
	if p.JSON["name"] != "Monthly reports" || !sameStrings(p.JSON["scopes"], "api:read", "api:write") || !sameStrings(p.JSON["grant_types"], "client_credentials") {
		t.Errorf("patched: %s", p.Body)
	}
	noSecrets(t, p.Body, sec)
	if p.JSON["introspect_any"] != false {
		t.Errorf("introspect_any before it was set: %s", p.Body)
	}
	// introspect_any registers the client as a resource server.
	if rs := f.ok(t, admin, http.MethodPatch, "/admin/clients/reports", map[string]any{"introspect_any": true}, http.StatusOK); rs.JSON["introspect_any"] != true {
		t.Errorf("patched introspect_any: %s", rs.Body)
	}
	if g := f.ok(t, admin, http.MethodGet, "/admin/clients/reports", nil, http.StatusOK); g.JSON["introspect_any"] != true {
		t.Errorf("introspect_any not stored: %s", g.Body)
	}
	if _, err := f.ccToken(t, "reports", sec, "api:write"); err != nil {
		t.Errorf("the new scope: %v", err)
	}
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/reports", map[string]any{"grant_types": []string{"authorization_code"}}),
		http.StatusBadRequest, "invalid_request") // needs a redirect URI
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/reports", map[string]any{"client_id": "other"}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/reports", map[string]any{}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPatch, "/admin/clients/nothing", map[string]any{"name": "n"}), http.StatusNotFound, "not_found")

	// A new secret, shown once; the old one stops working.
	rot := f.ok(t, admin, http.MethodPost, "/admin/clients/reports/rotate-secret", nil, http.StatusOK)
	newSec, _ := rot.JSON["client_secret"].(string)
	if len(newSec) < 40 || newSec == sec {
		t.Fatalf("rotated: %s", rot.Body)
	}
	if _, err := f.ccToken(t, "reports", sec); !isRetrieveError(err, http.StatusUnauthorized, "invalid_client") {
		t.Errorf("old secret after rotation: %v, want invalid_client", err)
	}
	if _, err := f.ccToken(t, "reports", newSec); err != nil {
		t.Errorf("new secret: %v", err)
	}
	noSecrets(t, f.ok(t, admin, http.MethodGet, "/admin/clients/reports", nil, http.StatusOK).Body, newSec)
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients/nothing/rotate-secret", nil), http.StatusNotFound, "not_found")
	f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{"client_id": "spa", "public": true, "redirect_uris": []string{"https://spa.example/cb"}}, http.StatusCreated)
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients/spa/rotate-secret", nil), http.StatusBadRequest, "invalid_request")

	f.ok(t, admin, http.MethodDelete, "/admin/clients/reports", nil, http.StatusNoContent)
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/clients/reports", nil), http.StatusNotFound, "not_found")
	wantError(t, f.call(t, admin, http.MethodDelete, "/admin/clients/reports", nil), http.StatusNotFound, "not_found")

	for typ, n := range map[string]int{audit.ClientCreated: 2, audit.ClientUpdated: 2, audit.ClientSecretRotated: 1, audit.ClientDeleted: 1} {
		ev := f.events(t, typ)
		if len(ev) != n {
			t.Errorf("%d %s events, want %d", len(ev), typ, n)
			continue
		}
		if ev[len(ev)-1].ClientID != "reports" || ev[0].Details["actor"] != f.admin.ID {
			t.Errorf("%s event %+v", typ, ev[0])
		}
	}
	if ev := f.events(t, audit.ClientUpdated); len(ev) == 1 && ev[0].Details["fields"] != "name scopes" {
		t.Errorf("client.updated fields %q", ev[0].Details["fields"])
	}
	for _, s := range []string{sec, newSec} {
		if strings.Contains(f.logs.String(), s) {
			t.Errorf("a client secret is in the logs")
		}
	}
}

func TestKeys(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	before := f.ok(t, admin, http.MethodGet, "/admin/keys", nil, http.StatusOK)
	r := f.ok(t, admin, http.MethodPost, "/admin/keys/rotate", nil, http.StatusOK)
	kid, _ := r.JSON["id"].(string)
	if kid == "" || strings.Contains(string(r.Body), "private") || strings.Contains(string(r.Body), `"d"`) {
		t.Fatalf("rotated: %s", r.Body)
	}
	after := f.ok(t, admin, http.MethodGet, "/admin/keys", nil, http.StatusOK)
	if n, m := len(before.JSON["keys"].([]any)), len(after.JSON["keys"].([]any)); m != n+1 || !strings.Contains(string(after.Body), kid) {
		t.Errorf("keys before %d, after %d: %s", n, m, after.Body)
	}
	if ev := f.events(t, audit.KeyRotated); len(ev) != 1 || ev[0].Details["kid"] != kid || ev[0].Details["actor"] != f.admin.ID {
		t.Errorf("key events %+v", ev)
	}
	// Tokens signed before the rotation still work.
	f.ok(t, admin, http.MethodGet, "/admin/keys", nil, http.StatusOK)
}

// TestAudit: the audit log is queryable by type, user and time, and every
// admin change is in it and in the logs, with no password or secret.
func TestAudit(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	start := time.Now().UTC().Add(-time.Second)
	u := f.ok(t, admin, http.MethodPost, "/admin/users", map[string]any{"email": "dan@example.com", "password": "dan password 12", "name": "Dan"}, http.StatusCreated)
	id := u.JSON["id"].(string)
	f.ok(t, admin, http.MethodPatch, "/admin/users/"+id, map[string]any{"roles": []string{"admin"}, "disabled": true}, http.StatusOK)
	c := f.ok(t, admin, http.MethodPost, "/admin/clients", map[string]any{"client_id": "cli-app", "grant_types": []string{"client_credentials"}}, http.StatusCreated)
	rot := f.ok(t, admin, http.MethodPost, "/admin/clients/cli-app/rotate-secret", nil, http.StatusOK)
	f.ok(t, admin, http.MethodPost, "/admin/keys/rotate", nil, http.StatusOK)
	f.call(t, f.mustPassword(t, userEmail, userPassword, "openid").AccessToken, http.MethodGet, "/admin/users", nil)

	all := f.ok(t, admin, http.MethodGet, "/admin/audit?limit=1000", nil, http.StatusOK)
	var list struct {
		Events []struct {
			ID      int64             `json:"id"`
			Time    time.Time         `json:"time"`
			Type    string            `json:"type"`
			Outcome string            `json:"outcome"`
			UserID  string            `json:"user_id"`
			Details map[string]string `json:"details"`
		} `json:"events"`
	}
	if err := json.Unmarshal(all.Body, &list); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, e := range list.Events {
		types[e.Type] = true
		// Token events (the test's own sign-ins) have no acting admin.
		if e.Type != audit.PermissionDenied && e.Type != audit.TokenIssued && e.Details["actor"] != f.admin.ID {
			t.Errorf("event %s without the acting admin: %+v", e.Type, e)
		}
	}
	want := []string{audit.UserCreated, audit.RolesChanged, audit.UserDisabled, audit.ClientCreated, audit.ClientSecretRotated, audit.KeyRotated, audit.PermissionDenied}
	logs := f.logs.String()
	for _, typ := range want {
		if !types[typ] {
			t.Errorf("no %s event in /admin/audit", typ)
		}
		if !strings.Contains(logs, `"msg":"audit"`) || !strings.Contains(logs, `"type":"`+typ+`"`) {
			t.Errorf("no %s audit line in the logs", typ)
		}
	}
	for _, s := range []string{"dan password 12", adminPassword, userPassword, admin, c.JSON["client_secret"].(string), rot.JSON["client_secret"].(string), f.secret} {
		if strings.Contains(logs, s) || strings.Contains(string(all.Body), s) {
			t.Errorf("a password, token or secret is in the logs or the audit log")
		}
	}

	// Filters.
	byType := f.ok(t, admin, http.MethodGet, "/admin/audit?type="+audit.RolesChanged, nil, http.StatusOK)
	if ev := byType.JSON["events"].([]any); len(ev) != 1 || ev[0].(map[string]any)["user_id"] != id {
		t.Errorf("type filter: %s", byType.Body)
	}
	byUser := f.ok(t, admin, http.MethodGet, "/admin/audit?user="+id, nil, http.StatusOK)
	if ev := byUser.JSON["events"].([]any); len(ev) != 3 { // created, roles, disabled
		t.Errorf("user filter: %s", byUser.Body)
	}
	byClient := f.ok(t, admin, http.MethodGet, "/admin/audit?client=cli-app", nil, http.StatusOK)
	if ev := byClient.JSON["events"].([]any); len(ev) != 2 { // created, secret rotated
		t.Errorf("client filter: %s", byClient.Body)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if ev := f.ok(t, admin, http.MethodGet, "/admin/audit?since="+future, nil, http.StatusOK).JSON["events"].([]any); len(ev) != 0 {
		t.Errorf("%d events since %s", len(ev), future)
	}
	if ev := f.ok(t, admin, http.MethodGet, "/admin/audit?until="+start.Format(time.RFC3339Nano), nil, http.StatusOK).JSON["events"].([]any); len(ev) != 0 {
		t.Errorf("%d events until %s", len(ev), start)
	}
	if ev := f.ok(t, admin, http.MethodGet, "/admin/audit?since="+start.Format(time.RFC3339)+"&limit=2&offset=1", nil, http.StatusOK).JSON["events"].([]any); len(ev) != 2 {
		t.Errorf("paged: %d events", len(ev))
	}
	for _, q := range []string{"since=yesterday", "until=2026-13-01T00:00:00Z", "limit=-1"} {
		wantError(t, f.call(t, admin, http.MethodGet, "/admin/audit?"+q, nil), http.StatusBadRequest, "invalid_request")
	}
}

// TestErrorsAreJSON: routing and body errors are JSON too.
func TestErrorsAreJSON(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/nothing", nil), http.StatusNotFound, "not_found")
	wantError(t, f.call(t, admin, http.MethodPut, "/admin/users", map[string]any{}), http.StatusMethodNotAllowed, "invalid_request")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.env.URL+"/admin/users", strings.NewReader("email=a@example.com"))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body: status %d, want 415", resp.StatusCode)
	}
}

// TestTextThatCannotBeStored: text no backend can store (a NUL byte; JSON
// decoding turns invalid UTF-8 into U+FFFD, but \u0000 stays) is a 400,
// never a 500, and a search or id holding it finds nothing.
func TestTextThatCannotBeStored(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	path := "/admin/users/" + f.user.ID
	wantError(t, f.call(t, admin, http.MethodPatch, path, map[string]any{"name": "Bob\x00"}), http.StatusBadRequest, "invalid_request")
	// The pages' name rules hold here too: no line breaks, at most 200 characters.
	wantError(t, f.call(t, admin, http.MethodPatch, path, map[string]any{"name": "Bob\nSmith"}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPatch, path, map[string]any{"name": strings.Repeat("x", 201)}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/users", map[string]any{"email": "new@example.com", "name": "N\x00"}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "app", "name": "App\x00", "redirect_uris": []string{redirectURI},
	}), http.StatusBadRequest, "invalid_request")
	wantError(t, f.call(t, admin, http.MethodGet, "/admin/users/a%00b", nil), http.StatusNotFound, "not_found")
	for _, q := range []string{"/admin/users?search=%00", "/admin/users?search=%FF", "/admin/clients?search=%00", "/admin/audit?type=%00&user=%FF"} {
		f.ok(t, admin, http.MethodGet, q, nil, http.StatusOK)
	}
	if u, err := f.env.Store.GetUser(t.Context(), f.user.ID); err != nil || u.Name != "Bob" {
		t.Errorf("user after the refused change: %+v, %v", u, err)
	}
}
