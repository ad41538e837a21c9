package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// IncrementCounter adds one to key's counter in one upsert statement:
// concurrent increments, on any node, serialise on the row lock and none is
// lost. A window that ended at or before now restarts at 1.
func (s *Store) IncrementCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int64, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, errors.New("postgres: increment counter: window must be positive")
	}
	var (
		count   int64
		expires time.Time
	)
	err := s.q(ctx).QueryRow(ctx, `INSERT INTO rate_counters AS c (key, count, expires_at) VALUES ($1, 1, $3)
		ON CONFLICT (key) DO UPDATE SET
			count      = CASE WHEN c.expires_at > $2 THEN c.count + 1 ELSE 1 END,
			expires_at = CASE WHEN c.expires_at > $2 THEN c.expires_at ELSE $3 END
		RETURNING count, expires_at`, key, toTime(now), toTime(now.Add(window))).Scan(&count, &expires)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("postgres: increment counter: %w", mapErr(err))
	}
	return count, fromTime(expires), nil
}

// GetCounter returns key's count and window end, or 0 when no window is
// open at now.
func (s *Store) GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	var (
		count   int64
		expires time.Time
	)
	err := s.q(ctx).QueryRow(ctx, `SELECT count, expires_at FROM rate_counters
		WHERE key = $1 AND expires_at > $2`, key, toTime(now)).Scan(&count, &expires)
	if err != nil {
		err = mapErr(err)
		if errors.Is(err, storage.ErrNotFound) {
			return 0, time.Time{}, nil
		}
		return 0, time.Time{}, fmt.Errorf("postgres: get counter: %w", err)
	}
	return count, fromTime(expires), nil
}

// DeleteCounter resets key.
func (s *Store) DeleteCounter(ctx context.Context, key string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM rate_counters WHERE key = $1`, key); err != nil {
		return fmt.Errorf("postgres: delete counter: %w", mapErr(err))
	}
	return nil
}
