package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestConsoleAudit: the audit log filtered by type, user (id or email),
// client and time range, paged, and downloaded as JSON lines with the
// same filters.
func TestConsoleAudit(t *testing.T) {
	f := newFixture(t)
	env := f.env
	admin, _, _ := consoleAdmin(t, f)
	bob := env.CreateUser(t, bobEmail, alicePassword, "Bob")
	base := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := range 30 {
		env.Server.Audit.Record(t.Context(), storage.AuditEvent{
			Time: base.Add(time.Duration(i) * time.Minute), Type: audit.TokenIssued, Outcome: audit.Success,
			UserID: bob.ID, ClientID: []string{"app", "other"}[i%2], Details: map[string]string{"n": string(rune('a' + i%26))},
		})
	}
	rows := func(q url.Values) (int, string) {
		t.Helper()
		resp := admin.Get(t, env.URL+"/console/audit?"+q.Encode())
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("audit %s: %d\n%s", q.Encode(), resp.StatusCode, body)
		}
		return strings.Count(body, `<tr class="event">`), body
	}
	n, body := rows(url.Values{"type": {audit.TokenIssued}})
	if n != 25 || !strings.Contains(body, `id="next-page"`) {
		t.Errorf("first page of token.issued: %d rows, next link %v", n, strings.Contains(body, `id="next-page"`))
	}
	if n, body = rows(url.Values{"type": {audit.TokenIssued}, "page": {"2"}}); n != 5 || strings.Contains(body, `id="next-page"`) {
		t.Errorf("second page: %d rows", n)
	}
	if n, _ = rows(url.Values{"user": {bobEmail}, "client": {"other"}}); n != 15 {
		t.Errorf("Bob's events of client other (by email): %d rows, want 15", n)
	}
	if n, _ = rows(url.Values{"user": {bob.ID}, "since": {"2030-01-02T03:10"}, "until": {"2030-01-02T03:20"}}); n != 10 {
		t.Errorf("Bob's events from 03:10 to 03:20: %d rows, want 10", n)
	}
	if n, _ = rows(url.Values{"user": {"nobody@example.com"}}); n != 0 {
		t.Errorf("unknown email: %d rows", n)
	}
	resp := admin.Get(t, env.URL+"/console/audit?since=yesterday")
	wantText(t, resp, http.StatusBadRequest, "Write times like 2026-01-02T15:04 (UTC).")

	resp = admin.Get(t, env.URL+"/console/audit/export?client=app&type="+audit.TokenIssued)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	sc := bufio.NewScanner(strings.NewReader(bodyOf(t, resp)))
	lines := 0
	for sc.Scan() {
		var e manage.EventView
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not an event: %v: %s", lines+1, err, sc.Text())
		}
		if e.ClientID != "app" || e.Type != audit.TokenIssued || e.UserID != bob.ID {
			t.Errorf("exported event outside the filter: %+v", e)
		}
		lines++
	}
	if lines != 15 {
		t.Errorf("exported %d events, want 15", lines)
	}
	// The download is for admins too.
	anon := env.NewBrowser(t)
	if resp := anon.Get(t, env.URL+"/console/audit/export"); resp.Request.URL.Path != "/login" {
		t.Errorf("export signed out: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// TestConsoleDashboardAndKeys: the dashboard counts users, clients and
// active sessions and charts the day's sign-ins; the keys page shows each
// key's state, and rotating (confirmed first) publishes a new one.
func TestConsoleDashboardAndKeys(t *testing.T) {
	f := newFixture(t)
	env := f.env
	admin, _, _ := consoleAdmin(t, f)
	wrong := env.NewBrowser(t)
	wrong.Login(t, wrong.Get(t, env.URL+"/login"), aliceEmail, "wrong password")

	resp := admin.Get(t, env.URL+"/console")
	body := bodyOf(t, resp)
	for _, want := range []string{
		`<span class="stat" id="count-users">1</span>`,
		`<span class="stat" id="count-clients">1</span>`,
		`<span class="stat" id="count-sessions">1</span>`,
		// Alice's sign-in (password step) and the wrong password.
		`1 successful and 1 failed sign-ins since`,
		`<svg class="chart"`, `<rect class="fail"`, audit.LoginFailure,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, body)
		}
	}

	before, err := env.Server.Keys.List(t.Context())
	if err != nil || len(before) != 1 {
		t.Fatalf("keys: %v, %v", before, err)
	}
	wantText(t, admin.Get(t, env.URL+"/console/keys"), http.StatusOK, before[0].ID, "active")
	resp = consoleAction(t, env, admin, "/console/keys", "/console/keys/rotate", nil)
	wantText(t, resp, http.StatusOK, "A new signing key has been published")
	after, _ := env.Server.Keys.List(t.Context())
	if len(after) != 2 {
		t.Fatalf("keys after rotation: %+v", after)
	}
	body = bodyOf(t, resp)
	if !strings.Contains(body, `key-row state-retiring`) || !strings.Contains(body, `key-row state-active`) {
		t.Errorf("key states after rotation (publish_ahead 0: the new key signs at once):\n%s", body)
	}
}
