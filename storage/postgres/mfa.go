package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const totpColumns = `user_id, secret, confirmed, last_step, created_at, last_used_at`

func scanTOTP(row pgx.Row) (storage.TOTP, error) {
	var (
		t       storage.TOTP
		created time.Time
		used    *time.Time
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
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO mfa_totp (`+totpColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed,
			last_step = excluded.last_step, created_at = excluded.created_at, last_used_at = excluded.last_used_at
		WHERE NOT mfa_totp.confirmed`,
		t.UserID, t.Secret, t.Confirmed, t.LastStep, toTime(t.CreatedAt), toOptTime(t.LastUsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create totp: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create totp: confirmed one exists: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// GetTOTP returns the user's TOTP enrolment.
func (s *Store) GetTOTP(ctx context.Context, userID string) (storage.TOTP, error) {
	t, err := scanTOTP(s.q(ctx).QueryRow(ctx, `SELECT `+totpColumns+` FROM mfa_totp WHERE user_id = $1`, userID))
	if err != nil {
		return storage.TOTP{}, fmt.Errorf("postgres: get totp: %w", err)
	}
	return t, nil
}

// UseTOTPStep accepts a code of step. A concurrent update of the row
// waits for the first and then re-checks the condition against what it
// wrote (READ COMMITTED), so two nodes never both accept one step.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, secret []byte, step int64, confirm bool, at time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE mfa_totp SET last_step = $1, last_used_at = $2, confirmed = true
		WHERE user_id = $3 AND secret = $4 AND last_step < $1 AND confirmed = $5`,
		step, toTime(at), userID, secret, !confirm)
	if err != nil {
		return fmt.Errorf("postgres: use totp step: %w", mapErr(err))
	}
	return affected(tag, "postgres: use totp step")
}

// DeleteTOTP removes the user's TOTP.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM mfa_totp WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("postgres: delete totp: %w", mapErr(err))
	}
	return affected(tag, "postgres: delete totp")
}

// ReplaceRecoveryCodes swaps the user's recovery codes for hashes, with
// the user's row locked so two replacements do not mix their sets.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		var id string
		if err := s.q(ctx).QueryRow(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&id); err != nil {
			return fmt.Errorf("postgres: replace recovery codes: %w", mapErr(err))
		}
		if _, err := s.q(ctx).Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("postgres: replace recovery codes: %w", mapErr(err))
		}
		for _, h := range hashes {
			if _, err := s.q(ctx).Exec(ctx, `INSERT INTO mfa_recovery_codes (user_id, hash, created_at)
				VALUES ($1, $2, $3)`, userID, h, toTime(at)); err != nil {
				return fmt.Errorf("postgres: replace recovery codes: %w", mapErr(err))
			}
		}
		return nil
	})
}

// ListRecoveryCodes returns the user's unused recovery codes.
func (s *Store) ListRecoveryCodes(ctx context.Context, userID string) ([]storage.RecoveryCode, error) {
	out, err := queryAll(ctx, s.q(ctx), func(row pgx.Row) (storage.RecoveryCode, error) {
		var (
			c       storage.RecoveryCode
			created time.Time
		)
		if err := row.Scan(&c.UserID, &c.Hash, &created); err != nil {
			return c, mapErr(err)
		}
		c.CreatedAt = fromTime(created)
		return c, nil
	}, `SELECT user_id, hash, created_at FROM mfa_recovery_codes WHERE user_id = $1 ORDER BY created_at, hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list recovery codes: %w", err)
	}
	return out, nil
}

// UseRecoveryCode deletes one recovery code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1 AND hash = $2`, userID, hash)
	if err != nil {
		return fmt.Errorf("postgres: use recovery code: %w", mapErr(err))
	}
	return affected(tag, "postgres: use recovery code")
}

// DeleteRecoveryCodes deletes the user's recovery codes.
func (s *Store) DeleteRecoveryCodes(ctx context.Context, userID string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete recovery codes: %w", mapErr(err))
	}
	return nil
}
