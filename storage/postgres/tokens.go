package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const tokenColumns = `kind, signature, request_id, client_id, subject, active, requested_at,
	expires_at, access_signature, first_used_at, data`

func scanTokenSession(row pgx.Row) (storage.TokenSession, error) {
	var (
		ts        storage.TokenSession
		kind      string
		requested time.Time
		expiry    *time.Time
		firstUse  *time.Time
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
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO token_sessions (`+tokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		string(ts.Kind), ts.Signature, ts.RequestID, ts.ClientID, ts.Subject, ts.Active,
		toTime(ts.RequestedAt), toOptTime(ts.ExpiresAt), ts.AccessSignature, toOptTime(ts.FirstUsedAt), ts.Data)
	if err != nil {
		return fmt.Errorf("postgres: create %s session: %w", ts.Kind, mapErr(err))
	}
	return nil
}

// GetTokenSession returns the session, active or not.
func (s *Store) GetTokenSession(ctx context.Context, kind storage.TokenKind, signature string) (storage.TokenSession, error) {
	ts, err := scanTokenSession(s.q(ctx).QueryRow(ctx, `SELECT `+tokenColumns+`
		FROM token_sessions WHERE kind = $1 AND signature = $2`, string(kind), signature))
	if err != nil {
		return storage.TokenSession{}, fmt.Errorf("postgres: get %s session: %w", kind, err)
	}
	return ts, nil
}

// DeactivateTokenSession marks one active session inactive; ErrNotFound
// when no active session matched. Of two concurrent calls the second waits
// for the first's row lock, then matches no active row.
func (s *Store) DeactivateTokenSession(ctx context.Context, kind storage.TokenKind, signature string) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE token_sessions SET active = false
		WHERE kind = $1 AND signature = $2 AND active`, string(kind), signature)
	if err != nil {
		return fmt.Errorf("postgres: deactivate %s session: %w", kind, mapErr(err))
	}
	return affected(tag, fmt.Sprintf("postgres: deactivate %s session", kind))
}

// DeleteTokenSession deletes one session, if it exists.
func (s *Store) DeleteTokenSession(ctx context.Context, kind storage.TokenKind, signature string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM token_sessions WHERE kind = $1 AND signature = $2`,
		string(kind), signature); err != nil {
		return fmt.Errorf("postgres: delete %s session: %w", kind, mapErr(err))
	}
	return nil
}

// DeactivateTokenSessionsByRequest marks every session of the kind and
// request inactive and clears their first use.
func (s *Store) DeactivateTokenSessionsByRequest(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.q(ctx).Exec(ctx, `UPDATE token_sessions SET active = false, first_used_at = NULL
		WHERE kind = $1 AND request_id = $2 AND (active OR first_used_at IS NOT NULL)`,
		string(kind), requestID); err != nil {
		return fmt.Errorf("postgres: deactivate %s sessions of request: %w", kind, mapErr(err))
	}
	return nil
}

// DeleteTokenSessionsByRequest deletes every session of the kind and request.
func (s *Store) DeleteTokenSessionsByRequest(ctx context.Context, kind storage.TokenKind, requestID string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM token_sessions WHERE kind = $1 AND request_id = $2`,
		string(kind), requestID); err != nil {
		return fmt.Errorf("postgres: delete %s sessions of request: %w", kind, mapErr(err))
	}
	return nil
}

