package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// endSessions ends the browser sessions matching where (a condition on
// browser_sessions with one argument), in one transaction: the tokens of
// every grant recorded in them are revoked (codes and refresh tokens
// deactivated, access tokens deleted), a logout delivery is queued for
// each enabled client with a back-channel logout URI that got tokens in
// one, and the sessions are deleted (their session_clients rows with them).
func (s *Store) endSessions(ctx context.Context, where string, arg any) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		grants := `SELECT sc.request_id FROM session_clients sc
			JOIN browser_sessions b ON b.sid = sc.sid WHERE b.` + where
		if _, err := q.ExecContext(ctx, `UPDATE token_sessions SET active = 0, first_used_at = NULL
			WHERE kind IN (?, ?) AND request_id IN (`+grants+`)
			AND (active = 1 OR first_used_at IS NOT NULL)`,
			string(storage.KindRefreshToken), string(storage.KindAuthorizeCode), arg); err != nil {
			return fmt.Errorf("revoke the sessions' tokens: %w", mapErr(err))
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM token_sessions WHERE kind = ? AND request_id IN (`+grants+`)`,
			string(storage.KindAccessToken), arg); err != nil {
			return fmt.Errorf("revoke the sessions' tokens: %w", mapErr(err))
		}
		now := toTime(time.Now())
		if _, err := q.ExecContext(ctx, `INSERT INTO logout_deliveries
			(id, client_id, subject, sid, created_at, next_attempt_at)
			SELECT lower(hex(randomblob(16))), c.id, b.user_id, b.sid, ?, ?
			FROM browser_sessions b
			JOIN (SELECT DISTINCT sid, client_id FROM session_clients) sc ON sc.sid = b.sid
			JOIN clients c ON c.id = sc.client_id
			WHERE b.`+where+` AND c.backchannel_logout_uri <> '' AND c.disabled = 0`,
			now, now, arg); err != nil {
			return fmt.Errorf("queue logout deliveries: %w", mapErr(err))
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM browser_sessions WHERE `+where, arg); err != nil {
			return mapErr(err)
		}
		return nil
	})
}

// AddSessionClient records that sc.ClientID got the grant sc.RequestID in
// the browser session sc.SID.
func (s *Store) AddSessionClient(ctx context.Context, sc storage.SessionClient) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO session_clients (sid, client_id, request_id, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (sid, request_id) DO NOTHING`,
		sc.SID, sc.ClientID, sc.RequestID, toTime(sc.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: add session client: %w", mapErr(err))
	}
	return nil
}

func scanSessionClient(row scanner) (storage.SessionClient, error) {
	var (
		sc      storage.SessionClient
		created int64
	)
	if err := row.Scan(&sc.SID, &sc.ClientID, &sc.RequestID, &created); err != nil {
		return storage.SessionClient{}, mapErr(err)
	}
	sc.CreatedAt = fromTime(created)
	return sc, nil
}

// ListSessionClients returns what was recorded for sid, oldest first.
func (s *Store) ListSessionClients(ctx context.Context, sid string) ([]storage.SessionClient, error) {
	out, err := queryAll(ctx, s.rq(ctx), scanSessionClient, `SELECT sid, client_id, request_id, created_at
		FROM session_clients WHERE sid = ? ORDER BY created_at, request_id`, sid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list session clients: %w", err)
	}
	return out, nil
}

const deliveryColumns = `id, client_id, subject, sid, attempts, created_at, next_attempt_at, last_error`

func scanDelivery(row scanner) (storage.LogoutDelivery, error) {
	var (
		d             storage.LogoutDelivery
		created, next int64
	)
	if err := row.Scan(&d.ID, &d.ClientID, &d.Subject, &d.SID, &d.Attempts, &created, &next, &d.LastError); err != nil {
		return storage.LogoutDelivery{}, mapErr(err)
	}
	d.CreatedAt, d.NextAttemptAt = fromTime(created), fromTime(next)
	return d, nil
}

// ClaimLogoutDeliveries leases up to limit due deliveries to claim.
// SQLite's one writer makes the claim atomic. Every node polls, so when
// nothing is due it answers from a read, without taking the write lock.
func (s *Store) ClaimLogoutDeliveries(ctx context.Context, claim string, now, until time.Time, limit int) ([]storage.LogoutDelivery, error) {
	if s.txFrom(ctx) == nil {
		var one int
		err := s.rq(ctx).QueryRowContext(ctx, `SELECT 1 FROM logout_deliveries WHERE next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?) LIMIT 1`, toTime(now), toTime(now)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: claim logout deliveries: %w", mapErr(err))
		}
	}
	out, err := queryAll(ctx, s.q(ctx), scanDelivery, `UPDATE logout_deliveries SET claim = ?, lease_until = ?
		WHERE id IN (SELECT id FROM logout_deliveries WHERE next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT ?)
		RETURNING `+deliveryColumns, claim, toTime(until), toTime(now), toTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim logout deliveries: %w", err)
	}
	return out, nil
}

// RetryLogoutDelivery ends claim's lease on id and schedules it at next.
func (s *Store) RetryLogoutDelivery(ctx context.Context, id, claim string, attempts int, next time.Time, lastError string) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE logout_deliveries SET attempts = ?, next_attempt_at = ?,
		last_error = ?, claim = '', lease_until = NULL WHERE id = ? AND claim = ? AND claim <> ''`,
		attempts, toTime(next), lastError, id, claim)
	return deliveryDone(res, err, "retry")
}

// DeleteLogoutDelivery removes id if claim holds it.
func (s *Store) DeleteLogoutDelivery(ctx context.Context, id, claim string) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM logout_deliveries WHERE id = ? AND claim = ? AND claim <> ''`, id, claim)
	return deliveryDone(res, err, "delete")
}

func deliveryDone(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("sqlite: %s logout delivery: %w", what, mapErr(err))
	}
	return affected(res, "sqlite: "+what+" logout delivery")
}
