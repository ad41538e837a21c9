package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/groupcommit"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// countingTx counts the transactions that commit.
type countingTx struct {
	storage.Store
	commits atomic.Int64
}

func (c *countingTx) Commit(ctx context.Context) error {
	err := c.Store.Commit(ctx)
	if err == nil {
		c.commits.Add(1)
	}
	return err
}

func open(t testing.TB, path string) storage.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func event(n int) storage.AuditEvent {
	return storage.AuditEvent{Time: time.Now().UTC(), Type: "test.event", Outcome: "success", Details: map[string]string{"n": fmt.Sprint(n)}}
}

func count(t *testing.T, s storage.Store) int {
	t.Helper()
	evs, err := s.ListAuditEvents(t.Context(), storage.AuditFilter{Type: "test.event", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestBatches: many concurrent writers are committed in fewer transactions
// than writes, every write is durable when Do returns (another connection
// to the file sees it), and none is written twice.
func TestBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s := &countingTx{Store: open(t, path)}
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 16})
	defer c.Close()
	const writers, each = 32, 10
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := c.Do(t.Context(), func(ctx context.Context) error {
					return s.AppendAuditEvent(ctx, event(w*each+i))
				}); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d writes failed", failed.Load())
	}
	other := open(t, path)
	if n := count(t, other); n != writers*each {
		t.Fatalf("%d events on disk, want %d", n, writers*each)
	}
	if n := s.commits.Load(); n >= writers*each {
		t.Errorf("%d commits for %d concurrent writes: nothing was grouped", n, writers*each)
	}
}

// TestFailureIsolated: a write that fails in a batch fails alone; the
// others in its batch are committed once.
func TestFailureIsolated(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 64})
	defer c.Close()
	bad := errors.New("this write fails")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = c.Do(t.Context(), func(ctx context.Context) error {
				if err := s.AppendAuditEvent(ctx, event(i)); err != nil {
					return err
				}
				if i%10 == 3 {
					return bad
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if want := i%10 == 3; want != errors.Is(err, bad) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n := count(t, s); n != 36 {
		t.Errorf("%d events stored, want the 36 good ones exactly once", n)
	}
}

// TestInsideTransaction: a write from code that holds a transaction runs
// in it (on SQLite waiting for the committer would deadlock on the one
// writer) and goes with it when it rolls back.
func TestInsideTransaction(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 8})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := storage.InTx(ctx, s, func(ctx context.Context) error {
		if err := c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(1)) }); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatalf("InTx: %v", err)
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d events after the rollback, want 0", n)
	}
}

// TestClose: queued writes commit; after Close, Do refuses.
func TestClose(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 8})
	if err := c.Do(t.Context(), func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(1)) }); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close() // twice is fine
	if err := c.Do(t.Context(), func(context.Context) error { return nil }); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
	if n := count(t, s); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

// TestDeferredShareOneCommit: the writes of expected requests (Defer,
// Expect) wait for each other: with a delay longer than the test, the
// committer commits once all of them have handed over their writes and
// called Wait,
// so eight requests of two writes each take one commit, and every write
// is stored when Wait returns.
func TestDeferredShareOneCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s := &countingTx{Store: open(t, path)}
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 64, Delay: time.Hour})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const requests = 8
	waits := make([]func(context.Context) error, requests)
	ctxs := make([]context.Context, requests)
	for i := range requests {
		var p *groupcommit.Pending
		ctxs[i], p = c.Defer(ctx)
		p.Expect()
		waits[i] = p.Wait
	}
	var wg sync.WaitGroup
	errs := make([]error, requests)
	for i := range requests {
		wg.Go(func() {
			for j := range 2 {
				if err := c.Do(ctxs[i], func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(2*i+j)) }); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = waits[i](ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := count(t, open(t, path)); n != 2*requests {
		t.Fatalf("%d events on disk, want %d", n, 2*requests)
	}
	if n := s.commits.Load(); n != 1 {
		t.Errorf("%d commits for %d deferring requests, want 1", n, requests)
	}
}

// TestDeferredOutcome: a deferred write's failure comes from Wait (Do
// returned nil), the other writes of its batch are stored, and after
// Wait a write under the same context waits for itself.
func TestDeferredOutcome(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{MaxBatch: 64, Delay: time.Hour})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	bad := errors.New("this write fails")
	dctx, p := c.Defer(ctx)
	if err := c.Do(dctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(1)) }); err != nil {
		t.Fatalf("deferred Do: %v", err)
	}
	if err := c.Do(dctx, func(context.Context) error { return bad }); err != nil {
		t.Fatalf("deferred Do returned the write's error before Wait: %v", err)
	}
	if err := p.Wait(ctx); !errors.Is(err, bad) {
		t.Fatalf("Wait: %v, want the failed write's error", err)
	}
	if err := p.Wait(ctx); !errors.Is(err, bad) {
		t.Errorf("second Wait: %v, want the same outcome", err)
	}
	if n := count(t, s); n != 1 {
		t.Errorf("%d events stored, want the good one", n)
	}
	if err := c.Do(dctx, func(context.Context) error { return bad }); !errors.Is(err, bad) {
		t.Errorf("Do after Wait: %v, want its own error", err)
	}

	// A write that cannot be queued (the committer has closed) is
	// reported by Wait, which does not wait for it for ever.
	c.Close()
	dctx, p = c.Defer(ctx)
	if err := c.Do(dctx, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("deferred Do after Close: %v", err)
	}
	if err := p.Wait(ctx); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("Wait for a write queued after Close: %v, want ErrClosed", err)
	}
}

