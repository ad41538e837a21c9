package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const tokenColumns = `kind, signature, request_id, client_id, subject, active, requested_at,
	expires_at, access_signature, first_used_at, data`

func scanTokenSession(row scanner) (storage.TokenSession, error) {
	var (
		ts        storage.TokenSession
		kind      string
		requested int64
		expiry    sql.NullInt64
		firstUse  sql.NullInt64
	)
	if err := row.Scan(&kind, &ts.Signature, &ts.RequestID, &ts.ClientID, &ts.Subject, &ts.Active,
		&requested, &expiry, &ts.AccessSignature, &firstUse, &ts.Data); err != nil {
		return storage.TokenSession{}, mapErr(err)
	}
	ts.Kind = storage.TokenKind(kind)
	ts.RequestedAt, ts.ExpiresAt = fromTime(requested), fromOptTime(expiry)
	ts.FirstUsedAt = fromOptTime(firstUse)
	return ts, nil
}

// CreateTokenSession stores ts; ErrAlreadyExists on a duplicate (kind,
// signature), ErrNotFound when its client does not exist.
func (s *Store) CreateTokenSession(ctx context.Context, ts storage.TokenSession) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO token_sessions (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(ts.Kind), ts.Signature, ts.RequestID, ts.ClientID, ts.Subject, ts.Active,
		toTime(ts.RequestedAt), toOptTime(ts.ExpiresAt), ts.AccessSignature, toOptTime(ts.FirstUsedAt), ts.Data)
	if err != nil {
		return fmt.Errorf("sqlite: create %s session: %w", ts.Kind, mapErr(err))
	}
	return nil
}

// GetTokenSession returns the session, active or not.
func (s *Store) GetTokenSession(ctx context.Context, kind storage.TokenKind, signature string) (storage.TokenSession, error) {
	ts, err := scanTokenSession(s.rq(ctx).QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM token_sessions WHERE kind = ? AND signature = ?`, string(kind), signature))
	if err != nil {
		return storage.TokenSession{}, fmt.Errorf("sqlite: get %s session: %w", kind, err)
	}
	return ts, nil
}

// DeactivateTokenSession marks one active session inactive; ErrNotFound
// when no active session matched.
func (s *Store) DeactivateTokenSession(ctx context.Context, kind storage.TokenKind, signature string) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE token_sessions SET active = 0
		WHERE kind = ? AND signature = ? AND active = 1`, string(kind), signature)
	if err != nil {
		return fmt.Errorf("sqlite: deactivate %s session: %w", kind, mapErr(err))
	}
	return affected(res, fmt.Sprintf("sqlite: deactivate %s session", kind))
}

// DeleteTokenSession deletes one session, if it exists.
func (s *Store) DeleteTokenSession(ctx context.Context, kind storage.TokenKind, signature string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM token_sessions WHERE kind = ? AND signature = ?`,
		string(kind), signature); err != nil {
		return fmt.Errorf("sqlite: delete %s session: %w", kind, mapErr(err))
	}
	return nil
}

// DeactivateTokenSessionsByRequest marks every session of the kind and
// request inactive and clears their first use.
func (s *Store) DeactivateTokenSessionsByRequest(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `UPDATE token_sessions SET active = 0, first_used_at = NULL
		WHERE kind = ? AND request_id = ? AND (active = 1 OR first_used_at IS NOT NULL)`,
		string(kind), requestID); err != nil {
		return fmt.Errorf("sqlite: deactivate %s sessions of request: %w", kind, mapErr(err))
	}
	return nil
}

// DeleteTokenSessionsByRequest deletes every session of the kind and request.
func (s *Store) DeleteTokenSessionsByRequest(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM token_sessions WHERE kind = ? AND request_id = ?`,
		string(kind), requestID); err != nil {
		return fmt.Errorf("sqlite: delete %s sessions of request: %w", kind, mapErr(err))
	}
	return nil
}

