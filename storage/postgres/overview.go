package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

// Count returns the dashboard's counts in one statement.
func (s *Store) Count(ctx context.Context, now time.Time) (storage.Counts, error) {
	var c storage.Counts
	err := s.q(ctx).QueryRow(ctx, `SELECT
		(SELECT count(*) FROM users),
		(SELECT count(*) FROM clients),
		(SELECT count(*) FROM browser_sessions WHERE expires_at > $1)`, toTime(now)).
		Scan(&c.Users, &c.Clients, &c.ActiveSessions)
	if err != nil {
		return storage.Counts{}, fmt.Errorf("postgres: count: %w", mapErr(err))
	}
	return c, nil
}

// CountAuditEvents counts events per type and bucket with the type and
// time index; a bucket is the whole number of steps (in microseconds)
// since h.Since.
func (s *Store) CountAuditEvents(ctx context.Context, h storage.AuditHistogram) (map[string][]int64, error) {
	if err := sqlutil.CheckHistogram(h); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	out := sqlutil.NewHistogram(h)
	if len(h.Types) == 0 {
		return out.Result(), nil
	}
	rows, err := s.q(ctx).Query(ctx, `SELECT type,
		div(round(extract(epoch FROM time - $1::timestamptz) * 1000000)::numeric, $2::numeric)::bigint, count(*)
		FROM audit_events
		WHERE type = ANY($3::text[]) AND time >= $1 AND time < $4
		GROUP BY 1, 2`, toTime(h.Since), h.Step.Microseconds(), h.Types, toTime(h.Until()))
	if err != nil {
		return nil, fmt.Errorf("postgres: count audit events: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			typ  string
			b, n int64
		)
		if err := rows.Scan(&typ, &b, &n); err != nil {
			return nil, fmt.Errorf("postgres: count audit events: %w", mapErr(err))
		}
		out.Add(typ, b, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: count audit events: %w", mapErr(err))
	}
	return out.Result(), nil
}
