package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// mkLogoutClient creates client id with a back-channel logout URI (none
// when uri is "").
func mkLogoutClient(t *testing.T, s storage.Store, id, uri string, disabled bool) {
	t.Helper()
	c := newClient(id)
	c.BackchannelLogoutURI, c.Disabled = uri, disabled
	must(t, s.CreateClient(ctxFor(t), c))
}

// mkGrant records grant requestID of clientID in session sid with a code,
// a refresh token and an access token of subject.
func mkGrant(t *testing.T, s storage.Store, sid, clientID, requestID, subject string) {
	t.Helper()
	ctx := ctxFor(t)
	must(t, s.AddSessionClient(ctx, storage.SessionClient{SID: sid, ClientID: clientID, RequestID: requestID, CreatedAt: t0}))
	for _, k := range []storage.TokenKind{storage.KindAuthorizeCode, storage.KindRefreshToken, storage.KindAccessToken} {
		must(t, s.CreateTokenSession(ctx, newToken(k, string(k)+"-"+requestID, requestID, clientID, subject)))
	}
}

// wantRevoked checks the tokens of grant requestID: revoked or untouched.
func wantRevoked(t *testing.T, s storage.Store, requestID string, revoked bool) {
	t.Helper()
	ctx := ctxFor(t)
	for _, k := range []storage.TokenKind{storage.KindAuthorizeCode, storage.KindRefreshToken} {
		ts, err := s.GetTokenSession(ctx, k, string(k)+"-"+requestID)
		must(t, err)
		if ts.Active == revoked {
			t.Errorf("%s of %s: active %v, want %v", k, requestID, ts.Active, !revoked)
		}
	}
	_, err := s.GetTokenSession(ctx, storage.KindAccessToken, string(storage.KindAccessToken)+"-"+requestID)
	if revoked {
		wantErr(t, err, storage.ErrNotFound)
	} else {
		must(t, err)
	}
}

// claimAll claims every due delivery (the suite's times are years ahead
// of the wall clock the backends stamp queued deliveries with).
func claimAll(t *testing.T, s storage.Store, claim string) []storage.LogoutDelivery {
	t.Helper()
	ds, err := s.ClaimLogoutDeliveries(ctxFor(t), claim, t0, at(time.Minute), 100)
	must(t, err)
	slices.SortFunc(ds, func(a, b storage.LogoutDelivery) int {
		if a.SID+a.ClientID < b.SID+b.ClientID {
			return -1
		}
		return 1
	})
	return ds
}

