package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestAuthTimeIsLoginTime: auth_time in an ID token is when the person
// entered the password, not when the token was asked for: a session whose
// login lies ten minutes back yields auth_time ten minutes back.
func TestAuthTimeIsLoginTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	b := f.env.NewBrowser(t)
	tok, _ := f.codeTokensIn(t, b, "openid")
	sessions, err := f.env.Store.ListBrowserSessions(ctx, f.user.ID, time.Now())
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions %v (%v)", sessions, err)
	}
	s := sessions[0]
	if _, c := verifyIDToken(t, f.env, f.clientID, idToken(tok)); c.AuthTime != s.AuthTime.Unix() {
		t.Errorf("first token: auth_time %d, session login %d", c.AuthTime, s.AuthTime.Unix())
	}

	// Move the login ten minutes into the past (same cookie, same id).
	s.AuthTime = s.AuthTime.Add(-10 * time.Minute).Truncate(time.Second)
	if err := storage.InTx(ctx, f.env.Store, func(ctx context.Context) error {
		if err := f.env.Store.DeleteBrowserSession(ctx, s.ID); err != nil {
			return err
		}
		return f.env.Store.CreateBrowserSession(ctx, s)
	}); err != nil {
		t.Fatal(err)
	}
	tok, _ = f.codeTokensIn(t, b, "openid") // consent remembered: no page, no login
	_, c := verifyIDToken(t, f.env, f.clientID, idToken(tok))
	if c.AuthTime != s.AuthTime.Unix() {
		t.Errorf("auth_time %d, want the login time %d", c.AuthTime, s.AuthTime.Unix())
	}
	if c.IssuedAt-c.AuthTime < 600 {
		t.Errorf("auth_time %d is not ten minutes before iat %d", c.AuthTime, c.IssuedAt)
	}
}
