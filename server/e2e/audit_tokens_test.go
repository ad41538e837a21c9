package e2e

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// logBuffer collects a server's log lines, safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTokenAuditEvents: every grant, refresh, revocation and detected
// refresh-token reuse is an audit event naming the client and the user,
// stored and logged, and no token, code, password or secret is in the log.
func TestTokenAuditEvents(t *testing.T) {
	t.Parallel()
	var log logBuffer
	f := newFixture(t, servertest.WithLogger(slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	pw := f.passwordTokens(t, "openid", "offline_access")
	code, auth := f.codeTokens(t, "openid", "offline_access")
	cc, err := (&clientcredentials.Config{ClientID: f.clientID, ClientSecret: f.secret, TokenURL: f.env.URL + "/oauth2/token", Scopes: []string{"api:read"}}).Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	refreshed, err := f.refresh(t, pw.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// The rotated-out refresh token again: reuse, which revokes the family.
	if _, err := f.refresh(t, pw.RefreshToken); err == nil {
		t.Fatal("a used refresh token was accepted")
	}
	f.revoke(t, code.RefreshToken)
	const wrongPassword = "not alices password 9"
	r := post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, wrongPassword), f.clientID, f.secret)
	wantJSONError(t, r, http.StatusBadRequest, "invalid_grant")

	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ typ, grant, user, outcome string }
	got := map[key]int{}
	for _, e := range events {
		if e.ClientID != f.clientID || e.IP != "127.0.0.1" {
			t.Errorf("event %s: client %q ip %q", e.Type, e.ClientID, e.IP)
		}
		grant := e.Details["grant_type"]
		if e.Type == audit.LoginFailure {
			if e.Details["method"] != "password_grant" || e.Details["email"] != aliceEmail {
				t.Errorf("login failure details %v", e.Details)
			}
			grant = "password"
		}
		got[key{e.Type, grant, e.UserID, e.Outcome}]++
	}
	u := f.user.ID
	for _, want := range []key{
		{audit.TokenIssued, "password", u, audit.Success},
		{audit.TokenIssued, "authorization_code", u, audit.Success},
		{audit.TokenIssued, "client_credentials", "", audit.Success},
		{audit.TokenRefreshed, "refresh_token", u, audit.Success},
		{audit.RefreshReuse, "refresh_token", u, audit.Denied},
		{audit.TokenRevoked, "", "", audit.Success},
		{audit.LoginFailure, "password", "", audit.Failure},
	} {
		if got[want] != 1 {
			t.Errorf("%d events %+v, want 1; all: %v", got[want], want, got)
		}
	}

	out := log.String()
	if n := strings.Count(out, `"msg":"audit"`); n < 6 {
		t.Errorf("%d audit log lines, want at least 6:\n%s", n, out)
	}
	secrets := map[string]string{
		"password":              alicePassword,
		"wrong password":        wrongPassword,
		"client secret":         f.secret,
		"code":                  auth.Code,
		"client_credentials AT": cc.AccessToken,
	}
	for name, tok := range map[string]*struct{ at, rt, id string }{
		"password":  {pw.AccessToken, pw.RefreshToken, idToken(pw)},
		"code":      {code.AccessToken, code.RefreshToken, idToken(code)},
		"refreshed": {refreshed.AccessToken, refreshed.RefreshToken, idToken(refreshed)},
	} {
		secrets[name+" access token"], secrets[name+" refresh token"], secrets[name+" id token"] = tok.at, tok.rt, tok.id
	}
	for name, s := range secrets {
		if s == "" {
			continue
		}
		// A JWT's signature part alone is enough to find a logged token.
		part := s[strings.LastIndex(s, ".")+1:]
		if strings.Contains(out, part) {
			t.Errorf("the log contains the %s", name)
		}
	}
}
