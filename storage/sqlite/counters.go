package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// IncrementCounter adds one to key's counter in one upsert statement, so
// concurrent increments serialise on the write lock and none is lost. A
// window that ended at or before now restarts at 1.
func (s *Store) IncrementCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int64, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, errors.New("sqlite: increment counter: window must be positive")
	}
	var (
		count   int64
		expires int64
	)
	err := s.q(ctx).QueryRowContext(ctx, `INSERT INTO rate_counters (key, count, expires_at) VALUES (?1, 1, ?3)
		ON CONFLICT (key) DO UPDATE SET
			count      = CASE WHEN expires_at > ?2 THEN count + 1 ELSE 1 END,
			expires_at = CASE WHEN expires_at > ?2 THEN expires_at ELSE ?3 END
		RETURNING count, expires_at`, key, toTime(now), toTime(now.Add(window))).Scan(&count, &expires)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: increment counter: %w", mapErr(err))
	}
	return count, fromTime(expires), nil
}

// GetCounter returns key's count and window end, or 0 when no window is
// open at now.
func (s *Store) GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	var count, expires int64
	err := s.rq(ctx).QueryRowContext(ctx, `SELECT count, expires_at FROM rate_counters
		WHERE key = ? AND expires_at > ?`, key, toTime(now)).Scan(&count, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: get counter: %w", mapErr(err))
	}
	return count, fromTime(expires), nil
}

// DeleteCounter resets key.
func (s *Store) DeleteCounter(ctx context.Context, key string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM rate_counters WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: delete counter: %w", mapErr(err))
	}
	return nil
}

var _ storage.RateCounters = (*Store)(nil)
