package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ObserveQueries reports the duration of every statement to obs (nil
// stops reporting). It may be called while the store is in use.
func (s *Store) ObserveQueries(obs storage.QueryObserver) {
	if obs == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&obs)
}

// timed wraps q to report each statement's duration, when an observer is
// set.
func (s *Store) timed(q querier) querier {
	obs := s.observer.Load()
	if obs == nil {
		return q
	}
	return timedQuerier{q: q, obs: *obs}
}

// timedQuerier times the statements it runs.
type timedQuerier struct {
	q   querier
	obs storage.QueryObserver
}

func (t timedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	res, err := t.q.ExecContext(ctx, query, args...)
	t.obs("exec", time.Since(start))
	return res, err
}

func (t timedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := t.q.QueryContext(ctx, query, args...)
	t.obs("query", time.Since(start))
	return rows, err
}

func (t timedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	row := t.q.QueryRowContext(ctx, query, args...)
	t.obs("query", time.Since(start))
	return row
}
