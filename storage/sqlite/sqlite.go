// Package sqlite is Gatehouse's embedded storage backend: storage.Store on one
// SQLite file (github.com/mattn/go-sqlite3, WAL mode).
//
// A Store holds two pools on the file: a writer with a single connection,
// which runs every write and every transaction (BEGIN IMMEDIATE, so a
// transaction takes the write lock up front instead of failing on a lock
// upgrade), and a reader pool for reads outside a transaction. Another
// process (the CLI next to the server) waits up to the busy timeout for the
// write lock; past it the call fails with storage.ErrConflict. The
// transactions of BeginTx run one at a time in a SQLite transaction that
// those queued behind one another share, so that they commit together
// (shared.go); Commit still returns only once its writes are durable. A
// checkpointer on a connection of its own copies most of the WAL back into
// the file in the background (checkpoint.go).
//
// The one rule inside the process: a goroutine that holds a transaction must
// pass its context to every call, or a write would wait for the writer
// connection that the transaction itself holds.
//
// Times are stored as INTEGER Unix microseconds in UTC; optional times are
// NULL when zero. String lists are stored as JSON arrays.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/gatehouse-id/gatehouse/storage"
)

// dsnOptions apply to every connection: the writer, the readers and the
// checkpointer.
const dsnOptions = "_txlock=immediate&_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL"

// dsn is the data source name of every connection to the file at path.
func dsn(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + dsnOptions
}

// driverName is go-sqlite3 with the settings no DSN option reaches: a
// commit checkpoints the WAL only as a backstop (checkpoint.go). The
// journal spill threshold, which SQLite takes only before it initializes,
// is set in spill.go; temp_store stays the default, since MEMORY would
// remove that threshold and hold every page a large transaction changes.
const driverName = "sqlite3_gatehouse"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerAutoCheckpoint), nil)
			return err
		},
	})
}

// Store is storage.Store on a SQLite file. Build it with Open.
type Store struct {
	writer *sql.DB // one connection: all writes and transactions
	reader *sql.DB // reads outside a transaction
	// checkpoints copies the WAL into the file in the background.
	checkpoints *checkpointer
	// Prepared statements of each pool, by query text.
	writes, reads *stmtCache
	// shared is the transaction BeginTx's transactions share (shared.go).
	shared *shared
	// observer, when set, times every statement (ObserveQueries).
	observer atomic.Pointer[storage.QueryObserver]
}

var _ storage.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path and brings its
// schema up to date. The parent directory must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	// Create the file owner-only before SQLite does (it would use the
	// umask): it holds password hashes and token sessions. SQLite gives
	// the -wal and -shm files the database file's permissions.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f.Close()
	writer, err := sql.Open(driverName, dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	reader, err := sql.Open(driverName, dsn(path))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)

	s := &Store{writer: writer, reader: reader, writes: newStmtCache(writer), reads: newStmtCache(reader), shared: newShared()}
	if err := connect(ctx, writer); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt, err := sql.Open(driverName, dsn(path))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s.checkpoints = startCheckpointer(ckpt, writer, checkpointPages, checkpointPoll)
	return s, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rq(ctx).QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	return nil
}

// Close stops the background checkpoints and closes the connection pools.
func (s *Store) Close() error {
	var ckptErr error
	if s.checkpoints != nil {
		ckptErr = s.checkpoints.close()
	}
	s.shared.close()
	s.writes.close()
	s.reads.close()
	return errors.Join(ckptErr, s.reader.Close(), s.writer.Close())
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txKey keys a Store's transaction in a context; keyed by Store so that a
// context from one Store never leaks its transaction into another.
type txKey struct{ s *Store }

type txState struct {
	m      *member
	stmts  *txStmts // shared by the nested contexts of one transaction
	nested bool
}

func (s *Store) txFrom(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{s}).(*txState)
	return st
}

// q returns where a write runs: the transaction in ctx, else the writer.
func (s *Store) q(ctx context.Context) querier {
	if st := s.txFrom(ctx); st != nil {
		return s.timed(st.stmts)
	}
	return s.timed(s.writes)
}

// rq returns where a read runs: the transaction in ctx (which must see its
// own writes), else the reader pool.
func (s *Store) rq(ctx context.Context) querier {
	if st := s.txFrom(ctx); st != nil {
		return s.timed(st.stmts)
	}
	return s.timed(s.reads)
}

// BeginTx starts a transaction on the writer, or joins the one already in
// ctx (the returned context is then nested). It runs in a SQLite
// transaction that the transactions queued behind it share (shared.go).
func (s *Store) BeginTx(ctx context.Context) (context.Context, error) {
	if st := s.txFrom(ctx); st != nil {
		return context.WithValue(ctx, txKey{s}, &txState{m: st.m, stmts: st.stmts, nested: true}), nil
	}
	m, err := s.shared.begin(ctx, s.writer, s.writes)
	if err != nil {
		return ctx, fmt.Errorf("sqlite: begin: %w", mapErr(err))
	}
	txCtx := storage.MarkTx(context.WithValue(ctx, txKey{s}, &txState{m: m, stmts: m.sh.stmts}))
	// A transaction its request left open (a panic) is rolled back when
	// the request ends: it holds the writer.
	m.unguard = storage.GuardTx(ctx, func() { _ = s.Rollback(txCtx) })
	return txCtx, nil
}

// Commit commits the transaction in ctx, returning once it is durable; on
// a nested context it does nothing.
func (s *Store) Commit(ctx context.Context) error {
	st := s.txFrom(ctx)
	if st == nil {
		return errors.New("sqlite: commit: no transaction in context")
	}
	if st.nested {
		return nil
	}
	storage.EndTx(ctx)
	return st.m.commit()
}

// Rollback rolls back the transaction in ctx; on a nested context it does
// nothing.
func (s *Store) Rollback(ctx context.Context) error {
	st := s.txFrom(ctx)
	if st == nil {
		return errors.New("sqlite: rollback: no transaction in context")
	}
	if st.nested {
		return nil
	}
	storage.EndTx(ctx)
	return st.m.rollback()
}

// mapErr turns driver errors into the storage sentinels, keeping the
// original error in the chain.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked:
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	case se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey:
		return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
	case se.ExtendedCode == sqlite3.ErrConstraintForeignKey:
		// A row refers to a user or client that does not exist.
		return fmt.Errorf("%w: referenced row: %w", storage.ErrNotFound, err)
	case se.ExtendedCode == sqlite3.ErrConstraintNotNull:
		// Every text column is NOT NULL: text the queriers sent as NULL
		// (invalid UTF-8 or a NUL byte; see stmt.go) gets here.
		return fmt.Errorf("%w: %w", storage.ErrInvalid, err)
	}
	return err
}

// affected returns ErrNotFound (wrapped with what) when res changed no row.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return nil
}

// connect opens the first connection. Switching a new database file to WAL
// needs an exclusive lock that SQLite does not wait for, so when two
// processes (the server and the CLI) open a fresh file at once, one may see
// "database is locked": it retries for up to ten seconds.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := mapErr(db.PingContext(ctx))
		if err == nil || !errors.Is(err, storage.ErrConflict) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