// RotateRefreshToken deactivates the active refresh token (requestID,
// signature), records its first use and deletes the access tokens of
// requestID, in one transaction (joining the one in ctx). ErrNotFound when
// no active refresh token matched. With grace > 0 a token first used less
// than grace before now matches too, and only the paired access token of a
// first use is deleted (see storage.TokenSessions).
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string, now time.Time, grace time.Duration) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		rt, err := scanTokenSession(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM token_sessions
			WHERE kind = ? AND request_id = ? AND signature = ?`,
			string(storage.KindRefreshToken), requestID, signature))
		if err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: %w", err)
		}
		inGrace := grace > 0 && !rt.Active && !rt.FirstUsedAt.IsZero() && now.Before(rt.FirstUsedAt.Add(grace))
		switch {
		case inGrace:
			return nil // a second use within the window: nothing to change
		case !rt.Active:
			return fmt.Errorf("sqlite: rotate refresh token: %w", storage.ErrNotFound)
		}
		if _, err := q.ExecContext(ctx, `UPDATE token_sessions SET active = 0, first_used_at = ?
			WHERE kind = ? AND signature = ?`, toTime(now), string(storage.KindRefreshToken), signature); err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: %w", mapErr(err))
		}
		del, args := `DELETE FROM token_sessions WHERE kind = ? AND request_id = ?`,
			[]any{string(storage.KindAccessToken), requestID}
		if grace > 0 {
			del, args = del+` AND signature = ?`, append(args, rt.AccessSignature)
		}
		if _, err := q.ExecContext(ctx, del, args...); err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: delete access tokens: %w", mapErr(err))
		}
		return nil
	})
}

// RevokeSubjectTokens deactivates the authorization codes and refresh
// tokens (clearing their first use), deletes the access tokens and denies
// the approved, unredeemed device codes of subject, of one client or ("")
// of all, in one transaction. SQLite runs
// one write transaction at a time, so issuance cannot interleave with it.
func (s *Store) RevokeSubjectTokens(ctx context.Context, subject, clientID string) error {
	if subject == "" {
		return errors.New("sqlite: revoke subject tokens: empty subject")
	}
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		if _, err := q.ExecContext(ctx, `UPDATE token_sessions SET active = 0, first_used_at = NULL
			WHERE kind IN (?, ?) AND subject = ? AND (? = '' OR client_id = ?)
			AND (active = 1 OR first_used_at IS NOT NULL)`,
			string(storage.KindRefreshToken), string(storage.KindAuthorizeCode),
			subject, clientID, clientID); err != nil {
			return fmt.Errorf("sqlite: revoke subject tokens: %w", mapErr(err))
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM token_sessions
			WHERE kind = ? AND subject = ? AND (? = '' OR client_id = ?)`,
			string(storage.KindAccessToken), subject, clientID, clientID); err != nil {
			return fmt.Errorf("sqlite: revoke subject tokens: %w", mapErr(err))
		}
		if _, err := q.ExecContext(ctx, `UPDATE device_codes SET status = ?
			WHERE status = ? AND subject = ? AND (? = '' OR client_id = ?)`,
			string(storage.DeviceDenied), string(storage.DeviceApproved), subject, clientID, clientID); err != nil {
			return fmt.Errorf("sqlite: revoke subject device approvals: %w", mapErr(err))
		}
		return nil
	})
}

// LockSubject does nothing: SQLite's write transactions (BEGIN IMMEDIATE)
// already run one at a time.
func (s *Store) LockSubject(context.Context, string) error { return nil }

// UseJTI records jti until exp; ErrAlreadyExists when it is recorded and
// unexpired at now. An expired record is overwritten.
func (s *Store) UseJTI(ctx context.Context, jti string, exp, now time.Time) error {
	res, err := s.q(ctx).ExecContext(ctx, `INSERT INTO jtis (jti, expires_at) VALUES (?, ?)
		ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE jtis.expires_at <= ?`, jti, toTime(exp), toTime(now))
	if err != nil {
		return fmt.Errorf("sqlite: use jti: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: use jti: %w", mapErr(err))
	}
	if n == 0 {
		return fmt.Errorf("sqlite: use jti: %w", storage.ErrAlreadyExists)
	}
	return nil
}
