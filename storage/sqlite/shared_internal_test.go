package sqlite

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/gatehouse-id/gatehouse/storage"
)

// The transactions of BeginTx share commits (shared.go): these tests run
// two of them, A and then B, which queued for the writer while A ran.

// commits counts the commits of s's writer connection.
func commits(t testing.TB, s *Store) *atomic.Int64 {
	t.Helper()
	n := &atomic.Int64{}
	conn, err := s.writer.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		dc.(*sqlite3.SQLiteConn).RegisterCommitHook(func() int { n.Add(1); return 0 })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func appendEvent(t *testing.T, s *Store, ctx context.Context, typ string) {
	t.Helper()
	if err := s.AppendAuditEvent(ctx, storage.AuditEvent{Time: time.Now().UTC(), Type: typ}); err != nil {
		t.Fatal(err)
	}
}

func events(t *testing.T, s *Store, typ string) int {
	t.Helper()
	evs, err := s.ListAuditEvents(t.Context(), storage.AuditFilter{Type: typ, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// queued starts B's BeginTx while A holds the writer and returns once B
// waits for its turn; B's context arrives on the channel when it begins.
func queued(t *testing.T, ctx context.Context, s *Store) <-chan context.Context {
	t.Helper()
	began := make(chan context.Context, 1)
	go func() {
		b, err := s.BeginTx(ctx)
		if err != nil {
			b = nil
		}
		began <- b
	}()
	for s.shared.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	return began
}

func async(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

// beginA begins transaction A and writes a "test.a" event in it.
func beginA(t *testing.T, ctx context.Context, s *Store) context.Context {
	t.Helper()
	a, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendEvent(t, s, a, "test.a")
	return a
}

// handOver queues B behind A, commits A (which hands the writer to B) and
// returns B's context and A's Commit outcome to come.
func handOver(t *testing.T, ctx context.Context, s *Store, a context.Context) (context.Context, <-chan error) {
	t.Helper()
	began := queued(t, ctx, s)
	doneA := async(func() error { return s.Commit(a) })
	b := <-began
	if b == nil {
		t.Fatal("B did not begin")
	}
	return b, doneA
}

// TestSharedCommit: A's Commit returns only once B, which ran in the same
// SQLite transaction, has committed it; both are stored by one commit.
func TestSharedCommit(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	n := commits(t, s)
	b, doneA := handOver(t, ctx, s, beginA(t, ctx, s))
	appendEvent(t, s, b, "test.b")
	time.Sleep(3 * sharedWait)
	select {
	case err := <-doneA:
		t.Fatalf("A's Commit returned (%v) before its writes were committed", err)
	default:
	}
	if got := events(t, s, "test.a"); got != 0 {
		t.Fatalf("A's event visible before the commit: %d", got)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if events(t, s, "test.a") != 1 || events(t, s, "test.b") != 1 {
		t.Error("an event is missing")
	}
	if got := n.Load(); got != 1 {
		t.Errorf("%d commits, want 1", got)
	}
}

// TestSharedRollback: B rolling back undoes only B's writes.
func TestSharedRollback(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	b, doneA := handOver(t, ctx, s, beginA(t, ctx, s))
	appendEvent(t, s, b, "test.b")
	if err := s.Rollback(b); err != nil {
		t.Fatal(err)
	}
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if events(t, s, "test.a") != 1 || events(t, s, "test.b") != 0 {
		t.Errorf("events a=%d b=%d, want 1 and 0", events(t, s, "test.a"), events(t, s, "test.b"))
	}
}

// TestSharedCommitFails: when the shared commit fails, every transaction
// in it gets the error from Commit and nothing of any of them is stored.
// A deferred foreign key that A breaks fails the commit itself.
func TestSharedCommitFails(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
		CREATE TABLE test_child (id INTEGER PRIMARY KEY,
			parent INTEGER REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	a, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.q(a).ExecContext(a, `INSERT INTO test_child (parent) VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	b, doneA := handOver(t, ctx, s, a)
	appendEvent(t, s, b, "test.b")
	errB := s.Commit(b)
	errA := <-doneA
	if errA == nil || errB == nil {
		t.Fatalf("commit errors A=%v B=%v, want both", errA, errB)
	}
	if events(t, s, "test.b") != 0 {
		t.Error("B's event was stored")
	}
	var children int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM test_child`).Scan(&children); err != nil {
		t.Fatal(err)
	}
	if children != 0 {
		t.Errorf("%d children stored", children)
	}
	// The writer is free again.
	c, err := s.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	appendEvent(t, s, c, "test.c")
	if err := s.Commit(c); err != nil || events(t, s, "test.c") != 1 {
		t.Errorf("a later transaction: %v", err)
	}
}

// TestSharedWaiterGivesUp: A hands the writer to B, whose caller gives up
// before B's turn comes; A still commits, within the bound.
func TestSharedWaiterGivesUp(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	a := beginA(t, ctx, s)
	bctx, cancel := context.WithCancel(ctx)
	began := queued(t, bctx, s)
	cancel()
	if b := <-began; b != nil {
		t.Fatal("B began after its caller gave up")
	}
	if err := s.Commit(a); err != nil {
		t.Fatal(err)
	}
	if events(t, s, "test.a") != 1 {
		t.Error("A's event is missing")
	}
}

// TestSharedGuard: a transaction its request left open is rolled back
// when the request ends, and the writer is free again.
func TestSharedGuard(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	reqCtx, rollbackOpen := storage.WithTxGuard(ctx)
	a, err := s.BeginTx(reqCtx)
	if err != nil {
		t.Fatal(err)
	}
	appendEvent(t, s, a, "test.a")
	if n := rollbackOpen(); n != 1 {
		t.Fatalf("%d transactions rolled back, want 1", n)
	}
	if err := s.Commit(a); err == nil {
		t.Error("Commit of a rolled-back transaction succeeded")
	}
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := s.BeginTx(bctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if events(t, s, "test.a") != 0 {
		t.Error("the abandoned transaction's event was stored")
	}
}

// BenchmarkTransactions: transactions from many goroutines (two inserts
// each, as a refresh rotation writes), with the commits they took.
func BenchmarkTransactions(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "gatehouse.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n := commits(b, s)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := storage.InTx(ctx, s, func(ctx context.Context) error {
				for _, typ := range []string{"bench.a", "bench.b"} {
					if err := s.AppendAuditEvent(ctx, storage.AuditEvent{Time: time.Now().UTC(), Type: typ}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(n.Load())/float64(b.N), "commits/op")
}

// TestSharedRollbackAfterCommits: B, which ran after A in the shared
// transaction, rolls back while C waits for the writer; once B's Rollback
// returns, A's writes are committed and seen outside any transaction, as
// they were when every transaction committed on its own.
func TestSharedRollbackAfterCommits(t *testing.T) {
	t.Parallel()
	ctx, s := openTest(t)
	b, doneA := handOver(t, ctx, s, beginA(t, ctx, s))
	beganC := queued(t, ctx, s)
	doneC := make(chan error, 1)
	go func() {
		c := <-beganC
		time.Sleep(10 * sharedWait) // B's Rollback returns before this, unless it waits
		doneC <- s.Commit(c)
	}()
	if err := s.Rollback(b); err != nil {
		t.Fatal(err)
	}
	if got := events(t, s, "test.a"); got != 1 {
		t.Errorf("after B's rollback A's event is seen %d times, want 1", got)
	}
	if err := <-doneC; err != nil {
		t.Fatal(err)
	}
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
}
