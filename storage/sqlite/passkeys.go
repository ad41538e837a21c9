package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
)

const passkeyColumns = `credential_id, user_id, name, credential, sign_count, created_at, last_used_at`

func scanPasskey(row scanner) (storage.Passkey, error) {
	var (
		p       storage.Passkey
		count   int64
		created int64
		used    sql.NullInt64
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
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO passkeys (`+passkeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.CredentialID, p.UserID, p.Name, p.Credential, int64(p.SignCount), toTime(p.CreatedAt), toOptTime(p.LastUsedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create passkey: %w", mapErr(err))
	}
	return nil
}

// GetPasskey returns the passkey with the credential id.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	p, err := scanPasskey(s.rq(ctx).QueryRowContext(ctx, `SELECT `+passkeyColumns+`
		FROM passkeys WHERE credential_id = ?`, credentialID))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("sqlite: get passkey: %w", err)
	}
	return p, nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	out, err := queryAll(ctx, s.rq(ctx), scanPasskey, `SELECT `+passkeyColumns+`
		FROM passkeys WHERE user_id = ? ORDER BY created_at, credential_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list passkeys: %w", err)
	}
	return out, nil
}

// UpdatePasskey reads the passkey, applies fn and writes the result in one
// transaction (joining the one in ctx).
func (s *Store) UpdatePasskey(ctx context.Context, credentialID []byte, fn func(*storage.Passkey) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		p, err := s.GetPasskey(ctx, credentialID)
		if err != nil {
			return err
		}
		userID := p.UserID
		if err := fn(&p); err != nil {
			return err
		}
		if string(p.CredentialID) != string(credentialID) || p.UserID != userID {
			return fmt.Errorf("sqlite: update passkey: the credential id and user cannot change")
		}
		res, err := s.q(ctx).ExecContext(ctx, `UPDATE passkeys SET name = ?, credential = ?, sign_count = ?,
			created_at = ?, last_used_at = ? WHERE credential_id = ?`,
			p.Name, p.Credential, int64(p.SignCount), toTime(p.CreatedAt), toOptTime(p.LastUsedAt), credentialID)
		if err != nil {
			return fmt.Errorf("sqlite: update passkey: %w", mapErr(err))
		}
		return affected(res, "sqlite: update passkey")
	})
}

// DeletePasskey removes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID string, credentialID []byte) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = ? AND credential_id = ?`, userID, credentialID)
	if err != nil {
		return fmt.Errorf("sqlite: delete passkey: %w", mapErr(err))
	}
	return affected(res, "sqlite: delete passkey")
}

// DeleteUserPasskeys removes every passkey of the user.
func (s *Store) DeleteUserPasskeys(ctx context.Context, userID string) (int64, error) {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user passkeys: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete user passkeys: %w", mapErr(err))
	}
	return n, nil
}
