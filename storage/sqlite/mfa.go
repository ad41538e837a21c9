package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const totpColumns = `user_id, secret, confirmed, last_step, created_at, last_used_at`

func scanTOTP(row scanner) (storage.TOTP, error) {
	var (
		t       storage.TOTP
		created int64
		used    sql.NullInt64
	)
	if err := row.Scan(&t.UserID, &t.Secret, &t.Confirmed, &t.LastStep, &created, &used); err != nil {
		return storage.TOTP{}, mapErr(err)
	}
	t.CreatedAt, t.LastUsedAt = fromTime(created), fromOptTime(used)
	return t, nil
}

// CreateTOTP stores t, replacing an unconfirmed enrolment of the user;
// ErrAlreadyExists when the user's TOTP is confirmed.
func (s *Store) CreateTOTP(ctx context.Context, t storage.TOTP) error {
	res, err := s.q(ctx).ExecContext(ctx, `INSERT INTO mfa_totp (`+totpColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed,
			last_step = excluded.last_step, created_at = excluded.created_at, last_used_at = excluded.last_used_at
		WHERE mfa_totp.confirmed = 0`,
		t.UserID, t.Secret, t.Confirmed, t.LastStep, toTime(t.CreatedAt), toOptTime(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create totp: %w", mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: create totp: %w", mapErr(err))
	} else if n == 0 {
		return fmt.Errorf("sqlite: create totp: confirmed one exists: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// GetTOTP returns the user's TOTP enrolment.
func (s *Store) GetTOTP(ctx context.Context, userID string) (storage.TOTP, error) {
	t, err := scanTOTP(s.rq(ctx).QueryRowContext(ctx, `SELECT `+totpColumns+` FROM mfa_totp WHERE user_id = ?`, userID))
	if err != nil {
		return storage.TOTP{}, fmt.Errorf("sqlite: get totp: %w", err)
	}
	return t, nil
}

// UseTOTPStep accepts a code of step: a conditional update, which
// SQLite's one writer applies one at a time.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, secret []byte, step int64, confirm bool, at time.Time) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE mfa_totp SET last_step = ?, last_used_at = ?, confirmed = 1
		WHERE user_id = ? AND secret = ? AND last_step < ? AND confirmed = ?`,
		step, toTime(at), userID, secret, step, !confirm)
	if err != nil {
		return fmt.Errorf("sqlite: use totp step: %w", mapErr(err))
	}
	return affected(res, "sqlite: use totp step")
}

// DeleteTOTP removes the user's TOTP.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM mfa_totp WHERE user_id = ?`, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete totp: %w", mapErr(err))
	}
	return affected(res, "sqlite: delete totp")
}

// ReplaceRecoveryCodes swaps the user's recovery codes for hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		if _, err := s.GetUser(ctx, userID); err != nil {
			return fmt.Errorf("sqlite: replace recovery codes: %w", err)
		}
		if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("sqlite: replace recovery codes: %w", mapErr(err))
		}
		for _, h := range hashes {
			if _, err := s.q(ctx).ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, hash, created_at)
				VALUES (?, ?, ?)`, userID, h, toTime(at)); err != nil {
				return fmt.Errorf("sqlite: replace recovery codes: %w", mapErr(err))
			}
		}
		return nil
	})
}

// ListRecoveryCodes returns the user's unused recovery codes.
func (s *Store) ListRecoveryCodes(ctx context.Context, userID string) ([]storage.RecoveryCode, error) {
	out, err := queryAll(ctx, s.rq(ctx), func(row scanner) (storage.RecoveryCode, error) {
		var (
			c       storage.RecoveryCode
			created int64
		)
		if err := row.Scan(&c.UserID, &c.Hash, &created); err != nil {
			return c, mapErr(err)
		}
		c.CreatedAt = fromTime(created)
		return c, nil
	}, `SELECT user_id, hash, created_at FROM mfa_recovery_codes WHERE user_id = ? ORDER BY created_at, hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list recovery codes: %w", err)
	}
	return out, nil
}

// UseRecoveryCode deletes one recovery code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	if err != nil {
		return fmt.Errorf("sqlite: use recovery code: %w", mapErr(err))
	}
	return affected(res, "sqlite: use recovery code")
}

// DeleteRecoveryCodes deletes the user's recovery codes.
func (s *Store) DeleteRecoveryCodes(ctx context.Context, userID string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: delete recovery codes: %w", mapErr(err))
	}
	return nil
}
