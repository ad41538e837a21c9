package server_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestCleanup: one janitor pass deletes exactly what has expired (codes,
// tokens, browser sessions, one-time tokens, rate counters) and the audit
// events older than the retention, in batches, and keeps everything else.
func TestCleanup(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC().Truncate(time.Second)
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com", Name: "U", CreatedAt: past, UpdatedAt: past}))
	must(store.CreateClient(ctx, storage.Client{ID: "app", Name: "App", CreatedAt: past, UpdatedAt: past}))
	for _, c := range []struct {
		name    string
		expires time.Time
	}{{"expired", past}, {"live", future}} {
		must(store.CreateBrowserSession(ctx, storage.BrowserSession{ID: "s-" + c.name, UserID: "u1", AuthTime: past, CreatedAt: past, ExpiresAt: c.expires}))
		must(store.CreateOneTimeToken(ctx, storage.OneTimeToken{Hash: "h-" + c.name, Purpose: storage.PurposePasswordReset, UserID: "u1", Email: "u1@example.com", CreatedAt: past, ExpiresAt: c.expires}))
		for _, kind := range []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken} {
			must(store.CreateTokenSession(ctx, storage.TokenSession{Kind: kind, Signature: fmt.Sprint(kind, "-", c.name), RequestID: "r-" + c.name,
				ClientID: "app", Subject: "u1", Active: true, RequestedAt: past, ExpiresAt: c.expires, Data: []byte("{}")}))
		}
	}
	_, _, err = store.IncrementCounter(ctx, "rl:expired", time.Minute, now.Add(-2*time.Minute))
	must(err)
	_, _, err = store.IncrementCounter(ctx, "rl:live", time.Hour, now)
	must(err)

	const retention = 24 * time.Hour
	const old = 1500 // more than one batch
	for i := range old {
		must(store.AppendAuditEvent(ctx, storage.AuditEvent{Time: now.Add(-retention - time.Duration(i+1)*time.Second), Type: "login.failure", Outcome: "failure"}))
	}
	must(store.AppendAuditEvent(ctx, storage.AuditEvent{Time: now.Add(-retention + time.Minute), Type: "login.success", Outcome: "success"}))

	res, err := server.Cleanup(ctx, store, now, retention)
	must(err)
	if res.AuditEvents != old {
		t.Errorf("deleted %d audit events, want %d", res.AuditEvents, old)
	}
	if res.Expired < 6 {
		t.Errorf("deleted %d expired rows, want at least 6", res.Expired)
	}

	events, err := store.ListAuditEvents(ctx, storage.AuditFilter{Limit: 1000})
	must(err)
	if len(events) != 1 || events[0].Type != "login.success" {
		t.Errorf("audit events left: %+v", events)
	}
	if _, err := store.GetBrowserSession(ctx, "s-live", now); err != nil {
		t.Errorf("live session: %v", err)
	}
	if _, err := store.GetBrowserSession(ctx, "s-expired", past.Add(-time.Hour)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired session still stored: %v", err)
	}
	if _, err := store.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h-live", now); err != nil {
		t.Errorf("live reset token: %v", err)
	}
	if _, err := store.GetOneTimeToken(ctx, storage.PurposePasswordReset, "h-expired", past.Add(-time.Hour)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired reset token still stored: %v", err)
	}
	for _, kind := range []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken} {
		if _, err := store.GetTokenSession(ctx, kind, fmt.Sprint(kind, "-live")); err != nil {
			t.Errorf("live %v: %v", kind, err)
		}
		if _, err := store.GetTokenSession(ctx, kind, fmt.Sprint(kind, "-expired")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired %v still stored: %v", kind, err)
		}
	}
	if n, _, _ := store.GetCounter(ctx, "rl:live", now); n != 1 {
		t.Errorf("live counter %d", n)
	}
	// Gone from the table, not just outside its window: a read at a time
	// inside the old window finds nothing.
	if n, _, _ := store.GetCounter(ctx, "rl:expired", now.Add(-2*time.Minute)); n != 0 {
		t.Errorf("expired counter still stored (%d)", n)
	}

	again, err := server.Cleanup(ctx, store, now, retention)
	must(err)
	if again != (server.CleanupResult{}) {
		t.Errorf("second pass deleted %+v", again)
	}
}

// expireSessions stores n browser sessions that expired before now.
func expireSessions(t *testing.T, store storage.Store, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	past := now.Add(-time.Hour)
	if err := store.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com", Name: "U", CreatedAt: past, UpdatedAt: past}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := store.CreateBrowserSession(ctx, storage.BrowserSession{ID: fmt.Sprint("s", i), UserID: "u1", AuthTime: past, CreatedAt: past, ExpiresAt: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
}

// countingStore counts GarbageCollect calls and the batch each asked for.
type countingStore struct {
	storage.Store
	calls   int
	batches []int
}

func (c *countingStore) GarbageCollect(ctx context.Context, now time.Time, batch int) (int64, error) {
	c.calls++
	c.batches = append(c.batches, batch)
	return c.Store.GarbageCollect(ctx, now, batch)
}

// TestJanitorSmallBatches: a pass deletes in deletes of batch_size rows
// and finishes what it can within its deadline.
func TestJanitorSmallBatches(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC()
	expireSessions(t, store, 25, now)
	cs := &countingStore{Store: store}
	res, err := server.Janitor{Store: cs, Batch: 10, Pause: time.Millisecond, Deadline: time.Hour}.Pass(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Expired != 25 || res.Unfinished {
		t.Errorf("pass %+v, want 25 deleted and finished", res)
	}
	// 10 + 10 + 5 + a last, empty, delete.
	if cs.calls != 4 || cs.batches[0] != 10 {
		t.Errorf("%d deletes of batches %v, want 4 of 10", cs.calls, cs.batches)
	}
}

// TestJanitorPassDeadline: a pass that reaches its deadline stops between
// batches, reports Unfinished (not an error) and leaves the rest to the
// next pass. The pause is longer than the deadline, so the first pause
// ends the pass whatever the machine's speed.
func TestJanitorPassDeadline(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC()
	expireSessions(t, store, 30, now)
	j := server.Janitor{Store: store, Batch: 10, Pause: time.Hour, Deadline: time.Second}
	first, err := j.Pass(context.Background(), now)
	if err != nil {
		t.Fatalf("a pass cut by its deadline failed: %v", err)
	}
	if !first.Unfinished || first.Expired > 10 {
		t.Errorf("pass %+v, want at most one batch (10) deleted and unfinished", first)
	}
	j.Pause = 0
	res, err := j.Pass(context.Background(), now)
	if err != nil || res.Expired != 30-first.Expired || res.Unfinished {
		t.Errorf("next pass %+v, %v; want the other %d", res, err, 30-first.Expired)
	}
}
