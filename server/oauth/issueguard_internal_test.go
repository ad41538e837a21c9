package oauth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestIssueGuard: the first transaction begun on a context carrying an
// issue guard runs it inside the transaction; a refusal rolls the
// transaction back (the one SQLite writer is free again) and comes out of
// fosite's server_error wrapping as the guard's own error.
func TestIssueGuard(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s := NewStore(db, nil, time.Minute)
	now := time.Now().UTC().Truncate(time.Second)
	client := func(id string) storage.Client { return storage.Client{ID: id, CreatedAt: now, UpdatedAt: now} }

	// A refusal: what the guard wrote is rolled back with the transaction.
	runs := 0
	refusing := withIssueGuard(ctx, func(txCtx context.Context) error {
		runs++
		if err := db.CreateClient(txCtx, client("written-by-guard")); err != nil {
			return err
		}
		return fosite.ErrInvalidGrant.WithHint("The user no longer exists or is disabled.")
	})
	_, err = s.BeginTX(refusing)
	var ge *guardError
	if !errors.As(err, &ge) {
		t.Fatalf("BeginTX with a refusing guard = %v, want a guard error", err)
	}
	wrapped := fosite.ErrServerError.WithWrap(err).WithDebug(err.Error()) // as fosite reports it
	if rfc := fosite.ErrorToRFC6749Error(guardRefusal(wrapped)); rfc.ErrorField != "invalid_grant" {
		t.Errorf("guardRefusal = %q, want invalid_grant", rfc.ErrorField)
	}
	if _, err := db.GetClient(ctx, "written-by-guard"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the guard's write survived its refusal: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.CreateClient(short, client("after")); err != nil {
		t.Fatalf("a write after the refusal (transaction left open?): %v", err)
	}

	// The guard runs once, in the first transaction only.
	txCtx, err := s.BeginTX(refusing)
	if err != nil {
		t.Fatalf("second BeginTX on the same context ran the guard again: %v", err)
	}
	if err := s.Rollback(txCtx); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("guard ran %d times, want 1", runs)
	}

	// An accepting guard's work commits with the transaction.
	accepting := withIssueGuard(ctx, func(txCtx context.Context) error { return db.CreateClient(txCtx, client("guarded")) })
	txCtx, err = s.BeginTX(accepting)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(txCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetClient(ctx, "guarded"); err != nil {
		t.Errorf("the accepting guard's write: %v", err)
	}
	if err := guardRefusal(fosite.ErrInvalidRequest); !errors.Is(err, fosite.ErrInvalidRequest) {
		t.Errorf("guardRefusal changed an error without a guard: %v", err)
	}
}
