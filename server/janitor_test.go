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
