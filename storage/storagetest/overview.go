package storagetest

import (
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var overviewTests = []test{
	{"Count", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		c, err := s.Count(ctx, t0)
		must(t, err)
		wantEqual(t, c, storage.Counts{})
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		mkClient(t, s, "c1")
		live := newBrowserSession("live", "u1")
		expired := newBrowserSession("expired", "u2")
		expired.ExpiresAt = at(time.Minute)
		must(t, s.CreateBrowserSession(ctx, live))
		must(t, s.CreateBrowserSession(ctx, expired))
		c, err = s.Count(ctx, at(2*time.Minute))
		must(t, err)
		wantEqual(t, c, storage.Counts{Users: 2, Clients: 1, ActiveSessions: 1})
		c, err = s.Count(ctx, at(time.Minute-time.Microsecond))
		must(t, err)
		wantEqual(t, c, storage.Counts{Users: 2, Clients: 1, ActiveSessions: 2})
	}},
	{"CountAuditEvents", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for _, e := range []struct {
			typ  string
			when time.Duration
		}{
			{"login.success", -time.Microsecond},            // before the first bucket
			{"login.success", 0},                            // first bucket, its start
			{"login.success", time.Hour - time.Microsecond}, // first bucket, its end
			{"login.failure", 90 * time.Minute},             // second bucket
			{"login.success", 2*time.Hour + 30*time.Second}, // third bucket
			{"login.failure", 2*time.Hour + 59*time.Minute}, // third bucket
			{"login.failure", 3 * time.Hour},                // after the last bucket
			{"user.created", 30 * time.Minute},              // not asked for
			{"login.success", 2*time.Hour + 45*time.Minute}, // third bucket
		} {
			must(t, s.AppendAuditEvent(ctx, newEvent(e.typ, "u1", at(e.when))))
		}
		got, err := s.CountAuditEvents(ctx, storage.AuditHistogram{
			Types: []string{"login.success", "login.failure", "mfa.failure"}, Since: t0, Step: time.Hour, Buckets: 3,
		})
		must(t, err)
		wantEqual(t, got, map[string][]int64{
			"login.success": {2, 0, 2},
			"login.failure": {0, 1, 1},
			"mfa.failure":   {0, 0, 0},
		})
		got, err = s.CountAuditEvents(ctx, storage.AuditHistogram{Types: nil, Since: t0, Step: time.Hour, Buckets: 3})
		must(t, err)
		wantEqual(t, got, map[string][]int64{})
		for _, bad := range []storage.AuditHistogram{
			{Types: []string{"x"}, Since: t0, Step: 0, Buckets: 3},
			{Types: []string{"x"}, Since: t0, Step: time.Hour, Buckets: 0},
			{Types: []string{"x"}, Since: t0, Step: time.Hour, Buckets: storage.MaxHistogramBuckets + 1},
		} {
			if _, err := s.CountAuditEvents(ctx, bad); err == nil {
				t.Errorf("CountAuditEvents(%+v) succeeded, want an error", bad)
			}
		}
	}},
	{"AuditByClient", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for i, client := range []string{"c1", "c2", "", "c1"} {
			e := newEvent("token.issued", "u1", at(time.Duration(i)*time.Minute))
			e.ClientID = client
			must(t, s.AppendAuditEvent(ctx, e))
		}
		got, err := s.ListAuditEvents(ctx, storage.AuditFilter{ClientID: "c1"})
		must(t, err)
		if len(got) != 2 || got[0].ClientID != "c1" || got[1].ClientID != "c1" || !got[0].Time.Equal(at(3*time.Minute)) {
			t.Fatalf("events of c1: %+v", got)
		}
		got, err = s.ListAuditEvents(ctx, storage.AuditFilter{ClientID: "c2", UserID: "u1", Type: "token.issued"})
		must(t, err)
		if len(got) != 1 || got[0].ClientID != "c2" {
			t.Fatalf("events of c2: %+v", got)
		}
	}},
}
