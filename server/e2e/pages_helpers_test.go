package e2e

import (
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// outbox waits until the file mail driver has written at least n messages
// to rcpt and returns their bodies, oldest first. The mail goes out in the
// background, so this polls; the deadline only turns a hang into a failure.
func outbox(t *testing.T, env *servertest.Env, rcpt string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		bodies := readOutbox(t, env.Config.Mail.Dir, rcpt)
		if len(bodies) >= n {
			return bodies
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: %d message(s) to %s, waited for %d", len(bodies), rcpt, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readOutbox returns the bodies of the .eml files addressed to rcpt.
func readOutbox(t *testing.T, dir, rcpt string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	var bodies []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("outbox: %s is not a message: %v", f, err)
		}
		if strings.Contains(msg.Header.Get("To"), rcpt) {
			bodies = append(bodies, string(raw))
		}
	}
	return bodies
}

// mailLink returns the absolute link to path (e.g. "/reset-password") in a
// mail body, failing t when there is none.
func mailLink(t *testing.T, env *servertest.Env, body, path string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(env.URL+path) + `\?[A-Za-z0-9_%&=.\-]+`)
	link := re.FindString(body)
	if link == "" {
		t.Fatalf("no %s%s link in the mail:\n%s", env.URL, path, body)
	}
	return link
}

// tokenOf returns the token parameter of a mailed link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

// submit fills the form posting to action on page resp with fields and
// posts it, as a browser would (hidden fields included).
func submit(t *testing.T, env *servertest.Env, b *servertest.Browser, resp *http.Response, action string, fields url.Values) *http.Response {
	t.Helper()
	body := servertest.ReadBody(t, resp)
	form, ok := servertest.HiddenFields(body, action)
	if !ok {
		t.Fatalf("no form posting to %s on %s (%d):\n%s", action, resp.Request.URL, resp.StatusCode, body)
	}
	for k, v := range fields {
		form[k] = v
	}
	return b.PostForm(t, env.URL+action, form)
}

// bodyOf returns resp's body as a string.
func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	return string(servertest.ReadBody(t, resp))
}

// wantText fails t unless resp has status and its body contains every
// text (HTML-escaped as html/template writes it).
func wantText(t *testing.T, resp *http.Response, status int, texts ...string) {
	t.Helper()
	body := bodyOf(t, resp)
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d:\n%s", resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, htmlEscape(s)) {
			t.Errorf("%s: page lacks %q:\n%s", resp.Request.URL.Path, s, body)
		}
	}
}

var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }

// timeNow is the wall clock, for store queries that take a time.
func timeNow() time.Time { return time.Now() }

// auditSeen returns the stored audit events as "type/outcome" keys, and
// fails t if any of them holds one of the secrets.
func auditSeen(t *testing.T, env *servertest.Env, secrets ...string) map[string]bool {
	t.Helper()
	events, err := env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Type+"/"+e.Outcome] = true
		for _, v := range e.Details {
			for _, s := range secrets {
				if s != "" && strings.Contains(v, s) {
					t.Errorf("audit event %s holds a secret", e.Type)
				}
			}
		}
	}
	return seen
}

// wantAudit fails t unless every "type/outcome" in want was recorded.
func wantAudit(t *testing.T, env *servertest.Env, want []string, secrets ...string) {
	t.Helper()
	seen := auditSeen(t, env, secrets...)
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no audit event %s (have %v)", w, seen)
		}
	}
}
