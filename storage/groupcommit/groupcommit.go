// Package groupcommit runs small independent writes of many requests in
// shared transactions: one commit makes a whole batch durable. Each caller
// still waits until its own write has committed, so nothing acknowledged is
// lost when the process is killed, but under load one commit serves many
// requests instead of one (SQLite has one writer and commits one at a time;
// PostgreSQL flushes its log once per commit).
//
// Batches form by themselves: while one batch commits, the next requests
// queue, and the committer takes all of them at once. Nothing waits for a
// batch to fill, so a lone request pays no extra latency.
package groupcommit

import (
	"context"
	"errors"
	"sync"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("groupcommit: closed")

// Committer batches writes into shared transactions on one store.
type Committer struct {
	store    storage.Tx
	maxBatch int
	queue    chan *item

	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

type item struct {
	fn     func(ctx context.Context) error
	result chan error
}

// New starts a committer on store that commits at most maxBatch writes
// together (64 when maxBatch < 1). Close stops it.
func New(store storage.Tx, maxBatch int) *Committer {
	if maxBatch < 1 {
		maxBatch = 64
	}
	c := &Committer{store: store, maxBatch: maxBatch, queue: make(chan *item, 4*maxBatch), done: make(chan struct{})}
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
// committer could not begin another. When ctx ends first, Do returns its
// error; fn may still commit.
func (c *Committer) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if storage.InTransaction(ctx) {
		return fn(ctx)
	}
	it := &item{fn: fn, result: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	select {
	case c.queue <- it:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-it.result:
		return err
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
	for first := range c.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < c.maxBatch {
			select {
			case it, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
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
