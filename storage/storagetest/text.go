package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// badTexts are strings PostgreSQL cannot hold as text; request input
// (a form field, a query parameter, a header, a JSON string) can carry
// either.
var badTexts = []struct{ name, s string }{
	{"NUL", "a\x00b@example.com"},
	{"InvalidUTF8", "a\xffb@example.com"},
}

// textTests pin what every backend does with such text: lookups find
// nothing, writes fail with storage.ErrInvalid, audit events and browser
// sessions are stored cleaned.
var textTests = []test{
	{"LookupsFindNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		for _, b := range badTexts {
			t.Run(b.name, func(t *testing.T) {
				lookups := map[string]error{}
				_, lookups["GetUser"] = s.GetUser(ctx, b.s)
				_, lookups["GetUserByEmail"] = s.GetUserByEmail(ctx, b.s)
				_, lookups["GetClient"] = s.GetClient(ctx, b.s)
				_, lookups["GetBrowserSession"] = s.GetBrowserSession(ctx, b.s, t0)
				_, lookups["GetConsent"] = s.GetConsent(ctx, "u1", b.s)
				_, lookups["GetIdentity"] = s.GetIdentity(ctx, "github", b.s)
				_, lookups["GetTokenSession"] = s.GetTokenSession(ctx, storage.KindRefreshToken, b.s)
				_, lookups["GetOneTimeToken"] = s.GetOneTimeToken(ctx, storage.PurposePasswordReset, b.s, t0)
				_, lookups["ConsumeOneTimeToken"] = s.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, b.s, t0)
				lookups["UpdateUser"] = s.UpdateUser(ctx, b.s, func(*storage.User) error { return nil })
				lookups["DeleteUser"] = s.DeleteUser(ctx, b.s)
				lookups["DeactivateTokenSession"] = s.DeactivateTokenSession(ctx, storage.KindRefreshToken, b.s)
				for name, err := range lookups {
					if !errors.Is(err, storage.ErrNotFound) {
						t.Errorf("%s: got %v, want ErrNotFound", name, err)
					}
				}
				if n, _, err := s.GetCounter(ctx, b.s, t0); err != nil || n != 0 {
					t.Errorf("GetCounter: %d, %v; want 0, nil", n, err)
				}
				must(t, s.DeleteTokenSession(ctx, storage.KindRefreshToken, b.s))
				must(t, s.RevokeSubjectTokens(ctx, b.s, ""))
				users, err := s.ListUsers(ctx, storage.ListOptions{Search: b.s})
				must(t, err)
				clients, err := s.ListClients(ctx, storage.ListOptions{Search: b.s})
				must(t, err)
				events, err := s.ListAuditEvents(ctx, storage.AuditFilter{Type: b.s, UserID: b.s})
				must(t, err)
				if len(users)+len(clients)+len(events) != 0 {
					t.Errorf("listings matched: %d users, %d clients, %d events", len(users), len(clients), len(events))
				}
			})
		}
	}},
	{"WritesRefused", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		for _, b := range badTexts {
			t.Run(b.name, func(t *testing.T) {
				u := newUser("u-" + b.name)
				u.Email = b.s
				wantErr(t, s.CreateUser(ctx, u), storage.ErrInvalid)
				u = newUser("u-" + b.name)
				u.Name = b.s
				wantErr(t, s.CreateUser(ctx, u), storage.ErrInvalid)
				wantErr(t, s.UpdateUser(ctx, "u1", func(u *storage.User) error {
					u.Name = b.s
					return nil
				}), storage.ErrInvalid)
				c := newClient("c-" + b.name)
				c.Name = b.s
				wantErr(t, s.CreateClient(ctx, c), storage.ErrInvalid)
				got, err := s.GetUser(ctx, "u1")
				must(t, err)
				wantEqual(t, got, newUser("u1"))
			})
		}
	}},
	{"AuditAndSessionsCleaned", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		bs := newBrowserSession("bs1", "u1")
		bs.UserAgent, bs.IP = "agent\xff\x00/1", "192.0.2.1\x00"
		must(t, s.CreateBrowserSession(ctx, bs))
		got, err := s.GetBrowserSession(ctx, "bs1", t0)
		must(t, err)
		if got.UserAgent != "agent\uFFFD/1" || got.IP != "192.0.2.1" {
			t.Errorf("session stored user agent %q, IP %q", got.UserAgent, got.IP)
		}
		must(t, s.AppendAuditEvent(ctx, storage.AuditEvent{
			Time: t0, Type: "login_failure", Outcome: "failure", UserAgent: "x\x00\xfe",
			Details: map[string]string{"email": "a\x00b\xff@example.com", "k\x00": "v"},
		}))
		events, err := s.ListAuditEvents(ctx, storage.AuditFilter{Since: t0.Add(-time.Second)})
		must(t, err)
		if len(events) != 1 {
			t.Fatalf("%d events stored, want 1", len(events))
		}
		e := events[0]
		if e.UserAgent != "x\uFFFD" || e.Details["email"] != "ab\uFFFD@example.com" || e.Details["k"] != "v" {
			t.Errorf("event stored as %+v", e)
		}
	}},
}
