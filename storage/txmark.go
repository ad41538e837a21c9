package storage

import (
	"context"
	"sync/atomic"
)

// txMarkKey marks a context that carries a transaction a backend began.
type txMarkKey struct{}

type txMark struct{ open atomic.Bool }

// MarkTx returns ctx marked as carrying an open transaction. Backends call
// it in BeginTx for the outermost transaction, and EndTx when it commits
// or rolls back.
func MarkTx(ctx context.Context) context.Context {
	m := &txMark{}
	m.open.Store(true)
	return context.WithValue(ctx, txMarkKey{}, m)
}

// EndTx records that the transaction marked in ctx has ended.
func EndTx(ctx context.Context) {
	if m, ok := ctx.Value(txMarkKey{}).(*txMark); ok {
		m.open.Store(false)
	}
}

// InTransaction reports whether ctx carries a transaction that is still
// open. Work that would otherwise run in a transaction of its own (a group
// commit) must run in this one instead: on SQLite it holds the one writer.
func InTransaction(ctx context.Context) bool {
	m, ok := ctx.Value(txMarkKey{}).(*txMark)
	return ok && m.open.Load()
}
