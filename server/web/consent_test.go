package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// signedIn returns a browser signed in as alice (without a flow).
func (e *env) signedIn() *http.Client {
	e.t.Helper()
	c := e.browser()
	if resp, _ := e.signIn(c, "alice@example.com", alicePassword, ""); resp.StatusCode != http.StatusOK {
		e.t.Fatalf("sign in: status %d", resp.StatusCode)
	}
	return c
}

func TestConsentRequiresSession(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	resp, _ := e.get(c, consentPath(testFlow))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET: status %d, want 303", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Location"), loginPath(testFlow); got != want {
		t.Errorf("GET: Location %q, want %q", got, want)
	}

	token := e.formToken(c, "/login")
	resp, _ = e.post(c, "/consent", url.Values{CSRFField: {token}, "flow": {testFlow}, "decision": {"allow"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loginPath(testFlow) {
		t.Errorf("POST: status %d location %q, want 303 to login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := len(e.resumer.Calls()); n != 0 {
		t.Errorf("Resume called %d times without a session", n)
	}
}

func TestConsentPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn()

	resp, body := e.get(c, consentPath(testFlow))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"Example App",
		"alice@example.com",
		"<li>Confirm your identity</li>",
		"<li>Your name</li>",
		"<li>Your email address</li>",
		"<li>Stay signed in to this app (refresh tokens)</li>",
		"<li>read:things</li>",
		`name="decision" value="allow"`,
		`name="decision" value="deny"`,
		`method="post" action="/consent"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if got := hiddenValue(t, body, "flow"); got != testFlow {
		t.Errorf("flow = %q, want %q", got, testFlow)
	}
	if hiddenValue(t, body, CSRFField) == "" {
		t.Error("no csrf_token")
	}
	if !strings.Contains(body, `href="/login?flow=`) {
		t.Error("no switch-account link keeping the flow")
	}

	t.Run("escapes the client name", func(t *testing.T) {
		resp, body := e.get(c, consentPath(flowFor("evil", "openid <b>bold</b>")))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "<b>") {
			t.Errorf("markup from the client name or scope reached the page:\n%s", body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("escaped client name missing:\n%s", body)
		}
	})
	t.Run("falls back to the client id", func(t *testing.T) {
		_, body := e.get(c, consentPath(flowFor("noname-client", "openid")))
		if !strings.Contains(body, `<span class="client">noname-client</span>`) {
			t.Errorf("client id not shown:\n%s", body)
		}
	})

	errs := []struct {
		name   string
		path   string
		status int
		msg    string
	}{
		{"unknown client", consentPath(flowFor("nope", "openid")), http.StatusBadRequest, MsgUnknownClient},
		{"no flow", "/consent", http.StatusBadRequest, MsgInvalidRequest},
		{"no client_id", consentPath("scope=openid"), http.StatusBadRequest, MsgInvalidRequest},
		{"unparsable flow", consentPath("%zz"), http.StatusBadRequest, MsgInvalidRequest},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(c, tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(body, esc(tt.msg)) {
				t.Errorf("body lacks %q:\n%s", tt.msg, body)
			}
		})
	}
}

func TestConsentDecision(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn()
	token := e.formToken(c, consentPath(testFlow))

	for _, d := range []signin.Decision{signin.DecisionAllow, signin.DecisionDeny} {
		t.Run(string(d), func(t *testing.T) {
			before := len(e.resumer.Calls())
			resp, _ := e.post(c, "/consent", url.Values{CSRFField: {token}, "flow": {testFlow}, "decision": {string(d)}})
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want the resumer's 302", resp.StatusCode)
			}
			calls := e.resumer.Calls()
			if len(calls) != before+1 {
				t.Fatalf("Resume called %d times, want 1", len(calls)-before)
			}
			want := resumeCall{Flow: testFlow, Step: signin.Step{Consent: d}, UserEmail: "alice@example.com"}
			if got := calls[len(calls)-1]; got != want {
				t.Errorf("Resume got %+v, want %+v", got, want)
			}
		})
	}

	bad := []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"invalid decision", url.Values{CSRFField: {token}, "flow": {testFlow}, "decision": {"maybe"}}, http.StatusBadRequest, MsgInvalidRequest},
		{"no decision", url.Values{CSRFField: {token}, "flow": {testFlow}}, http.StatusBadRequest, MsgInvalidRequest},
		{"no flow", url.Values{CSRFField: {token}, "decision": {"allow"}}, http.StatusBadRequest, MsgInvalidRequest},
		{"no csrf token", url.Values{"flow": {testFlow}, "decision": {"allow"}}, http.StatusForbidden, MsgCSRF},
		{"bad csrf token", url.Values{CSRFField: {token + "x"}, "flow": {testFlow}, "decision": {"allow"}}, http.StatusForbidden, MsgCSRF},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.resumer.Calls())
			resp, body := e.post(c, "/consent", tt.form)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(body, esc(tt.msg)) {
				t.Errorf("body lacks %q:\n%s", tt.msg, body)
			}
			if n := len(e.resumer.Calls()) - before; n != 0 {
				t.Errorf("Resume called %d times", n)
			}
		})
	}
}

// TestConsentAuditsOnlyValidRequests: a consent answer for a flow the
// authorization endpoint refuses is not recorded as a consent (nor
// resumed); a valid one is recorded with the checked client and scopes.
func TestConsentAuditsOnlyValidRequests(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Audit = audit.New(o.Clients.(storage.Store), nil) })
	c := e.signedIn()
	token := e.formToken(c, consentPath(testFlow))
	forged := url.Values{"client_id": {""}, "scope": {"admin everything"}}.Encode()
	resp, body := e.post(c, "/consent", url.Values{CSRFField: {token}, "flow": {forged}, "decision": {"allow"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgInvalidRequest)) {
		t.Errorf("forged flow: %d, want 400", resp.StatusCode)
	}
	events := func() []storage.AuditEvent {
		ev, err := e.store.ListAuditEvents(context.Background(), storage.AuditFilter{Type: audit.ConsentGranted})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if ev := events(); len(ev) != 0 {
		t.Fatalf("a refused flow was audited as consent: %+v", ev)
	}
	if resp, _ := e.post(c, "/consent", url.Values{CSRFField: {token}, "flow": {testFlow}, "decision": {"allow"}}); resp.StatusCode != http.StatusFound {
		t.Fatalf("valid flow: %d", resp.StatusCode)
	}
	if ev := events(); len(ev) != 1 || ev[0].ClientID != "app" || ev[0].Details["scope"] != "openid profile email offline_access read:things" {
		t.Fatalf("consent events: %+v", ev)
	}
}