// RotateRefreshToken deactivates the active refresh token (requestID,
// signature), records its first use and deletes the access tokens of
// requestID, in one transaction (joining the one in ctx). ErrNotFound when
// no active refresh token matched: of concurrent rotations on any nodes,
// the first to lock the row wins and the others, once it commits, find it
// used. With grace > 0 a token first used less than grace before now
// matches too, and only the paired access token of a first use is deleted
// (see storage.TokenSessions).
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string, now time.Time, grace time.Duration) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		rt, err := scanTokenSession(q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM token_sessions
			WHERE kind = $1 AND request_id = $2 AND signature = $3 FOR UPDATE`,
			string(storage.KindRefreshToken), requestID, signature))
		if err != nil {
			return fmt.Errorf("postgres: rotate refresh token: %w", err)
		}
		inGrace := grace > 0 && !rt.Active && !rt.FirstUsedAt.IsZero() && now.Before(rt.FirstUsedAt.Add(grace))
		switch {
		case inGrace:
			return nil // a second use within the window: nothing to change
		case !rt.Active:
			return fmt.Errorf("postgres: rotate refresh token: %w", storage.ErrNotFound)
		}
		if _, err := q.Exec(ctx, `UPDATE token_sessions SET active = false, first_used_at = $1
			WHERE kind = $2 AND signature = $3`, toTime(now), string(storage.KindRefreshToken), signature); err != nil {
			return fmt.Errorf("postgres: rotate refresh token: %w", mapErr(err))
		}
		del, args := `DELETE FROM token_sessions WHERE kind = $1 AND request_id = $2`,
			[]any{string(storage.KindAccessToken), requestID}
		if grace > 0 {
			del, args = del+` AND signature = $3`, append(args, rt.AccessSignature)
		}
		if _, err := q.Exec(ctx, del, args...); err != nil {
			return fmt.Errorf("postgres: rotate refresh token: delete access tokens: %w", mapErr(err))
		}
		return nil
	})
}

// subjectLockSpace is the first key of the advisory lock of a subject's
// tokens; the second is hashtext(subject). (Two-key advisory locks do not
// overlap the one-key ones.) Different subjects may share a hash: they
// then wait for each other, which is slower but still correct.
const subjectLockSpace = 0x6774_0001

// LockSubject takes the subject's advisory lock, shared, until the
// transaction in ctx ends. RevokeSubjectTokens takes it exclusively.
func (s *Store) LockSubject(ctx context.Context, subject string) error {
	if _, err := s.q(ctx).Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1, hashtext($2))`,
		subjectLockSpace, subject); err != nil {
		return fmt.Errorf("postgres: lock subject: %w", mapErr(err))
	}
	return nil
}

// RevokeSubjectTokens deactivates the authorization codes and refresh
// tokens (clearing their first use), deletes the access tokens and denies
// the approved, unredeemed device codes of subject, of one client or ("")
// of all, in one transaction. It first takes
// the subject's advisory lock exclusively: issuance in flight commits
// first, so under READ COMMITTED the statements below see its tokens.
func (s *Store) RevokeSubjectTokens(ctx context.Context, subject, clientID string) error {
	if subject == "" {
		return errors.New("postgres: revoke subject tokens: empty subject")
	}
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
			subjectLockSpace, subject); err != nil {
			return fmt.Errorf("postgres: revoke subject tokens: lock: %w", mapErr(err))
		}
		if _, err := q.Exec(ctx, `UPDATE token_sessions SET active = false, first_used_at = NULL
			WHERE kind IN ($1, $2) AND subject = $3 AND ($4 = '' OR client_id = $4)
			AND (active OR first_used_at IS NOT NULL)`,
			string(storage.KindRefreshToken), string(storage.KindAuthorizeCode), subject, clientID); err != nil {
			return fmt.Errorf("postgres: revoke subject tokens: %w", mapErr(err))
		}
		if _, err := q.Exec(ctx, `DELETE FROM token_sessions
			WHERE kind = $1 AND subject = $2 AND ($3 = '' OR client_id = $3)`,
			string(storage.KindAccessToken), subject, clientID); err != nil {
			return fmt.Errorf("postgres: revoke subject tokens: %w", mapErr(err))
		}
		if _, err := q.Exec(ctx, `UPDATE device_codes SET status = $1
			WHERE status = $2 AND subject = $3 AND ($4 = '' OR client_id = $4)`,
			string(storage.DeviceDenied), string(storage.DeviceApproved), subject, clientID); err != nil {
			return fmt.Errorf("postgres: revoke subject device approvals: %w", mapErr(err))
		}
		return nil
	})
}

// UseJTI records jti until exp; ErrAlreadyExists when it is recorded and
// unexpired at now. An expired record is overwritten. Concurrent first uses
// serialise on the primary key: exactly one inserts.
func (s *Store) UseJTI(ctx context.Context, jti string, exp, now time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO jtis (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE jtis.expires_at <= $3`, jti, toTime(exp), toTime(now))
	if err != nil {
		return fmt.Errorf("postgres: use jti: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: use jti: %w", storage.ErrAlreadyExists)
	}
	return nil
}
