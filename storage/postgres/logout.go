package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-id/gatehouse/storage"
)

// endSessions ends the browser sessions matching where (a condition on
// browser_sessions whose one argument is $1), in one transaction: the
// tokens of every grant recorded in them are revoked (codes and refresh
// tokens deactivated, access tokens deleted), a logout delivery is queued
// for each enabled client with a back-channel logout URI that got tokens
// in one, and the sessions are deleted (their session_clients rows with
// them).
//
// It first locks the sessions' rows, which waits for a grant being
// recorded in one of them (AddSessionClient's foreign-key check holds a
// share lock until its transaction commits), then the users' subject
// locks, which waits for token issuance in flight: under READ COMMITTED
// the statements after see what those stored.
func (s *Store) endSessions(ctx context.Context, where string, arg any) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		q := s.q(ctx)
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($2, hashtext(user_id))
			FROM (SELECT DISTINCT user_id FROM (SELECT user_id FROM browser_sessions
				WHERE `+where+` ORDER BY id FOR UPDATE) locked) users`, arg, subjectLockSpace); err != nil {
			return fmt.Errorf("lock the sessions: %w", mapErr(err))
		}
		grants := `SELECT sc.request_id FROM session_clients sc
			JOIN browser_sessions b ON b.sid = sc.sid WHERE b.` + where
		if _, err := q.Exec(ctx, `UPDATE token_sessions SET active = false, first_used_at = NULL
			WHERE kind IN ($2, $3) AND request_id IN (`+grants+`)
			AND (active OR first_used_at IS NOT NULL)`,
			arg, string(storage.KindRefreshToken), string(storage.KindAuthorizeCode)); err != nil {
			return fmt.Errorf("revoke the sessions' tokens: %w", mapErr(err))
		}
		if _, err := q.Exec(ctx, `DELETE FROM token_sessions WHERE kind = $2 AND request_id IN (`+grants+`)`,
			arg, string(storage.KindAccessToken)); err != nil {
			return fmt.Errorf("revoke the sessions' tokens: %w", mapErr(err))
		}
		now := toTime(time.Now())
		if _, err := q.Exec(ctx, `INSERT INTO logout_deliveries
			(id, client_id, subject, sid, created_at, next_attempt_at)
			SELECT replace(gen_random_uuid()::text, '-', ''), c.id, b.user_id, b.sid, $2, $2
			FROM browser_sessions b
			JOIN (SELECT DISTINCT sid, client_id FROM session_clients) sc ON sc.sid = b.sid
			JOIN clients c ON c.id = sc.client_id
			WHERE b.`+where+` AND c.backchannel_logout_uri <> '' AND NOT c.disabled`,
			arg, now); err != nil {
			return fmt.Errorf("queue logout deliveries: %w", mapErr(err))
		}
		if _, err := q.Exec(ctx, `DELETE FROM browser_sessions WHERE `+where, arg); err != nil {
			return mapErr(err)
		}
		return nil
	})
}

// AddSessionClient records that sc.ClientID got the grant sc.RequestID in
// the browser session sc.SID.
func (s *Store) AddSessionClient(ctx context.Context, sc storage.SessionClient) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO session_clients (sid, client_id, request_id, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (sid, request_id) DO NOTHING`,
		sc.SID, sc.ClientID, sc.RequestID, toTime(sc.CreatedAt))
	if err != nil {
		return fmt.Errorf("postgres: add session client: %w", mapErr(err))
	}
	return nil
}

func scanSessionClient(row pgx.Row) (storage.SessionClient, error) {
	var (
		sc      storage.SessionClient
		created time.Time
	)
	if err := row.Scan(&sc.SID, &sc.ClientID, &sc.RequestID, &created); err != nil {
		return storage.SessionClient{}, mapErr(err)
	}
	sc.CreatedAt = fromTime(created)
	return sc, nil
}

// ListSessionClients returns what was recorded for sid, oldest first.
func (s *Store) ListSessionClients(ctx context.Context, sid string) ([]storage.SessionClient, error) {
	out, err := queryAll(ctx, s.q(ctx), scanSessionClient, `SELECT sid, client_id, request_id, created_at
		FROM session_clients WHERE sid = $1 ORDER BY created_at, request_id`, sid)
	if err != nil {
		return nil, fmt.Errorf("postgres: list session clients: %w", err)
	}
	return out, nil
}

const deliveryColumns = `id, client_id, subject, sid, attempts, created_at, next_attempt_at, last_error`

func scanDelivery(row pgx.Row) (storage.LogoutDelivery, error) {
	var (
		d             storage.LogoutDelivery
		created, next time.Time
	)
	if err := row.Scan(&d.ID, &d.ClientID, &d.Subject, &d.SID, &d.Attempts, &created, &next, &d.LastError); err != nil {
		return storage.LogoutDelivery{}, mapErr(err)
	}
	d.CreatedAt, d.NextAttemptAt = fromTime(created), fromTime(next)
	return d, nil
}

// ClaimLogoutDeliveries leases up to limit due deliveries to claim; rows
// another node is claiming at the same moment are skipped.
func (s *Store) ClaimLogoutDeliveries(ctx context.Context, claim string, now, until time.Time, limit int) ([]storage.LogoutDelivery, error) {
	out, err := queryAll(ctx, s.q(ctx), scanDelivery, `UPDATE logout_deliveries SET claim = $1, lease_until = $2
		WHERE id IN (SELECT id FROM logout_deliveries WHERE next_attempt_at <= $3
			AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at, id LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING `+deliveryColumns, claim, toTime(until), toTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim logout deliveries: %w", err)
	}
	return out, nil
}

// RetryLogoutDelivery ends claim's lease on id and schedules it at next.
func (s *Store) RetryLogoutDelivery(ctx context.Context, id, claim string, attempts int, next time.Time, lastError string) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE logout_deliveries SET attempts = $1, next_attempt_at = $2,
		last_error = $3, claim = '', lease_until = NULL WHERE id = $4 AND claim = $5 AND claim <> ''`,
		attempts, toTime(next), lastError, id, claim)
	return deliveryDone(tag, err, "retry")
}

// DeleteLogoutDelivery removes id if claim holds it.
func (s *Store) DeleteLogoutDelivery(ctx context.Context, id, claim string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM logout_deliveries WHERE id = $1 AND claim = $2 AND claim <> ''`, id, claim)
	return deliveryDone(tag, err, "delete")
}

func deliveryDone(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("postgres: %s logout delivery: %w", what, mapErr(err))
	}
	return affected(tag, "postgres: "+what+" logout delivery")
}
