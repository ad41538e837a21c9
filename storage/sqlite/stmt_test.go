package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestStatementCacheWithTransaction: a call outside any transaction that
// prepares a new statement waits for the writer, which a transaction
// holds; the transaction must still be able to run every query (cached or
// not) and commit, after which the waiting call goes on.
func TestStatementCacheWithTransaction(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	now := time.Now()

	txCtx, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(txCtx, storage.User{ID: "u1", Email: "a@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	outside := make(chan error, 1)
	go func() {
		// First use of this query: it is prepared on the writer, which
		// the transaction holds.
		outside <- s.CreateClient(ctx, storage.Client{ID: "c1", CreatedAt: now, UpdatedAt: now})
	}()
	time.Sleep(50 * time.Millisecond) // let it block on the writer (not needed for correctness)
	for i := range 3 {                // the same queries again inside the transaction
		if _, err := s.GetUser(txCtx, "u1"); err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
	}
	if err := s.CreateClient(txCtx, storage.Client{ID: "c2", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(txCtx); err != nil {
		t.Fatal(err)
	}
	if err := <-outside; err != nil {
		t.Fatalf("call outside the transaction: %v", err)
	}
	for _, id := range []string{"c1", "c2"} {
		if _, err := s.GetClient(ctx, id); err != nil {
			t.Errorf("client %s: %v", id, err)
		}
	}
}
