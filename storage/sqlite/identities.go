package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const identityColumns = `provider, subject, user_id, email, created_at, last_login_at`

func scanIdentity(row scanner) (storage.Identity, error) {
	var (
		id               storage.Identity
		created, lastUse int64
	)
	if err := row.Scan(&id.Provider, &id.Subject, &id.UserID, &id.Email, &created, &lastUse); err != nil {
		return storage.Identity{}, mapErr(err)
	}
	id.CreatedAt, id.LastLoginAt = fromTime(created), fromTime(lastUse)
	return id, nil
}

// CreateIdentity links an upstream identity to a user.
func (s *Store) CreateIdentity(ctx context.Context, id storage.Identity) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		id.Provider, id.Subject, id.UserID, id.Email, toTime(id.CreatedAt), toTime(id.LastLoginAt))
	if err != nil {
		return fmt.Errorf("sqlite: create identity: %w", mapErr(err))
	}
	return nil
}

// GetIdentity returns the identity (provider, subject).
func (s *Store) GetIdentity(ctx context.Context, provider, subject string) (storage.Identity, error) {
	id, err := scanIdentity(s.rq(ctx).QueryRowContext(ctx, `SELECT `+identityColumns+`
		FROM identities WHERE provider = ? AND subject = ?`, provider, subject))
	if err != nil {
		return storage.Identity{}, fmt.Errorf("sqlite: get identity: %w", err)
	}
	return id, nil
}

// ListIdentities returns the user's identities, oldest first.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]storage.Identity, error) {
	out, err := queryAll(ctx, s.rq(ctx), scanIdentity, `SELECT `+identityColumns+`
		FROM identities WHERE user_id = ? ORDER BY created_at, provider, subject`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list identities: %w", err)
	}
	return out, nil
}

// TouchIdentity records a login through the identity.
func (s *Store) TouchIdentity(ctx context.Context, provider, subject, email string, at time.Time) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE identities SET email = ?, last_login_at = ?
		WHERE provider = ? AND subject = ?`, email, toTime(at), provider, subject)
	if err != nil {
		return fmt.Errorf("sqlite: touch identity: %w", mapErr(err))
	}
	return affected(res, "sqlite: touch identity")
}

// DeleteIdentity unlinks one identity.
func (s *Store) DeleteIdentity(ctx context.Context, provider, subject string) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM identities WHERE provider = ? AND subject = ?`, provider, subject)
	if err != nil {
		return fmt.Errorf("sqlite: delete identity: %w", mapErr(err))
	}
	return affected(res, "sqlite: delete identity")
}
