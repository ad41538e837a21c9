package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// gcTargets names, per table, the condition of a row that is dead at now.
var gcTargets = []struct{ table, dead string }{
	{"token_sessions", "expires_at IS NOT NULL AND expires_at < ?"},
	{"browser_sessions", "expires_at < ?"},
	{"jtis", "expires_at < ?"},
	{"device_codes", "expires_at < ?"},
	{"keys", "retire_at IS NOT NULL AND retire_at < ?"},
	{"consents", "expires_at IS NOT NULL AND expires_at < ?"},
	{"one_time_tokens", "expires_at < ?"},
	{"rate_counters", "expires_at < ?"},
	{"initial_access_tokens", "expires_at < ? OR (max_uses > 0 AND uses >= max_uses)"},
}

// GarbageCollect deletes expired token sessions, browser sessions, JTIs,
// one-time tokens and rate counters, keys retired and consents expired
// before now, at most batch rows per table,
// and reports how many rows it deleted. Each table's delete is one short
// statement, so the write lock is never held for long.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, errors.New("sqlite: garbage collect: batch must be positive")
	}
	var total int64
	for _, t := range gcTargets {
		res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM `+t.table+` WHERE rowid IN
			(SELECT rowid FROM `+t.table+` WHERE `+t.dead+` LIMIT ?)`, toTime(now), batch)
		if err != nil {
			return total, fmt.Errorf("sqlite: garbage collect %s: %w", t.table, mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlite: garbage collect %s: %w", t.table, mapErr(err))
		}
		total += n
	}
	return total, nil
}
