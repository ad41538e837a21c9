package manage_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// newService is a manage.Service on a fresh SQLite store.
func newService(t *testing.T) (*manage.Service, storage.Store) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	acc, err := accounts.New(s, 4)
	if err != nil {
		t.Fatal(err)
	}
	return &manage.Service{Store: s, Accounts: acc, Audit: audit.New(s, slog.New(slog.NewTextHandler(io.Discard, nil)))}, s
}

// TestEndSession ends one session by its sid (audited with the actor),
// leaves the others, and refuses a sid of another user.
func TestEndSession(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	admin := manage.Actor{ID: "admin-id"}
	u, err := svc.Accounts.CreateUser(ctx, accounts.NewUser{Email: "a@example.com", Name: "A", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, id := range []string{"one", "two"} {
		if err := store.CreateBrowserSession(ctx, storage.BrowserSession{ID: id, SID: "sid-" + id, UserID: u.ID, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.EndSession(ctx, admin, "someone-else", "sid-one"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("another user's sid: %v, want ErrNotFound", err)
	}
	if err := svc.EndSession(ctx, admin, u.ID, "sid-one"); err != nil {
		t.Fatal(err)
	}
	left, _ := store.ListBrowserSessions(ctx, u.ID, now)
	if len(left) != 1 || left[0].SID != "sid-two" {
		t.Errorf("sessions left: %+v", left)
	}
	if n, err := svc.EndSessions(ctx, admin, u.ID); err != nil || n != 1 {
		t.Errorf("EndSessions = %d, %v", n, err)
	}
	events, _ := store.ListAuditEvents(ctx, storage.AuditFilter{Type: audit.SessionRevoked})
	if len(events) != 2 || events[1].Details["actor"] != admin.ID || events[1].Details["sid"] != "sid-one" {
		t.Errorf("session.revoked events: %+v", events)
	}
}

// TestResendVerification mails only an enabled user whose address is not
// verified, and only with mail set up.
func TestResendVerification(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	admin := manage.Actor{ID: "admin-id"}
	mk := func(email string, verified bool) storage.User {
		u, err := svc.Accounts.CreateUser(ctx, accounts.NewUser{Email: email, Name: "X", EmailVerified: verified})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	pending, done := mk("p@example.com", false), mk("v@example.com", true)
	if err := svc.ResendVerification(ctx, admin, pending.ID); !errors.Is(err, manage.ErrNoMail) {
		t.Errorf("without mail: %v", err)
	}
	var mailed []string
	svc.MailVerification = func(u storage.User) { mailed = append(mailed, u.Email) }
	if err := svc.ResendVerification(ctx, admin, done.ID); !errors.Is(err, manage.ErrAlreadyVerified) {
		t.Errorf("verified: %v", err)
	}
	if err := svc.ResendVerification(ctx, admin, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	disabled := true
	off := mk("d@example.com", false)
	if _, err := svc.UpdateUser(ctx, admin, off.ID, manage.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ResendVerification(ctx, admin, off.ID); !errors.Is(err, manage.ErrUserDisabled) {
		t.Errorf("disabled: %v", err)
	}
	if err := svc.ResendVerification(ctx, admin, pending.ID); err != nil || len(mailed) != 1 || mailed[0] != "p@example.com" {
		t.Errorf("pending: %v, mailed %v", err, mailed)
	}
}
