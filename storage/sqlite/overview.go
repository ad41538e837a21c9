package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

// Count returns the dashboard's counts in one statement.
func (s *Store) Count(ctx context.Context, now time.Time) (storage.Counts, error) {
	var c storage.Counts
	err := s.rq(ctx).QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM users),
		(SELECT COUNT(*) FROM clients),
		(SELECT COUNT(*) FROM browser_sessions WHERE expires_at > ?)`, toTime(now)).
		Scan(&c.Users, &c.Clients, &c.ActiveSessions)
	if err != nil {
		return storage.Counts{}, fmt.Errorf("sqlite: count: %w", mapErr(err))
	}
	return c, nil
}

// CountAuditEvents counts events per type and bucket with the type and
// time index (times are Unix microseconds, so a bucket is an integer
// division).
func (s *Store) CountAuditEvents(ctx context.Context, h storage.AuditHistogram) (map[string][]int64, error) {
	if err := sqlutil.CheckHistogram(h); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	out := sqlutil.NewHistogram(h)
	if len(h.Types) == 0 {
		return out.Result(), nil
	}
	args := []any{toTime(h.Since), h.Step.Microseconds()}
	for _, t := range h.Types {
		args = append(args, t)
	}
	args = append(args, toTime(h.Since), toTime(h.Until()))
	rows, err := s.rq(ctx).QueryContext(ctx, `SELECT type, (time - ?) / ?, COUNT(*) FROM audit_events
		WHERE type IN (?`+strings.Repeat(", ?", len(h.Types)-1)+`) AND time >= ? AND time < ?
		GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count audit events: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			typ  string
			b, n int64
		)
		if err := rows.Scan(&typ, &b, &n); err != nil {
			return nil, fmt.Errorf("sqlite: count audit events: %w", mapErr(err))
		}
		out.Add(typ, b, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count audit events: %w", mapErr(err))
	}
	return out.Result(), nil
}
