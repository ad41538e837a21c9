package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// fakePasskeys is a factor kind registered from outside package mfa, as
// the passkeys feature does.
type fakePasskeys struct{ users map[string]bool }

func (fakePasskeys) Kind() string { return mfa.KindPasskey }
func (f fakePasskeys) Factors(_ context.Context, userID string) ([]mfa.Factor, error) {
	if !f.users[userID] {
		return nil, nil
	}
	return []mfa.Factor{{Kind: mfa.KindPasskey, ID: "cred-1", Name: "Laptop", ACR: mfa.ACRPhishingResistant}}, nil
}
func (f fakePasskeys) RemoveAll(_ context.Context, userID string) error {
	delete(f.users, userID)
	return nil
}

// TestSecondFactorHooks drives the hooks another factor kind uses: a
// registered kind counts as a second factor (the password leads to
// /login/mfa, which shows the passkey block), Pending and Complete finish
// the sign-in with a session at acr phr, ConfirmIdentity checks the
// password, and a security-page section renders from its own template.
func TestSecondFactorHooks(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "section_demo.html"),
		[]byte(`{{define "section_demo"}}<section id="demo-section">{{.Hello}}</section>{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TemplatesDir = dir }))
	user := env.CreateUser(t, "pat@example.com", "pat password 123", "Pat")
	env.Server.MFA.Registry.Register(fakePasskeys{users: map[string]bool{user.ID: true}})
	sf := server.Pages(env.Server).SecondFactor
	sf.AddSecuritySection(web.SecuritySection{
		Template: "section_demo",
		Data: func(_ *http.Request, cur session.Current, csrf string) (any, error) {
			return struct{ Hello string }{"hello " + cur.User.Name}, nil
		},
		Scripts: []string{"/static/demo.js"},
	})

	b := env.NewBrowser(t)
	resp := b.Login(t, b.Get(t, env.URL+"/login"), "pat@example.com", "pat password 123")
	body := string(servertest.ReadBody(t, resp))
	if !servertest.OnPage(resp, "/login/mfa") || !strings.Contains(body, `id="passkey-mfa"`) {
		t.Fatalf("after the password: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}

	// The passkey feature's handler: Pending, then Complete.
	base, _ := url.Parse(env.URL)
	req := httptest.NewRequest(http.MethodPost, env.URL+"/login/passkey", nil)
	for _, c := range b.Client.Jar.Cookies(base) {
		req.AddCookie(c)
	}
	p, err := sf.Pending(req)
	if err != nil || p.User.ID != user.ID || p.StepUp || len(p.Factors) != 1 || p.Factors[0].Method != "pwd" {
		t.Fatalf("Pending = %+v, %v", p, err)
	}
	rec := httptest.NewRecorder()
	sf.Complete(rec, req, p, mfa.KindPasskey, mfa.AMRHardwareKey, mfa.AMRUser)
	if rec.Code != http.StatusOK {
		t.Fatalf("Complete answered %d", rec.Code)
	}
	sessions, err := env.Store.ListBrowserSessions(t.Context(), user.ID, time.Now())
	if err != nil || len(sessions) != 1 || sessions[0].ACR != "phr" || len(sessions[0].Factors) != 3 {
		t.Fatalf("sessions %+v, %v: want one at phr with pwd hwk user", sessions, err)
	}
	// The browser takes the new session cookie.
	b.Client.Jar.SetCookies(base, rec.Result().Cookies())
	resp = b.Get(t, env.URL+"/account/security")
	body = string(servertest.ReadBody(t, resp))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<section id="demo-section">hello Pat</section>`) ||
		!strings.Contains(body, `<script src="/static/demo.js" defer></script>`) {
		t.Fatalf("security page (%d) lacks the section or its script:\n%s", resp.StatusCode, body)
	}

	// ConfirmIdentity: the password, or not.
	cur := session.Current{User: user}
	for pw, want := range map[string]error{"pat password 123": nil, "wrong password": web.ErrNotConfirmed} {
		r := httptest.NewRequest(http.MethodPost, env.URL+"/x", strings.NewReader(url.Values{"password": {pw}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_ = r.ParseForm()
		if err := sf.ConfirmIdentity(r, cur); !errors.Is(err, want) {
			t.Errorf("ConfirmIdentity(%q) = %v, want %v", pw, err, want)
		}
	}
	// The registered kind is what an admin reset removes.
	if err := env.Server.MFA.Registry.RemoveAll(t.Context(), user.ID); err != nil {
		t.Fatal(err)
	}
	if has, _ := env.Server.MFA.Registry.HasSecondFactor(t.Context(), user.ID); has {
		t.Error("RemoveAll left the registered kind")
	}
}
