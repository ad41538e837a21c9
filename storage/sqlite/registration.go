package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// DeleteUnusedClients deletes at most limit clients of origin last used
// (or, never used, created) before before; their consents and token
// sessions go with them.
func (s *Store) DeleteUnusedClients(ctx context.Context, origin string, before time.Time, limit int) (int64, error) {
	if origin == storage.ClientOriginOperator {
		return 0, errors.New("sqlite: delete unused clients: operator clients are never deleted as unused")
	}
	var n int64
	err := storage.InTx(ctx, s, func(ctx context.Context) error {
		res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM clients WHERE id IN
			(SELECT id FROM clients WHERE origin = ? AND COALESCE(last_used_at, created_at) < ? LIMIT ?)`,
			origin, toTime(before), limit)
		if err != nil {
			return mapErr(err)
		}
		n, err = res.RowsAffected()
		return mapErr(err)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete unused clients: %w", err)
	}
	return n, nil
}

// CreateInitialAccessToken stores t.
func (s *Store) CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO initial_access_tokens (hash, created_at, expires_at, max_uses, uses)
		VALUES (?, ?, ?, ?, ?)`, t.Hash, toTime(t.CreatedAt), toTime(t.ExpiresAt), t.MaxUses, t.Uses)
	if err != nil {
		return fmt.Errorf("sqlite: create initial access token: %w", mapErr(err))
	}
	return nil
}

// UseInitialAccessToken counts one use of an unexpired token with uses
// left, in one statement: of concurrent uses of a last use only one wins.
func (s *Store) UseInitialAccessToken(ctx context.Context, hash string, now time.Time) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE initial_access_tokens SET uses = uses + 1
		WHERE hash = ? AND expires_at > ? AND (max_uses = 0 OR uses < max_uses)`, hash, toTime(now))
	if err != nil {
		return fmt.Errorf("sqlite: use initial access token: %w", mapErr(err))
	}
	return affected(res, "sqlite: use initial access token")
}
