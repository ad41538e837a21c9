package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const oneTimeColumns = `hash, purpose, user_id, email, created_at, expires_at`

func scanOneTime(row pgx.Row) (storage.OneTimeToken, error) {
	var (
		t                storage.OneTimeToken
		purpose          string
		created, expires time.Time
	)
	if err := row.Scan(&t.Hash, &purpose, &t.UserID, &t.Email, &created, &expires); err != nil {
		return storage.OneTimeToken{}, mapErr(err)
	}
	t.Purpose, t.CreatedAt, t.ExpiresAt = storage.Purpose(purpose), fromTime(created), fromTime(expires)
	return t, nil
}

// CreateOneTimeToken stores t.
func (s *Store) CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO one_time_tokens (`+oneTimeColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Hash, string(t.Purpose), t.UserID, t.Email, toTime(t.CreatedAt), toTime(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("postgres: create one-time token: %w", mapErr(err))
	}
	return nil
}

// GetOneTimeToken returns an unused, unexpired token without using it.
func (s *Store) GetOneTimeToken(ctx context.Context, purpose storage.Purpose, hash string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.q(ctx).QueryRow(ctx, `SELECT `+oneTimeColumns+`
		FROM one_time_tokens WHERE hash = $1 AND purpose = $2 AND expires_at > $3`,
		hash, string(purpose), toTime(now)))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("postgres: get one-time token: %w", err)
	}
	return t, nil
}

// ConsumeOneTimeToken deletes and returns an unused, unexpired token. Of
// concurrent DELETE ... RETURNING statements on the row, the later ones wait
// for the first's lock and then find it gone, so exactly one gets it.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, purpose storage.Purpose, hash string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.q(ctx).QueryRow(ctx, `DELETE FROM one_time_tokens
		WHERE hash = $1 AND purpose = $2 AND expires_at > $3 RETURNING `+oneTimeColumns,
		hash, string(purpose), toTime(now)))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("postgres: consume one-time token: %w", err)
	}
	return t, nil
}

// DeleteUserOneTimeTokens deletes the user's tokens for purpose.
func (s *Store) DeleteUserOneTimeTokens(ctx context.Context, userID string, purpose storage.Purpose) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2`,
		userID, string(purpose)); err != nil {
		return fmt.Errorf("postgres: delete one-time tokens: %w", mapErr(err))
	}
	return nil
}