var logoutTests = []test{
	{"ClientFields", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		c := newClient("c1")
		c.BackchannelLogoutURI = "https://c1.example/logout"
		c.BackchannelLogoutSessionRequired = true
		c.ConfigManaged = true
		must(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, "c1")
		must(t, err)
		wantEqual(t, got, c)
		must(t, s.UpdateClient(ctx, "c1", func(cl *storage.Client) error {
			cl.BackchannelLogoutURI, cl.BackchannelLogoutSessionRequired = "", false
			cl.ConfigManaged, cl.Disabled = false, true
			return nil
		}))
		c.BackchannelLogoutURI, c.BackchannelLogoutSessionRequired, c.ConfigManaged, c.Disabled = "", false, false, true
		got, err = s.GetClient(ctx, "c1")
		must(t, err)
		wantEqual(t, got, c)
	}},
	{"SIDFilledAndUnique", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		for _, id := range []string{"a", "b"} {
			bs := newBrowserSession(id, "u1")
			bs.SID = ""
			must(t, s.CreateBrowserSession(ctx, bs))
		}
		a, err := s.GetBrowserSession(ctx, "a", t0)
		must(t, err)
		b, err := s.GetBrowserSession(ctx, "b", t0)
		must(t, err)
		if a.SID == "" || b.SID == "" || a.SID == b.SID || a.SID == "a" {
			t.Fatalf("SIDs %q and %q: want two random, distinct ones", a.SID, b.SID)
		}
		dup := newBrowserSession("c", "u1")
		dup.SID = a.SID
		wantErr(t, s.CreateBrowserSession(ctx, dup), storage.ErrAlreadyExists)
	}},
	{"SessionClients", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkClient(t, s, "c1")
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		second := storage.SessionClient{SID: "sid-bs1", ClientID: "c1", RequestID: "r2", CreatedAt: at(time.Second)}
		first := storage.SessionClient{SID: "sid-bs1", ClientID: "c1", RequestID: "r1", CreatedAt: t0}
		must(t, s.AddSessionClient(ctx, second))
		must(t, s.AddSessionClient(ctx, first))
		must(t, s.AddSessionClient(ctx, first)) // again: no error
		got, err := s.ListSessionClients(ctx, "sid-bs1")
		must(t, err)
		wantEqual(t, got, []storage.SessionClient{first, second})
		wantErr(t, s.AddSessionClient(ctx, storage.SessionClient{SID: "nope", ClientID: "c1", RequestID: "r3", CreatedAt: t0}), storage.ErrNotFound)
		wantErr(t, s.AddSessionClient(ctx, storage.SessionClient{SID: "sid-bs1", ClientID: "nope", RequestID: "r3", CreatedAt: t0}), storage.ErrNotFound)
	}},
	{"EndSessionQueuesAndRevokes", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		mkLogoutClient(t, s, "plain", "", false)
		mkLogoutClient(t, s, "off", "https://off.example/logout", true)
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs2", "u1")))
		mkGrant(t, s, "sid-bs1", "rp", "r1", "u1")
		mkGrant(t, s, "sid-bs1", "rp", "r2", "u1")
		mkGrant(t, s, "sid-bs1", "plain", "r3", "u1")
		mkGrant(t, s, "sid-bs1", "off", "r4", "u1")
		mkGrant(t, s, "sid-bs2", "rp", "r5", "u1")

		must(t, s.DeleteBrowserSession(ctx, "bs1"))
		ds := claimAll(t, s, "claim-1")
		if len(ds) != 1 {
			t.Fatalf("%d deliveries queued, want 1 (rp, once): %+v", len(ds), ds)
		}
		d := ds[0]
		if d.ClientID != "rp" || d.SID != "sid-bs1" || d.Subject != "u1" || d.ID == "" || d.Attempts != 0 {
			t.Errorf("delivery %+v, want rp, sid-bs1, u1, an id, no attempts", d)
		}
		for _, r := range []string{"r1", "r2", "r3", "r4"} {
			wantRevoked(t, s, r, true)
		}
		wantRevoked(t, s, "r5", false)
		left, err := s.ListSessionClients(ctx, "sid-bs1")
		must(t, err)
		if len(left) != 0 {
			t.Errorf("session clients of an ended session: %+v", left)
		}
		if _, err := s.GetBrowserSession(ctx, "bs2", t0); err != nil {
			t.Errorf("the other session: %v", err)
		}
		must(t, s.DeleteBrowserSession(ctx, "bs1")) // again: nothing to do
	}},
	{"EndUserSessions", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		for _, bs := range []storage.BrowserSession{newBrowserSession("bs1", "u1"), newBrowserSession("bs2", "u1"), newBrowserSession("other", "u2")} {
			must(t, s.CreateBrowserSession(ctx, bs))
		}
		mkGrant(t, s, "sid-bs1", "rp", "r1", "u1")
		mkGrant(t, s, "sid-bs2", "rp", "r2", "u1")
		mkGrant(t, s, "sid-other", "rp", "r3", "u2")
		must(t, s.DeleteUserBrowserSessions(ctx, "u1"))
		ds := claimAll(t, s, "c")
		if len(ds) != 2 || ds[0].SID != "sid-bs1" || ds[1].SID != "sid-bs2" {
			t.Fatalf("deliveries %+v, want one for each of u1's sessions", ds)
		}
		wantRevoked(t, s, "r1", true)
		wantRevoked(t, s, "r2", true)
		wantRevoked(t, s, "r3", false)
	}},
	{"DeleteUserQueues", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		mkGrant(t, s, "sid-bs1", "rp", "r1", "u1")
		must(t, s.DeleteUser(ctx, "u1"))
		ds := claimAll(t, s, "c")
		if len(ds) != 1 || ds[0].Subject != "u1" || ds[0].SID != "sid-bs1" {
			t.Fatalf("deliveries after deleting the user: %+v", ds)
		}
	}},
	{"RenewKeepsSID", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("old", "u1")))
		mkGrant(t, s, "sid-old", "rp", "r1", "u1")
		renewed := newBrowserSession("new", "u1")
		renewed.SID = "ignored"
		renewed.AuthTime, renewed.ExpiresAt = at(time.Minute), at(2*time.Hour)
		must(t, s.RenewBrowserSession(ctx, "old", renewed))
		_, err := s.GetBrowserSession(ctx, "old", t0)
		wantErr(t, err, storage.ErrNotFound)
		got, err := s.GetBrowserSession(ctx, "new", t0)
		must(t, err)
		renewed.SID = "sid-old"
		wantEqual(t, got, renewed)
		scs, err := s.ListSessionClients(ctx, "sid-old")
		must(t, err)
		if len(scs) != 1 {
			t.Errorf("session clients after renewal: %+v", scs)
		}
		wantRevoked(t, s, "r1", false)
		if ds := claimAll(t, s, "c"); len(ds) != 0 {
			t.Errorf("renewal queued deliveries: %+v", ds)
		}
		other := newBrowserSession("x", "u2")
		wantErr(t, s.RenewBrowserSession(ctx, "new", other), storage.ErrNotFound)
		wantErr(t, s.RenewBrowserSession(ctx, "nope", newBrowserSession("y", "u1")), storage.ErrNotFound)
	}},
	{"ClaimLeaseRetryDelete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		for _, id := range []string{"bs1", "bs2"} {
			must(t, s.CreateBrowserSession(ctx, newBrowserSession(id, "u1")))
			mkGrant(t, s, "sid-"+id, "rp", "r-"+id, "u1")
			must(t, s.DeleteBrowserSession(ctx, id))
		}
		a, err := s.ClaimLogoutDeliveries(ctx, "a", t0, at(time.Minute), 1)
		must(t, err)
		b, err := s.ClaimLogoutDeliveries(ctx, "b", t0, at(time.Minute), 10)
		must(t, err)
		if len(a) != 1 || len(b) != 1 || a[0].ID == b[0].ID {
			t.Fatalf("claims %+v and %+v: want one each, different", a, b)
		}
		if c, err := s.ClaimLogoutDeliveries(ctx, "c", at(30*time.Second), at(2*time.Minute), 10); err != nil || len(c) != 0 {
			t.Fatalf("claimed leased deliveries: %+v, %v", c, err)
		}
		// a's lease runs out: c takes it over, and a can no longer finish it.
		c, err := s.ClaimLogoutDeliveries(ctx, "c", at(time.Minute), at(2*time.Minute), 10)
		must(t, err)
		if len(c) != 2 {
			t.Fatalf("after the leases ran out c claimed %d, want 2", len(c))
		}
		wantErr(t, s.RetryLogoutDelivery(ctx, a[0].ID, "a", 1, at(time.Hour), "x"), storage.ErrNotFound)
		wantErr(t, s.DeleteLogoutDelivery(ctx, a[0].ID, "a"), storage.ErrNotFound)
		must(t, s.RetryLogoutDelivery(ctx, a[0].ID, "c", 3, at(time.Hour), "status 503"))
		must(t, s.DeleteLogoutDelivery(ctx, b[0].ID, "c"))
		if got, err := s.ClaimLogoutDeliveries(ctx, "d", at(time.Hour-time.Second), at(2*time.Hour), 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed a delivery before it was due: %+v, %v", got, err)
		}
		got, err := s.ClaimLogoutDeliveries(ctx, "d", at(time.Hour), at(2*time.Hour), 10)
		must(t, err)
		if len(got) != 1 || got[0].ID != a[0].ID || got[0].Attempts != 3 || got[0].LastError != "status 503" ||
			!got[0].NextAttemptAt.Equal(at(time.Hour)) {
			t.Fatalf("retried delivery %+v", got)
		}
		wantErr(t, s.RetryLogoutDelivery(ctx, "nope", "d", 1, t0, ""), storage.ErrNotFound)
		wantErr(t, s.RetryLogoutDelivery(ctx, got[0].ID, "", 1, t0, ""), storage.ErrNotFound)
	}},
	{"DeleteClientDropsDeliveries", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkLogoutClient(t, s, "rp", "https://rp.example/logout", false)
		must(t, s.CreateBrowserSession(ctx, newBrowserSession("bs1", "u1")))
		mkGrant(t, s, "sid-bs1", "rp", "r1", "u1")
		must(t, s.DeleteBrowserSession(ctx, "bs1"))
		must(t, s.DeleteClient(ctx, "rp"))
		if ds := claimAll(t, s, "c"); len(ds) != 0 {
			t.Errorf("deliveries of a deleted client: %+v", ds)
		}
	}},
}
