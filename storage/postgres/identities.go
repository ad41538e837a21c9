package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const identityColumns = `provider, subject, user_id, email, created_at, last_login_at`

func scanIdentity(row pgx.Row) (storage.Identity, error) {
	var (
		id               storage.Identity
		created, lastUse time.Time
	)
	if err := row.Scan(&id.Provider, &id.Subject, &id.UserID, &id.Email, &created, &lastUse); err != nil {
		return storage.Identity{}, mapErr(err)
	}
	id.CreatedAt, id.LastLoginAt = fromTime(created), fromTime(lastUse)
	return id, nil
}

// CreateIdentity links an upstream identity to a user.
func (s *Store) CreateIdentity(ctx context.Context, id storage.Identity) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		id.Provider, id.Subject, id.UserID, id.Email, toTime(id.CreatedAt), toTime(id.LastLoginAt))
	if err != nil {
		return fmt.Errorf("postgres: create identity: %w", mapErr(err))
	}
	return nil
}

// GetIdentity returns the identity (provider, subject).
func (s *Store) GetIdentity(ctx context.Context, provider, subject string) (storage.Identity, error) {
	id, err := scanIdentity(s.q(ctx).QueryRow(ctx, `SELECT `+identityColumns+`
		FROM identities WHERE provider = $1 AND subject = $2`, provider, subject))
	if err != nil {
		return storage.Identity{}, fmt.Errorf("postgres: get identity: %w", err)
	}
	return id, nil
}

// ListIdentities returns the user's identities, oldest first.
func (s *Store) ListIdentities(ctx context.Context, userID string) ([]storage.Identity, error) {
	out, err := queryAll(ctx, s.q(ctx), scanIdentity, `SELECT `+identityColumns+`
		FROM identities WHERE user_id = $1 ORDER BY created_at, provider, subject`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list identities: %w", err)
	}
	return out, nil
}

// TouchIdentity records a login through the identity.
func (s *Store) TouchIdentity(ctx context.Context, provider, subject, email string, at time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE identities SET email = $1, last_login_at = $2
		WHERE provider = $3 AND subject = $4`, email, toTime(at), provider, subject)
	if err != nil {
		return fmt.Errorf("postgres: touch identity: %w", mapErr(err))
	}
	return affected(tag, "postgres: touch identity")
}

// DeleteIdentity unlinks one identity.
func (s *Store) DeleteIdentity(ctx context.Context, provider, subject string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM identities WHERE provider = $1 AND subject = $2`, provider, subject)
	if err != nil {
		return fmt.Errorf("postgres: delete identity: %w", mapErr(err))
	}
	return affected(tag, "postgres: delete identity")
}
