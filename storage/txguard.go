package storage

import (
	"context"
	"sync"
)

// txGuard remembers the transactions begun under one context that have
// not ended yet.
type txGuard struct {
	mu   sync.Mutex
	next uint64
	open map[uint64]func()
}

type txGuardKey struct{}

// WithTxGuard returns a context under which the transactions a backend
// begins (BeginTx) are remembered until they end, and a function that
// rolls back those still open and reports how many there were. The HTTP
// middleware calls it once each request is over: fosite begins and ends
// transactions itself, and a panic between its BeginTX and Commit would
// otherwise keep a PostgreSQL connection, and its row locks, for ever
// (SQLite's database/sql transactions roll back when the request's
// context ends).
func WithTxGuard(ctx context.Context) (context.Context, func() int) {
	g := &txGuard{open: map[uint64]func(){}}
	return context.WithValue(ctx, txGuardKey{}, g), func() int {
		g.mu.Lock()
		open := g.open
		g.open = map[uint64]func(){}
		g.mu.Unlock()
		for _, rollback := range open {
			rollback()
		}
		return len(open)
	}
}

// GuardTx is for backends: BeginTx calls it with how to roll the new
// transaction back, and calls the returned func when the transaction ends
// (committed or rolled back). Without a guard in ctx it does nothing.
func GuardTx(ctx context.Context, rollback func()) (ended func()) {
	g, _ := ctx.Value(txGuardKey{}).(*txGuard)
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.next
	g.next++
	g.open[id] = rollback
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		delete(g.open, id)
	}
}
