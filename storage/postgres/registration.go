package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// DeleteUnusedClients deletes at most limit clients of origin last used
// (or, never used, created) before before; their consents and token
// sessions go with them (ON DELETE CASCADE). Rows another node is
// deleting are skipped.
func (s *Store) DeleteUnusedClients(ctx context.Context, origin string, before time.Time, limit int) (int64, error) {
	if origin == storage.ClientOriginOperator {
		return 0, errors.New("postgres: delete unused clients: operator clients are never deleted as unused")
	}
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM clients WHERE id IN
		(SELECT id FROM clients WHERE origin = $1 AND COALESCE(last_used_at, created_at) < $2
		LIMIT $3 FOR UPDATE SKIP LOCKED)`, origin, toTime(before), limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete unused clients: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}

// CreateInitialAccessToken stores t.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO initial_access_tokens (hash, created_at, expires_at, max_uses, uses)
		VALUES ($1, $2, $3, $4, $5)`, t.Hash, toTime(t.CreatedAt), toTime(t.ExpiresAt), t.MaxUses, t.Uses)
	if err != nil {
		return fmt.Errorf("postgres: create initial access token: %w", mapErr(err))
	}
	return nil
}

// UseInitialAccessToken counts one use of an unexpired token with uses
// left, in one statement: of concurrent uses of a last use only one wins.
func (s *Store) UseInitialAccessToken(ctx context.Context, hash string, now time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE initial_access_tokens SET uses = uses + 1
		WHERE hash = $1 AND expires_at > $2 AND (max_uses = 0 OR uses < max_uses)`, hash, toTime(now))
	if err != nil {
		return fmt.Errorf("postgres: use initial access token: %w", mapErr(err))
	}
	return affected(tag, "postgres: use initial access token")
}
