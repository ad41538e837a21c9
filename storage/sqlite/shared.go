package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Transactions share commits. A commit writes the pages a transaction
// changed to the WAL (and, at checkpoints, to the file again): with one
// commit per transaction, a refresh (a dozen statements) spends about as
// much CPU time committing as running. So the transactions of BeginTx run
// one at a time, as before, but in one SQLite transaction that they share
// (the first plainly, each later one as a savepoint), which commits when
// no other transaction waits for the writer: under load, the transactions
// that queued up while one ran commit together, and alone a transaction
// commits at once, as before.
// Commit returns only once that transaction has committed (and returns
// its error), so a caller's writes are as durable as before when it
// returns; a transaction that rolls back undoes only its savepoint.
// PostgreSQL needs none of this: it groups commits itself.
//
// A transaction that has released its savepoint and handed the writer on
// waits at most sharedWait for the shared commit; past it, it commits the
// transaction itself (the transaction it handed over to may have given up
// before its turn came). At most maxShared transactions share a commit.
const (
	maxShared  = 64
	sharedWait = 5 * time.Millisecond
)

// errAborted is what the transactions of a shared transaction that rolled
// back get from Commit.
var errAborted = errors.New("sqlite: the shared transaction rolled back")

// shared is the writer's transaction that BeginTx's transactions share.
type shared struct {
	turn    chan struct{} // one slot: held by the transaction running on the writer
	waiting atomic.Int32  // BeginTx calls waiting for their turn

	// Guarded by turn.
	tx      *sql.Tx
	stmts   *txStmts
	batch   *batch
	members int // transactions that released their savepoint in tx
}

// batch is the outcome of one shared transaction's commit.
type batch struct {
	done chan struct{}
	err  error
}

func newShared() *shared { return &shared{turn: make(chan struct{}, 1)} }

// member is one transaction of BeginTx: a savepoint in the shared
// transaction, from begin to its Commit or Rollback.
type member struct {
	sh    *shared
	batch *batch
	// savepoint is false for the transaction that opened the shared one:
	// nothing before it needs keeping, so it runs without a savepoint
	// (writing in a savepoint copies each page to a journal first).
	savepoint bool
	ended     atomic.Bool
	unguard   func()
}

// begin waits for the writer and opens the shared transaction, or, when
// one is open, starts a savepoint in it.
func (sh *shared) begin(ctx context.Context, writer *sql.DB, cache *stmtCache) (*member, error) {
	sh.waiting.Add(1)
	select {
	case sh.turn <- struct{}{}:
		sh.waiting.Add(-1)
	case <-ctx.Done():
		sh.waiting.Add(-1)
		return nil, ctx.Err()
	}
	if sh.tx == nil {
		// Not bound to ctx: the transaction outlives this caller.
		tx, err := writer.BeginTx(context.Background(), nil)
		if err != nil {
			<-sh.turn
			return nil, err
		}
		sh.tx, sh.stmts, sh.batch, sh.members = tx, &txStmts{tx: tx, cache: cache}, &batch{done: make(chan struct{})}, 0
		return &member{sh: sh, batch: sh.batch}, nil
	}
	if _, err := sh.tx.Exec("SAVEPOINT member"); err != nil {
		sh.finish(false, err)
		<-sh.turn
		return nil, err
	}
	return &member{sh: sh, batch: sh.batch, savepoint: true}, nil
}

// commit releases m's savepoint, if it has one, and returns once the
// shared transaction has committed.
func (m *member) commit() error {
	if !m.end() {
		return errors.New("sqlite: commit: the transaction has ended")
	}
	sh := m.sh
	if m.savepoint {
		if _, err := sh.tx.Exec("RELEASE member"); err != nil {
			err = fmt.Errorf("sqlite: release: %w", mapErr(err))
			sh.finish(false, err)
			<-sh.turn
			return err
		}
	}
	sh.members++
	if sh.waiting.Load() == 0 || sh.members >= maxShared {
		sh.finish(true, nil)
		<-sh.turn
		return m.batch.err
	}
	<-sh.turn // the next transaction runs in the same SQLite transaction
	return sh.await(m.batch)
}

// rollback undoes m's savepoint; the transactions before it in the shared
// transaction still commit, and rollback returns once they have: what m
// read of them is then what any read sees, as when each transaction
// committed on its own (a refresh that lost a race finds the winner's
// rotation when it looks again outside a transaction).
func (m *member) rollback() error {
	if !m.end() {
		return nil
	}
	sh := m.sh
	if !m.savepoint { // the first: nothing before it to keep
		sh.finish(false, nil)
		<-sh.turn
		return nil
	}
	_, err := sh.tx.Exec("ROLLBACK TO member")
	if err == nil {
		_, err = sh.tx.Exec("RELEASE member")
	}
	if err != nil {
		err = fmt.Errorf("sqlite: rollback: %w", mapErr(err))
		sh.finish(false, err)
		<-sh.turn
		return err
	}
	before := sh.members > 0
	if sh.waiting.Load() == 0 {
		sh.finish(before, nil)
		<-sh.turn
		return nil
	}
	<-sh.turn
	if before {
		_ = sh.await(m.batch) // the outcome is theirs to report
	}
	return nil
}

// end marks m ended; false when it already was.
func (m *member) end() bool {
	if !m.ended.CompareAndSwap(false, true) {
		return false
	}
	if m.unguard != nil {
		m.unguard()
	}
	return true
}

// await waits for b's commit. Past sharedWait it commits b itself when it
// gets the writer first: the transaction it handed the writer to may have
// given up before its turn came.
func (sh *shared) await(b *batch) error {
	t := time.NewTimer(sharedWait)
	defer t.Stop()
	select {
	case <-b.done:
		return b.err
	case <-t.C:
	}
	select {
	case <-b.done:
	case sh.turn <- struct{}{}:
		if sh.batch == b {
			sh.finish(true, nil)
		}
		<-sh.turn
	}
	return b.err
}

// finish ends the shared transaction: commits it, or rolls it back after
// cause. Its transactions get the outcome. The caller holds the turn.
func (sh *shared) finish(commit bool, cause error) {
	b := sh.batch
	if commit {
		if err := sh.tx.Commit(); err != nil {
			b.err = fmt.Errorf("sqlite: commit: %w", mapErr(err))
		}
	} else {
		_ = sh.tx.Rollback() // the transaction may be gone already: cause says why
		b.err = errors.Join(errAborted, cause)
	}
	close(b.done)
	stmts := sh.stmts
	sh.tx, sh.stmts, sh.batch, sh.members = nil, nil, nil, 0
	stmts.warm(context.Background())
}

// close ends an open shared transaction (committing what it holds) once
// the running transaction, if any, has ended.
func (sh *shared) close() {
	sh.turn <- struct{}{}
	if sh.tx != nil {
		sh.finish(sh.members > 0, nil)
	}
	<-sh.turn
}
