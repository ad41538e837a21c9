package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var gcTests = []test{
	{"BatchBoundAndKeepsLive", testGarbageCollect},
	{"NothingToDo", func(t *testing.T, s storage.Store) {
		n, err := s.GarbageCollect(ctxFor(t), t0, 10)
		must(t, err)
		if n != 0 {
			t.Fatalf("deleted %d rows from an empty store", n)
		}
	}},
}

// testGarbageCollect fills every table with dead and live rows, checks that
// one call deletes at most batch rows per table, and that repeated calls
// delete every dead row and nothing else.
func testGarbageCollect(t *testing.T, s storage.Store) {
	ctx := ctxFor(t)
	now := at(24 * time.Hour)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	mkUser(t, s, "u1")
	for i := range 4 {
		mkClient(t, s, fmt.Sprintf("c%d", i))
	}
	const deadTokens, deadSessions, deadJTIs, deadKeys, deadConsents, deadOneTime, deadCounters = 5, 3, 3, 2, 2, 2, 3
	must(t, storage.InTx(ctx, s, func(ctx context.Context) error {
		for i := range deadTokens + 3 {
			ts := newToken(storage.TokenKinds[i%len(storage.TokenKinds)], fmt.Sprintf("t%d", i), "req", "c0", "u1")
			switch {
			case i < deadTokens:
				ts.ExpiresAt = past
			case i == deadTokens:
				ts.ExpiresAt = time.Time{} // never expires
			default:
				ts.ExpiresAt = future
			}
			if err := s.CreateTokenSession(ctx, ts); err != nil {
				return err
			}
		}
		for i := range deadSessions + 1 {
			bs := newBrowserSession(fmt.Sprintf("bs%d", i), "u1")
			bs.ExpiresAt = past
			if i == deadSessions {
				bs.ExpiresAt = future
			}
			if err := s.CreateBrowserSession(ctx, bs); err != nil {
				return err
			}
		}
		for i := range deadJTIs + 1 {
			exp := past
			if i == deadJTIs {
				exp = future
			}
			if err := s.UseJTI(ctx, fmt.Sprintf("j%d", i), exp, t0); err != nil {
				return err
			}
		}
		for i, retire := range []time.Time{past, past, future, {}} {
			k := newKey(fmt.Sprintf("k%d", i), at(time.Duration(i)*time.Hour))
			k.RetireAt = retire
			if err := s.CreateKey(ctx, k); err != nil {
				return err
			}
		}
		for i, exp := range []time.Time{past, past, future, {}} {
			c := newConsent("u1", fmt.Sprintf("c%d", i))
			c.ExpiresAt = exp
			if err := s.SaveConsent(ctx, c); err != nil {
				return err
			}
		}
		for i := range deadOneTime + 1 {
			ot := newOneTime(fmt.Sprintf("ot%d", i), storage.PurposePasswordReset, "u1")
			ot.ExpiresAt = past
			if i == deadOneTime {
				ot.ExpiresAt = future
			}
			if err := s.CreateOneTimeToken(ctx, ot); err != nil {
				return err
			}
		}
		for i := range deadCounters + 1 {
			start, window := past.Add(-time.Minute), time.Minute
			if i == deadCounters {
				window = 3 * time.Minute
			}
			if _, _, err := s.IncrementCounter(ctx, fmt.Sprintf("rc%d", i), window, start); err != nil {
				return err
			}
		}
		return nil
	}))

	const batch = 2
	n, err := s.GarbageCollect(ctx, now, batch)
	must(t, err)
	if n != 7*batch { // every table has at least batch dead rows
		t.Fatalf("first call deleted %d rows, want %d (batch %d in each of 7 tables)", n, 7*batch, batch)
	}
	total := n
	for calls := 0; n > 0; calls++ {
		if calls > 10 {
			t.Fatal("GarbageCollect never finishes")
		}
		n, err = s.GarbageCollect(ctx, now, batch)
		must(t, err)
		total += n
	}
	if want := int64(deadTokens + deadSessions + deadJTIs + deadKeys + deadConsents + deadOneTime + deadCounters); total != want {
		t.Fatalf("deleted %d rows in all, want %d", total, want)
	}

	for i := range deadTokens + 3 {
		kind := storage.TokenKinds[i%len(storage.TokenKinds)]
		if got, want := tokenExists(t, s, kind, fmt.Sprintf("t%d", i)), i >= deadTokens; got != want {
			t.Errorf("token t%d: exists %v, want %v", i, got, want)
		}
	}
	live, err := s.ListBrowserSessions(ctx, "u1", t0)
	must(t, err)
	if len(live) != 1 || live[0].ID != fmt.Sprintf("bs%d", deadSessions) {
		t.Errorf("browser sessions left: %+v", live)
	}
	if err := s.UseJTI(ctx, fmt.Sprintf("j%d", deadJTIs), future, now); err == nil {
		t.Error("the live jti was collected")
	}
	keys, err := s.ListKeys(ctx)
	must(t, err)
	if len(keys) != 2 || keys[0].ID != "k2" || keys[1].ID != "k3" {
		t.Errorf("keys left: %+v", keys)
	}
	consents, err := s.ListConsents(ctx, "u1")
	must(t, err)
	if len(consents) != 2 || consents[0].ClientID != "c2" || consents[1].ClientID != "c3" {
		t.Errorf("consents left: %+v", consents)
	}
	if _, err := s.GetOneTimeToken(ctx, storage.PurposePasswordReset, fmt.Sprintf("ot%d", deadOneTime), now); err != nil {
		t.Errorf("the live one-time token was collected: %v", err)
	}
	if c, _, err := s.GetCounter(ctx, fmt.Sprintf("rc%d", deadCounters), now); err != nil || c != 1 {
		t.Errorf("the live rate counter was collected: %d, %v", c, err)
	}
}