// TestNoDelayWithoutRequests: with no request expected, a write commits
// at once even when the delay is longer than the test, also beside a
// request that deferred but is not yet about to write (it may be hashing
// a password); with an expected request that hands over nothing, a write
// waits the delay and no longer.
func TestNoDelayWithoutRequests(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(1)) }); err != nil {
		t.Fatalf("Do with nobody deferring: %v (it waited for the delay)", err)
	}
	_, slow := c.Defer(ctx)
	if err := c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(2)) }); err != nil {
		t.Fatalf("Do beside a request not yet expected: %v (it waited for the delay)", err)
	}
	if err := slow.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()

	c = groupcommit.New(s, groupcommit.Options{Delay: 20 * time.Millisecond})
	defer c.Close()
	_, p := c.Defer(ctx)
	p.Expect()
	defer p.Wait(ctx) //nolint:errcheck // it wrote nothing
	if err := c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(3)) }); err != nil {
		t.Fatalf("Do beside an idle expected request: %v", err)
	}
	if n := count(t, s); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
}

// TestDeferredCancellation: a request whose context has ended still hands
// its write over (Wait decides, not the client's disconnect), and a Wait
// whose own context ends before the writes commit says so instead of
// reporting success.
func TestDeferredCancellation(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	c := groupcommit.New(s, groupcommit.Options{Delay: time.Hour})
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	gone, leave := context.WithCancel(ctx)
	leave()
	dctx, p := c.Defer(gone)
	for i := range 20 { // enqueueing chose at random between the queue and a done context
		if err := c.Do(dctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(i)) }); err != nil {
			t.Fatalf("deferred Do under an ended context: %v", err)
		}
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := count(t, s); n != 20 {
		t.Fatalf("%d events stored, want all 20 of the gone request", n)
	}

	_, other := c.Defer(ctx)
	other.Expect() // keeps the next batch waiting
	dctx, p = c.Defer(ctx)
	p.Expect()
	if err := c.Do(dctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(99)) }); err != nil {
		t.Fatal(err)
	}
	impatient, stop := context.WithCancel(ctx)
	stop()
	if err := p.Wait(impatient); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait whose context ended before the commit: %v, want context.Canceled", err)
	}
	if err := other.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("second Wait: %v, want the first one's outcome", err)
	}
}

// TestBatchTakesRunnableWrites: under load, when no request has announced
// writes, a batch still takes the writes of goroutines that are ready to
// run (as requests queued for a CPU are) before it commits, so one commit
// serves them all: with one CPU here, ten writers started together share
// one or two commits once a large batch has shown the load.
func TestBatchTakesRunnableWrites(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := &countingTx{Store: open(t, filepath.Join(t.TempDir(), "gatehouse.db"))}
	c := groupcommit.New(s, groupcommit.Options{Delay: time.Second})
	defer c.Close()
	burst := func(writers int) int64 {
		before := s.commits.Load()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				if err := c.Do(t.Context(), func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(w)) }); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return s.commits.Load() - before
	}
	// Load: while a request is about to write, 32 writes wait for it and
	// share one batch.
	ctx, p := c.Defer(t.Context())
	p.Expect()
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(-1)) })
		_ = p.Wait(ctx)
	}()
	burst(32)
	if n := burst(10); n > 2 {
		t.Errorf("10 writers started together took %d commits, want 1 or 2", n)
	}
}
