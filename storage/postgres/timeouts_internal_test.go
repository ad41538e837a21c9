package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
)

// TestConnectionTimeouts: every connection of the pool carries the
// configured statement_timeout and lock_timeout, and a statement running
// past it is cancelled by the server.
func TestConnectionTimeouts(t *testing.T) {
	s, err := Open(t.Context(), pgtest.DSN(t), Options{MaxConns: 2, StatementTimeout: 250 * time.Millisecond, LockTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, want := range map[string]string{"statement_timeout": "250ms", "lock_timeout": "3s"} {
		var got string
		if err := s.pool.QueryRow(t.Context(), "SHOW "+name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := s.pool.Exec(t.Context(), "SELECT pg_sleep(30)"); err == nil {
		t.Error("a 30s statement ran to the end under a 250ms statement_timeout")
	}
}

// TestPanicInTxReleasesConnection: a panic inside storage.InTx rolls back
// and returns the connection to the pool at once. With a pool of one
// connection a leaked one would block every later statement (the deadline
// turns that wait into a failure).
func TestPanicInTxReleasesConnection(t *testing.T) {
	s, err := Open(t.Context(), pgtest.DSN(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic was swallowed")
				}
			}()
			_ = storage.InTx(t.Context(), s, func(ctx context.Context) error {
				if _, _, err := s.IncrementCounter(ctx, "panic", time.Minute, time.Now()); err != nil {
					t.Fatal(err)
				}
				panic("a bug in the middle of a transaction")
			})
		}()
		if n := s.pool.Stat().AcquiredConns(); n != 0 {
			t.Fatalf("after panic %d: %d connections still acquired", i+1, n)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	n, _, err := s.GetCounter(ctx, "panic", time.Now())
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the pool's one connection was never returned")
	}
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("counter %d: the panicked transactions were kept", n)
	}
}

// TestTxGuardRollsBackAbandoned: a transaction begun under
// storage.WithTxGuard and never ended (fosite's BeginTX, then a panic
// before its Commit) is rolled back, and its connection returned, when
// the guard is released at the end of the request.
func TestTxGuardRollsBackAbandoned(t *testing.T) {
	s, err := Open(t.Context(), pgtest.DSN(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, release := storage.WithTxGuard(t.Context())
	txCtx, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.IncrementCounter(txCtx, "abandoned", time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	// An ended transaction is forgotten: only the abandoned one is rolled back.
	if n := release(); n != 1 {
		t.Fatalf("release rolled back %d transactions, want 1", n)
	}
	if n := s.pool.Stat().AcquiredConns(); n != 0 {
		t.Fatalf("%d connections still acquired after the guard's rollback", n)
	}
	ctx2, release2 := storage.WithTxGuard(t.Context())
	if err := storage.InTx(ctx2, s, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n := release2(); n != 0 {
		t.Errorf("release rolled back %d committed transactions", n)
	}
	n, _, err := s.GetCounter(t.Context(), "abandoned", time.Now())
	if err != nil || n != 0 {
		t.Errorf("abandoned write: counter %d, %v; want rolled back", n, err)
	}
}
