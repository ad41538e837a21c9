package groupcommit

import (
	"context"
	"errors"
	"sync"
)

// Pending collects the writes one request hands to a Committer without
// waiting for each (Defer), so that they can share a commit with each
// other and with other requests' writes.
type Pending struct {
	c *Committer

	mu       sync.Mutex
	items    []*item
	expected bool // counted as under way (Expect)
	waited   bool
	// done is closed once the first Wait has its outcome.
	done    chan struct{}
	outcome error
}

type pendingKey struct{ c *Committer }

// Defer returns ctx under which c.Do queues its writes and returns at once,
// and the Pending whose Wait returns once all of them have committed. The
// request must call Wait, also on its error paths.
func (c *Committer) Defer(ctx context.Context) (context.Context, *Pending) {
	p := &Pending{c: c}
	return context.WithValue(ctx, pendingKey{c}, p), p
}

// Expect tells the committer that the request is about to hand over its
// writes: from now until Wait, batches wait for them, up to
// Options.Delay. Call it where only quick work remains before the writes
// (not before a password hash or a network call: every batch meanwhile
// would wait the whole delay). Calling it again does nothing.
func (p *Pending) Expect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.expected || p.waited {
		return
	}
	p.expected = true
	p.c.active.Add(1)
}

func (c *Committer) pendingIn(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{c}).(*Pending)
	return p
}

// add records it as one of p's writes; false once p has been waited for
// (the caller then waits for its write itself).
func (p *Pending) add(it *item) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waited {
		return false
	}
	p.items = append(p.items, it)
	return true
}

// Wait returns once every write queued under p's context has committed,
// with their errors joined, or ctx's error when ctx ends first (the writes
// may still commit). It ends the deferral: later writes under p's context
// wait for themselves, and every later Wait returns the first one's
// outcome once it has one.
func (p *Pending) Wait(ctx context.Context) error {
	p.mu.Lock()
	if p.waited {
		done := p.done
		p.mu.Unlock()
		<-done
		return p.outcome
	}
	p.waited = true
	p.done = make(chan struct{})
	items, expected := p.items, p.expected
	p.mu.Unlock()
	if expected {
		p.c.active.Add(-1)
		select {
		case p.c.wake <- struct{}{}:
		default:
		}
	}
	var err error
wait:
	for _, it := range items {
		select {
		case e := <-it.result:
			err = errors.Join(err, e)
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
			break wait
		}
	}
	p.outcome = err
	close(p.done)
	return err
}
