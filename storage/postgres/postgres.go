// Package postgres is Gatehouse's scale-out storage backend: storage.Store
// on PostgreSQL through a github.com/jackc/pgx/v5 connection pool, shared by
// any number of Gatehouse nodes.
//
// Transactions run at READ COMMITTED. The guards that must let exactly one
// of several concurrent callers win (a code's single use, refresh rotation,
// a one-time token's consumption, a JTI's first use) are single conditional
// statements (UPDATE ... WHERE active, DELETE ... RETURNING, INSERT ... ON
// CONFLICT): a second caller waits for the first one's row lock, then finds
// the row changed and matches nothing, so the database decides and the loser
// sees storage.ErrNotFound rather than a retryable conflict. Read-modify-write
// updates (UpdateUser, UpdateClient, UpdateKey) lock their row first (SELECT
// ... FOR UPDATE), and UpdateKeys, the compare-and-swap of the key set,
// locks the key table against other writers, so that key creation and
// rotation serialise across nodes as they do on SQLite's single writer.
//
// Times are timestamptz, written truncated to the microsecond and read back
// in UTC; optional times are NULL when zero. String lists are text[].
// Identifier columns use the "C" collation, so ordering is bytewise whatever
// the database's locale.
//
// SQLSTATE 40001 (serialization failure), 40P01 (deadlock) and 55P03 (lock
// not available) become storage.ErrConflict, 23505 (unique violation)
// storage.ErrAlreadyExists, 23503 (foreign key violation)
// storage.ErrNotFound and 23502 (not-null violation: text that is not
// UTF-8 or holds a NUL byte, sent as NULL) storage.ErrInvalid.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

// Options size and time the connection pool. Zero fields keep pgx's
// defaults (or the DSN's pool_* parameters).
type Options struct {
	MaxConns        int
	MinConns        int
	ConnectTimeout  time.Duration
	MaxConnLifetime time.Duration
	// StatementTimeout and LockTimeout, when positive, are set on every
	// connection (statement_timeout, lock_timeout): no statement runs, or
	// waits for a lock, longer, so a slow delete or a held row lock
	// cannot stall the requests queued behind it. Migrations run without
	// them (they wait for one another's advisory lock).
	StatementTimeout time.Duration
	LockTimeout      time.Duration
}

// Store is storage.Store on a PostgreSQL database. Build it with Open.
type Store struct {
	pool *pgxpool.Pool
	// observer, when set, times every statement (ObserveQueries).
	observer atomic.Pointer[storage.QueryObserver]
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database dsn names (postgres:// or postgresql://,
// any libpq parameter, e.g. search_path or sslmode) and brings its schema up
// to date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, errors.New("postgres: invalid database DSN")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	if opts.MinConns > 0 {
		cfg.MinConns = int32(min(opts.MinConns, int(cfg.MaxConns)))
	}
	if opts.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	if opts.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	}
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if opts.LockTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.FormatInt(opts.LockTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.q(ctx).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", mapErr(err))
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txKey keys a Store's transaction in a context; keyed by Store so that a
// context from one Store never leaks its transaction into another.
type txKey struct{ s *Store }

type txState struct {
	tx     pgx.Tx
	nested bool
	ended  func() // tells the request's storage.WithTxGuard the tx ended
}

func (s *Store) txFrom(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{s}).(*txState)
	return st
}

// q returns where a statement runs: the transaction in ctx, else the pool.
func (s *Store) q(ctx context.Context) querier {
	var q querier = s.pool
	if st := s.txFrom(ctx); st != nil {
		q = st.tx
	}
	c := textChecked{q: q}
	if obs := s.observer.Load(); obs != nil {
		c.obs = *obs
	}
	return c
}

// ObserveQueries reports the duration of every statement to obs (nil
// stops reporting). It may be called while the store is in use.
func (s *Store) ObserveQueries(obs storage.QueryObserver) {
	if obs == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&obs)
}

// textChecked sends every string (and string list) argument that
// PostgreSQL would refuse as text as NULL instead (see
// sqlutil.NullInvalidText): a lookup by it finds nothing, as on SQLite,
// instead of failing with SQLSTATE 22021, and a write of it fails with
// storage.ErrInvalid. With an observer it also times each statement.
type textChecked struct {
	q   querier
	obs storage.QueryObserver
}

func (c textChecked) observe(kind string, start time.Time) {
	if c.obs != nil {
		c.obs(kind, time.Since(start))
	}
}

func (c textChecked) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	defer c.observe("exec", time.Now())
	return c.q.Exec(ctx, sql, sqlutil.NullInvalidText(args, true)...)
}

func (c textChecked) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	defer c.observe("query", time.Now())
	return c.q.Query(ctx, sql, sqlutil.NullInvalidText(args, true)...)
}

func (c textChecked) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	defer c.observe("query", time.Now())
	return c.q.QueryRow(ctx, sql, sqlutil.NullInvalidText(args, true)...)
}

// BeginTx starts a READ COMMITTED transaction, or joins the one already in
// ctx (the returned context is then nested).
func (s *Store) BeginTx(ctx context.Context) (context.Context, error) {
	if st := s.txFrom(ctx); st != nil {
		return context.WithValue(ctx, txKey{s}, &txState{tx: st.tx, nested: true}), nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return ctx, fmt.Errorf("postgres: begin: %w", mapErr(err))
	}
	ended := storage.GuardTx(ctx, func() { _ = tx.Rollback(context.WithoutCancel(ctx)) })
	return storage.MarkTx(context.WithValue(ctx, txKey{s}, &txState{tx: tx, ended: ended})), nil
}

// Commit commits the transaction in ctx; on a nested context it does
// nothing. A transaction that a failed statement aborted cannot commit: it
// is rolled back and Commit reports an error.
func (s *Store) Commit(ctx context.Context) error {
	st := s.txFrom(ctx)
	if st == nil {
		return errors.New("postgres: commit: no transaction in context")
	}
	if st.nested {
		return nil
	}
	defer st.ended()
	storage.EndTx(ctx)
	if err := st.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	return nil
}

// Rollback rolls back the transaction in ctx; on a nested context it does
// nothing.
func (s *Store) Rollback(ctx context.Context) error {
	st := s.txFrom(ctx)
	if st == nil {
		return errors.New("postgres: rollback: no transaction in context")
	}
	if st.nested {
		return nil
	}
	// A cancelled request context must not keep the connection in a
	// transaction: roll back regardless.
	defer st.ended()
	storage.EndTx(ctx)
	if err := st.tx.Rollback(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("postgres: rollback: %w", mapErr(err))
	}
	return nil
}

// SQLSTATE codes that map onto storage's sentinel errors.
const (
	codeSerializationFailure = "40001"
	codeDeadlock             = "40P01"
	codeLockNotAvailable     = "55P03"
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeNotNullViolation     = "23502"
)

// mapErr turns driver errors into the storage sentinels, keeping the
// original error in the chain.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case codeSerializationFailure, codeDeadlock, codeLockNotAvailable:
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	case codeUniqueViolation:
		return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
	case codeForeignKeyViolation:
		// A row refers to a user or client that does not exist.
		return fmt.Errorf("%w: referenced row: %w", storage.ErrNotFound, err)
	case codeNotNullViolation:
		// Every text column is NOT NULL: text that q sent as NULL
		// (invalid UTF-8 or a NUL byte) gets here.
		return fmt.Errorf("%w: %w", storage.ErrInvalid, err)
	}
	return err
}

// affected returns ErrNotFound (wrapped with what) when tag changed no row.
func affected(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, storage.ErrNotFound)
	}
	return nil
}
