package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

// maxCachedStmts bounds the statement cache; every query of the package
// is a constant, so the bound is only a guard.
const maxCachedStmts = 256

// Every query of both queriers below sends a string argument that is not
// valid UTF-8 or holds a NUL byte as NULL (sqlutil.NullInvalidText), as
// the PostgreSQL backend does, so the two agree: a lookup by such text
// finds nothing and a write of it fails with storage.ErrInvalid.

// stmtCache keeps one prepared statement per query text on a pool, so that
// a hot query (a token lookup, a client read) is parsed by SQLite once per
// connection instead of on every call. It is a querier, like the pool.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// stmt returns the cached statement for query, preparing it on first use;
// nil (run the query unprepared) when preparing fails or the cache is full.
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.RLock()
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil
	}
	// Prepare without the lock: on the writer this waits for its one
	// connection, which a transaction may hold while it reads the cache.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		st.Close() // another goroutine was first
		return prev
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	args = sqlutil.NullInvalidText(args, false)
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args = sqlutil.NullInvalidText(args, false)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	args = sqlutil.NullInvalidText(args, false)
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// cached returns the statement for query if it is already prepared,
// without preparing: inside a transaction the writer's only connection is
// taken, so preparing on the pool would wait for ever.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// txStmts runs queries on a transaction: with the writer's cached
// statement when there is one (the transaction holds the writer's one
// connection, on which it is prepared), else with a statement prepared on
// the transaction and kept until it ends, so a batch of inserts in one
// transaction parses its query once.
type txStmts struct {
	tx    *sql.Tx
	cache *stmtCache
	mu    sync.Mutex
	own   map[string]*sql.Stmt
	// missed are the queries the writer had not cached: warm prepares
	// them on the writer once the transaction has ended.
	missed []string
}

// uncancelable drops ctx's cancellation for a statement of a transaction:
// SQLite rolls back the whole transaction when an interrupted statement
// writes, and the transactions of BeginTx share one (shared.go), so one
// caller that has gone must not undo the others' writes. Its transaction
// still ends, by the caller's Rollback or by the request's guard.
func uncancelable(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// warm caches the queries the transaction prepared for itself on the
// writer, so that the next transaction finds them prepared on the
// writer's one connection instead of parsing them again. Call it once the
// transaction has ended (inside it the connection is taken).
func (t *txStmts) warm(ctx context.Context) {
	t.mu.Lock()
	missed := t.missed
	t.missed = nil
	t.mu.Unlock()
	for _, q := range missed {
		t.cache.stmt(ctx, q)
	}
}

func (t *txStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st := t.own[query]; st != nil {
		return st
	}
	// Tx.StmtContext makes a new transaction-bound statement, kept until
	// the transaction ends, on every call: keep the first, or a long
	// transaction (migrate-data's copy) grows by one per query.
	var st *sql.Stmt
	if cached := t.cache.cached(query); cached != nil {
		st = t.tx.StmtContext(ctx, cached) // ctx has no cancellation (uncancelable)
	} else {
		var err error
		if st, err = t.tx.PrepareContext(ctx, query); err != nil {
			return nil // the unprepared call reports the error
		}
		t.missed = append(t.missed, query)
	}
	if t.own == nil {
		t.own = map[string]*sql.Stmt{}
	}
	t.own[query] = st
	return st
}

func (t *txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = uncancelable(ctx)
	args = sqlutil.NullInvalidText(args, false)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = uncancelable(ctx)
	args = sqlutil.NullInvalidText(args, false)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = uncancelable(ctx)
	args = sqlutil.NullInvalidText(args, false)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
