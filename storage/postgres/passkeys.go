package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const passkeyColumns = `credential_id, user_id, name, credential, sign_count, created_at, last_used_at`

func scanPasskey(row pgx.Row) (storage.Passkey, error) {
	var (
		p       storage.Passkey
		count   int64
		created time.Time
		used    *time.Time
	)
	if err := row.Scan(&p.CredentialID, &p.UserID, &p.Name, &p.Credential, &count, &created, &used); err != nil {
		return storage.Passkey{}, mapErr(err)
	}
	p.SignCount = uint32(count)
	p.CreatedAt, p.LastUsedAt = fromTime(created), fromOptTime(used)
	return p, nil
}

// CreatePasskey stores a passkey.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.CredentialID, p.UserID, p.Name, p.Credential, int64(p.SignCount), toTime(p.CreatedAt), toOptTime(p.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create passkey: %w", mapErr(err))
	}
	return nil
}

// GetPasskey returns the passkey with the credential id.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	p, err := scanPasskey(s.q(ctx).QueryRow(ctx, `SELECT `+passkeyColumns+`
		FROM passkeys WHERE credential_id = $1`, credentialID))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("postgres: get passkey: %w", err)
	}
	return p, nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	out, err := queryAll(ctx, s.q(ctx), scanPasskey, `SELECT `+passkeyColumns+`
		FROM passkeys WHERE user_id = $1 ORDER BY created_at, credential_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list passkeys: %w", err)
	}
	return out, nil
}

// UpdatePasskey reads the passkey (locking its row), applies fn and writes
// the result in one transaction (joining the one in ctx).
func (s *Store) UpdatePasskey(ctx context.Context, credentialID []byte, fn func(*storage.Passkey) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		p, err := scanPasskey(s.q(ctx).QueryRow(ctx, `SELECT `+passkeyColumns+`
			FROM passkeys WHERE credential_id = $1 FOR UPDATE`, credentialID))
		if err != nil {
			return fmt.Errorf("postgres: update passkey: %w", err)
		}
		userID := p.UserID
		if err := fn(&p); err != nil {
			return err
		}
		if string(p.CredentialID) != string(credentialID) || p.UserID != userID {
			return fmt.Errorf("postgres: update passkey: the credential id and user cannot change")
		}
		tag, err := s.q(ctx).Exec(ctx, `UPDATE passkeys SET name = $1, credential = $2, sign_count = $3,
			created_at = $4, last_used_at = $5 WHERE credential_id = $6`,
			p.Name, p.Credential, int64(p.SignCount), toTime(p.CreatedAt), toOptTime(p.LastUsedAt), credentialID)
		if err != nil {
			return fmt.Errorf("postgres: update passkey: %w", mapErr(err))
		}
		return affected(tag, "postgres: update passkey")
	})
}

// DeletePasskey removes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID string, credentialID []byte) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2`, userID, credentialID)
	if err != nil {
		return fmt.Errorf("postgres: delete passkey: %w", mapErr(err))
	}
	return affected(tag, "postgres: delete passkey")
}

// DeleteUserPasskeys removes every passkey of the user.
func (s *Store) DeleteUserPasskeys(ctx context.Context, userID string) (int64, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete user passkeys: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}
