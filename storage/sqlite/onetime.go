package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const oneTimeColumns = `hash, purpose, user_id, email, created_at, expires_at`

func scanOneTime(row scanner) (storage.OneTimeToken, error) {
	var (
		t                storage.OneTimeToken
		purpose          string
		created, expires int64
	)
	if err := row.Scan(&t.Hash, &purpose, &t.UserID, &t.Email, &created, &expires); err != nil {
		return storage.OneTimeToken{}, mapErr(err)
	}
	t.Purpose, t.CreatedAt, t.ExpiresAt = storage.Purpose(purpose), fromTime(created), fromTime(expires)
	return t, nil
}

// CreateOneTimeToken stores t.
func (s *Store) CreateOneTimeToken(ctx context.Context, t storage.OneTimeToken) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO one_time_tokens (`+oneTimeColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Hash, string(t.Purpose), t.UserID, t.Email, toTime(t.CreatedAt), toTime(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create one-time token: %w", mapErr(err))
	}
	return nil
}

// GetOneTimeToken returns an unused, unexpired token without using it.
func (s *Store) GetOneTimeToken(ctx context.Context, purpose storage.Purpose, hash string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.rq(ctx).QueryRowContext(ctx, `SELECT `+oneTimeColumns+`
		FROM one_time_tokens WHERE hash = ? AND purpose = ? AND expires_at > ?`, hash, string(purpose), toTime(now)))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("sqlite: get one-time token: %w", err)
	}
	return t, nil
}

// ConsumeOneTimeToken deletes and returns an unused, unexpired token. The
// DELETE ... RETURNING is one statement under the write lock, so exactly
// one of concurrent consumers gets the row.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, purpose storage.Purpose, hash string, now time.Time) (storage.OneTimeToken, error) {
	t, err := scanOneTime(s.q(ctx).QueryRowContext(ctx, `DELETE FROM one_time_tokens
		WHERE hash = ? AND purpose = ? AND expires_at > ? RETURNING `+oneTimeColumns, hash, string(purpose), toTime(now)))
	if err != nil {
		return storage.OneTimeToken{}, fmt.Errorf("sqlite: consume one-time token: %w", err)
	}
	return t, nil
}

// DeleteUserOneTimeTokens deletes the user's tokens for purpose.
func (s *Store) DeleteUserOneTimeTokens(ctx context.Context, userID string, purpose storage.Purpose) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM one_time_tokens WHERE user_id = ? AND purpose = ?`,
		userID, string(purpose)); err != nil {
		return fmt.Errorf("sqlite: delete one-time tokens: %w", mapErr(err))
	}
	return nil
}
