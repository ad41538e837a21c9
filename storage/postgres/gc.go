package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// gcTargets names, per table, its primary key and the condition of a row
// that is dead at now ($1).
var gcTargets = []struct{ table, key, dead string }{
	{"token_sessions", "kind, signature", "expires_at IS NOT NULL AND expires_at < $1"},
	{"browser_sessions", "id", "expires_at < $1"},
	{"jtis", "jti", "expires_at < $1"},
	{"device_codes", "device_code", "expires_at < $1"},
	{"keys", "id", "retire_at IS NOT NULL AND retire_at < $1"},
	{"consents", "user_id, client_id", "expires_at IS NOT NULL AND expires_at < $1"},
	{"one_time_tokens", "hash", "expires_at < $1"},
	{"rate_counters", "key", "expires_at < $1"},
	{"initial_access_tokens", "hash", "expires_at < $1 OR (max_uses > 0 AND uses >= max_uses)"},
}

// GarbageCollect deletes expired token sessions, browser sessions, JTIs,
// one-time tokens and rate counters, keys retired and consents expired
// before now, at most batch rows per table, and reports how many rows it
// deleted. Each table's delete is one short statement; rows that another
// node's janitor is deleting at the same moment are skipped, not waited for.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, errors.New("postgres: garbage collect: batch must be positive")
	}
	var total int64
	for _, t := range gcTargets {
		tag, err := s.q(ctx).Exec(ctx, `DELETE FROM `+t.table+` WHERE (`+t.key+`) IN
			(SELECT `+t.key+` FROM `+t.table+` WHERE `+t.dead+` LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			toTime(now), batch)
		if err != nil {
			return total, fmt.Errorf("postgres: garbage collect %s: %w", t.table, mapErr(err))
		}
		total += tag.RowsAffected()
	}
	return total, nil
}
