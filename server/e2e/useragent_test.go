package e2e

import (
	"net/http"
	"testing"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// userAgent sets the User-Agent header of every request.
type userAgent struct {
	next http.RoundTripper
	ua   string
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// TestOddUserAgent: a User-Agent that is not UTF-8 (HTTP allows any byte
// from 0x80) does not stop a sign-in, and the audit log still records it,
// on every backend (PostgreSQL refuses such text as it is).
func TestOddUserAgent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.Client.Transport = userAgent{next: http.DefaultTransport, ua: "Odd\xffAgent/1.0"}
	cfg := f.env.OAuth2Config(f.clientID, f.secret, redirectURI, "openid")
	if a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword); a.Code == "" {
		t.Fatal("no code")
	}
	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: audit.LoginSuccess})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].UserAgent != "Odd\uFFFDAgent/1.0" {
		t.Fatalf("login events %+v, want one with the user agent cleaned", events)
	}
	sessions, err := f.env.Store.ListBrowserSessions(t.Context(), f.user.ID, timeNow())
	if err != nil || len(sessions) != 1 || sessions[0].UserAgent != "Odd\uFFFDAgent/1.0" {
		t.Fatalf("browser sessions %+v, %v", sessions, err)
	}
}
