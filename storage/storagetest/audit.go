package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newEvent(typ, userID string, when time.Time) storage.AuditEvent {
	return storage.AuditEvent{
		Time:      when,
		Type:      typ,
		Outcome:   "success",
		UserID:    userID,
		ClientID:  "c1",
		IP:        "192.0.2.1",
		UserAgent: "test-agent/1.0",
	}
}

// types lists the event types of evs, in order.
func types(evs []storage.AuditEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s@%s", e.Type, e.UserID))
	}
	return out
}

var auditTests = []test{
	{"RoundTrip", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		e := newEvent("login.failure", "u1", t0)
		e.Outcome = "failure"
		e.Details = map[string]string{"reason": "bad password", "email": "u1@example.com"}
		must(t, s.AppendAuditEvent(ctx, e))
		must(t, s.AppendAuditEvent(ctx, newEvent("login.success", "u1", at(time.Second))))
		got, err := s.ListAuditEvents(ctx, storage.AuditFilter{})
		must(t, err)
		if len(got) != 2 {
			t.Fatalf("got %d events, want 2", len(got))
		}
		if got[1].ID == 0 || got[0].ID <= got[1].ID {
			t.Fatalf("ids not assigned in order: %d, %d", got[0].ID, got[1].ID)
		}
		e.ID = got[1].ID
		wantEqual(t, got[1], e)
		if got[0].Details != nil {
			t.Fatalf("empty details came back as %v", got[0].Details)
		}
	}},
	{"FilterAndOrder", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.AppendAuditEvent(ctx, newEvent("login.success", "u1", at(1*time.Minute))))
		must(t, s.AppendAuditEvent(ctx, newEvent("login.failure", "u2", at(2*time.Minute))))
		must(t, s.AppendAuditEvent(ctx, newEvent("login.success", "u2", at(3*time.Minute))))
		must(t, s.AppendAuditEvent(ctx, newEvent("role.change", "u1", at(4*time.Minute))))
		list := func(f storage.AuditFilter) []string {
			t.Helper()
			got, err := s.ListAuditEvents(ctx, f)
			must(t, err)
			return types(got)
		}
		wantEqual(t, list(storage.AuditFilter{}), []string{"role.change@u1", "login.success@u2", "login.failure@u2", "login.success@u1"})
		wantEqual(t, list(storage.AuditFilter{Type: "login.success"}), []string{"login.success@u2", "login.success@u1"})
		wantEqual(t, list(storage.AuditFilter{UserID: "u2"}), []string{"login.success@u2", "login.failure@u2"})
		wantEqual(t, list(storage.AuditFilter{Since: at(2 * time.Minute)}), []string{"role.change@u1", "login.success@u2", "login.failure@u2"})
		wantEqual(t, list(storage.AuditFilter{Since: at(2 * time.Minute), Until: at(4 * time.Minute)}), []string{"login.success@u2", "login.failure@u2"})
		wantEqual(t, list(storage.AuditFilter{Type: "login.success", UserID: "u1"}), []string{"login.success@u1"})
		wantEqual(t, list(storage.AuditFilter{Limit: 2, Offset: 1}), []string{"login.success@u2", "login.failure@u2"})
		wantEqual(t, list(storage.AuditFilter{Type: "none"}), nil)
	}},
	{"OutlivesUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.AppendAuditEvent(ctx, newEvent("user.deleted", "u1", t0)))
		must(t, s.DeleteUser(ctx, "u1"))
		got, err := s.ListAuditEvents(ctx, storage.AuditFilter{UserID: "u1"})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("audit event lost with its user: %v", got)
		}
	}},
	{"DeleteBeforeInBatches", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		for i := range 5 {
			must(t, s.AppendAuditEvent(ctx, newEvent("old", "u1", at(time.Duration(i)*time.Second))))
		}
		must(t, s.AppendAuditEvent(ctx, newEvent("new", "u1", at(time.Hour))))
		n, err := s.DeleteAuditEventsBefore(ctx, at(time.Minute), 3)
		must(t, err)
		if n != 3 {
			t.Fatalf("first batch deleted %d, want 3", n)
		}
		n, err = s.DeleteAuditEventsBefore(ctx, at(time.Minute), 3)
		must(t, err)
		if n != 2 {
			t.Fatalf("second batch deleted %d, want 2", n)
		}
		got, err := s.ListAuditEvents(ctx, storage.AuditFilter{})
		must(t, err)
		wantEqual(t, types(got), []string{"new@u1"})
	}},
}
