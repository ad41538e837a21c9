package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newBrowserSession(id, userID string) storage.BrowserSession {
	return storage.BrowserSession{
		ID:        id,
		SID:       "sid-" + id,
		UserID:    userID,
		AuthTime:  t0,
		CreatedAt: t0,
		ExpiresAt: at(time.Hour),
		IP:        "192.0.2.1",
		UserAgent: "Mozilla/5.0 (" + id + ")",
	}
}

var browserSessionTests = []test{
	{"CreateGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		bs := newBrowserSession("bs1", "u1")
		must(t, s.CreateBrowserSession(ctx, bs))
		got, err := s.GetBrowserSession(ctx, "bs1", t0)
		must(t, err)
		wantEqual(t, got, bs)
	}},
	{"Duplicate", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		wantErr(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")), storage.ErrAlreadyExists)
	}},
	{"UnknownUser", func(t *testing.T, s storage.Store) {
		if err := s.CreateBrowserSession(ctxFor(t), newBrowserSession("bs1", "nobody")); err == nil {
			t.Fatal("created a browser session for a missing user")
		}
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		_, err := s.GetBrowserSession(ctxFor(t), "nope", t0)
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"Expired", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		_, err := s.GetBrowserSession(ctx, "bs1", at(time.Hour-time.Second))
		must(t, err)
		_, err = s.GetBrowserSession(ctx, "bs1", at(time.Hour+time.Second))
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"ListUnexpiredOldestFirst", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		newer := newBrowserSession("a-newer", "u1")
		newer.CreatedAt = at(time.Minute)
		older := newBrowserSession("b-older", "u1")
		expired := newBrowserSession("c-expired", "u1")
		expired.ExpiresAt = at(time.Minute)
		for _, bs := range []storage.BrowserSession{newer, older, expired, newBrowserSession("other", "u2")} {
			must(t, s.CreateBrowserSession(ctx, bs))
		}
		got, err := s.ListBrowserSessions(ctx, "u1", at(2*time.Minute))
		must(t, err)
		wantEqual(t, got, []storage.BrowserSession{older, newer})
		got, err = s.ListBrowserSessions(ctx, "nobody", t0)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("sessions of a missing user: %v", got)
		}
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs2", "u1")))
		must(t, s.DeleteBrowserSession(ctx, "bs1"))
		_, err := s.GetBrowserSession(ctx, "bs1", t0)
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.DeleteBrowserSession(ctx, "bs1")) // missing: not an error
		_, err = s.GetBrowserSession(ctx, "bs2", t0)
		must(t, err)
	}},
	{"DeleteUserSessions", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		for _, id := range []string{"a", "b"} {
			must(t, s.CreateBrowserSession(ctx, newBrowserSession(id+"-u1", "u1")))
		}
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("a-u2", "u2")))
		must(t, s.DeleteUserBrowserSessions(ctx, "u1"))
		got, err := s.ListBrowserSessions(ctx, "u1", t0)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("sessions left: %v", got)
		}
		must(t, s.DeleteUserBrowserSessions(ctx, "u1")) // none left: not an error
		_, err = s.GetBrowserSession(ctx, "a-u2", t0)
		must(t, err)
	}},
}

func newConsent(userID, clientID string) storage.Consent {
	return storage.Consent{
		UserID:    userID,
		ClientID:  clientID,
		Scopes:    []string{"openid", "email"},
		GrantedAt: t0,
		ExpiresAt: at(30 * 24 * time.Hour),
	}
}

var consentTests = []test{
	{"SaveGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		mkClient(t, s, "c2")
		c := newConsent("u1", "c1")
		forever := newConsent("u1", "c2")
		forever.ExpiresAt = time.Time{}
		for _, c := range []storage.Consent{c, forever} {
			must(t, s.SaveConsent(ctx, c))
			got, err := s.GetConsent(ctx, c.UserID, c.ClientID)
			must(t, err)
			wantEqual(t, got, c)
		}
	}},
	{"SaveReplaces", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		must(t, s.SaveConsent(ctx, newConsent("u1", "c1")))
		c := newConsent("u1", "c1")
		c.Scopes = []string{"openid", "offline_access"}
		c.GrantedAt = at(time.Hour)
		c.ExpiresAt = time.Time{}
		must(t, s.SaveConsent(ctx, c))
		got, err := s.GetConsent(ctx, "u1", "c1")
		must(t, err)
		wantEqual(t, got, c)
		list, err := s.ListConsents(ctx, "u1")
		must(t, err)
		wantEqual(t, list, []storage.Consent{c})
	}},
	{"UnknownUserOrClient", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		if err := s.SaveConsent(ctx, newConsent("u1", "nope")); err == nil {
			t.Error("saved a consent to a missing client")
		}
		if err := s.SaveConsent(ctx, newConsent("nobody", "c1")); err == nil {
			t.Error("saved a consent of a missing user")
		}
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		_, err := s.GetConsent(ctxFor(t), "u1", "c1")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"ListByClientID", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		for _, id := range []string{"c3", "c1", "c2"} {
			mkClient(t, s, id)
			must(t, s.SaveConsent(ctx, newConsent("u1", id)))
		}
		must(t, s.SaveConsent(ctx, newConsent("u2", "c1")))
		got, err := s.ListConsents(ctx, "u1")
		must(t, err)
		var ids []string
		for _, c := range got {
			if c.UserID != "u1" {
				t.Fatalf("consent of %s listed for u1", c.UserID)
			}
			ids = append(ids, c.ClientID)
		}
		if want := []string{"c1", "c2", "c3"}; !slices.Equal(ids, want) {
			t.Fatalf("got %v, want %v", ids, want)
		}
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		mkClient(t, s, "c2")
		must(t, s.SaveConsent(ctx, newConsent("u1", "c1")))
		must(t, s.SaveConsent(ctx, newConsent("u1", "c2")))
		must(t, s.DeleteConsent(ctx, "u1", "c1"))
		_, err := s.GetConsent(ctx, "u1", "c1")
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.DeleteConsent(ctx, "u1", "c1")) // missing: not an error
		_, err = s.GetConsent(ctx, "u1", "c2")
		must(t, err)
	}},
}
