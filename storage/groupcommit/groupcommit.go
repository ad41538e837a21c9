// Package groupcommit runs small independent writes of many requests in
// shared transactions: one commit makes a whole batch durable. Each caller
// still waits until its own write has committed, so nothing acknowledged is
// lost when the process is killed, but under load one commit serves many
// requests instead of one (SQLite has one writer and commits one at a time;
// PostgreSQL flushes its log once per commit).
//
// Batches form by themselves: while one batch commits, the next requests
// queue, and the committer takes all of them at once. A request can also
// hand over its writes without waiting for each and then wait for all of
// them together (Defer). While such requests are about to hand over
// writes (Pending.Expect), a batch waits up to Options.Delay for them, as
// PostgreSQL's commit_delay does while commit_siblings transactions are
// active: a request's token session and audit event then share one commit,
// and under load one commit serves many requests. When none is about to
// write, the committer still lets goroutines that are ready to run go
// first (it yields, a few times, within the delay): under load, requests
// wait for a CPU before they get as far as announcing their writes, and a
// commit that does not wait for them serves few of them. A write with no
// request expected and nothing else ready to run never waits.
package groupcommit

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// maxYields is how many times a batch lets ready goroutines run before
// it commits with no request about to write. Each yield returns at once
// when nothing else is ready; under load each lets the requests queued
// for a CPU reach their writes. At c=64 (RS256 client credentials on two
// cores) a commit then served about 22 tokens instead of 13, and a token
// cost 1.2 fewer WAL writes (README, Performance).
const maxYields = 8

// A batch yields only while recent batches held yieldAfter writes or more
// (the committer is then under load: at c=1 a batch holds 2), and stops
// yielding once a yield took longer than maxYieldWait: the cores are
// then busy with long work (a password hash takes a quarter of a second,
// and Go gives it 10 ms at a time), and waiting behind it would delay the
// commit of requests that are ready (client credentials beside a
// password flood went from a p99 of 36 to 53 ms with no such limits).
const (
	yieldAfter   = 16
	maxYieldWait = time.Millisecond
)

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("groupcommit: closed")

// Options tune a Committer.
type Options struct {
	// MaxBatch is the most writes one transaction commits (64 when < 1).
	MaxBatch int
	// Delay is how long a batch may wait for the writes of expected
	// requests (Pending.Expect) before it commits; 0 never waits.
	Delay time.Duration
}

// Committer batches writes into shared transactions on one store.
type Committer struct {
	store    storage.Tx
	maxBatch int
	delay    time.Duration
	queue    chan *item
	// active counts the requests about to hand over writes (Expect to
	// Wait); wake tells a waiting batch that one has ended.
	active atomic.Int64
	wake   chan struct{}
	// load is the size of recent batches: the largest, decaying by a
	// quarter with each batch after it (the committer's own).
	load int

	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

type item struct {
	fn     func(ctx context.Context) error
	result chan error
}

// New starts a committer on store. Close stops it.
func New(store storage.Tx, o Options) *Committer {
	if o.MaxBatch < 1 {
		o.MaxBatch = 64
	}
	c := &Committer{store: store, maxBatch: o.MaxBatch, delay: max(o.Delay, 0),
		queue: make(chan *item, 4*o.MaxBatch), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// Do runs fn in a transaction shared with other callers' writes and
// returns once that transaction has committed, with fn's error or the
// commit's. fn must only write (its effects are visible once Do returns)
// and must not fail for reasons another caller's write could cause: a
// batch with a failing write is rolled back and each write is run again
// in a transaction of its own, so one caller's failure is never another's.
//
// When ctx already carries a transaction, fn runs in it at once: the
// caller holds that transaction (on SQLite the one writer) and the
// committer could not begin another. When ctx carries this committer's
// Pending (Defer) that has not been waited for, Do queues fn and returns
// nil: its outcome comes from Pending.Wait. When ctx ends first, Do
// returns its error; fn may still commit.
func (c *Committer) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if storage.InTransaction(ctx) {
		return fn(ctx)
	}
	it := &item{fn: fn, result: make(chan error, 1)}
	if p := c.pendingIn(ctx); p != nil && p.add(it) {
		// The caller does not wait here, so a request that ends (its
		// client gone) must not leave the write out: Wait decides.
		if err := c.enqueue(context.WithoutCancel(ctx), it); err != nil {
			it.result <- err // Wait reports it
		}
		return nil
	}
	if err := c.enqueue(ctx, it); err != nil {
		return err
	}
	select {
	case err := <-it.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Committer) enqueue(ctx context.Context, it *item) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return ErrClosed
	}
	select {
	case c.queue <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking writes, commits the queued ones and returns when the
// committer has stopped.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	batch := make([]*item, 0, c.maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for first := range c.queue {
		batch = c.fill(append(batch[:0], first), timer)
		c.load = max(len(batch), c.load*3/4)
		c.commit(batch)
	}
}

// fill adds the queued writes to batch. When none is left while requests
// are expected (they may hand over more writes before their Wait), it
// waits for them, up to the delay; when none is expected, it first lets
// ready goroutines run (maxYields), within the delay, under load.
func (c *Committer) fill(batch []*item, timer *time.Timer) []*item {
	timing, start := false, time.Now()
	yields := 0 // left to this batch: none unless under load
	if c.load >= yieldAfter {
		yields = maxYields
	}
	defer func() {
		if timing {
			timer.Stop()
		}
	}()
	for len(batch) < c.maxBatch {
		select {
		case it, ok := <-c.queue:
			if !ok {
				return batch
			}
			batch = append(batch, it)
			continue
		default:
		}
		if c.delay == 0 {
			return batch
		}
		if c.active.Load() == 0 {
			if yields > 0 && time.Since(start) < c.delay {
				yields--
				t := time.Now()
				runtime.Gosched()
				if time.Since(t) > maxYieldWait {
					yields = 0
				}
				continue
			}
			return batch
		}
		if !timing {
			timing = true
			timer.Reset(c.delay)
		}
		select {
		case it, ok := <-c.queue:
			if !ok {
				return batch
			}
			batch = append(batch, it)
		case <-c.wake:
		case <-timer.C:
			timing = false
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction; when anything in it fails, each
// write runs again in its own, so every caller gets its own outcome.
func (c *Committer) commit(batch []*item) {
	ctx := context.Background()
	if len(batch) > 1 {
		err := storage.InTx(ctx, c.store, func(ctx context.Context) error {
			for _, it := range batch {
				if err := it.fn(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, it := range batch {
				it.result <- nil
			}
			return
		}
	}
	for _, it := range batch {
		it.result <- storage.InTx(ctx, c.store, it.fn)
	}
}
