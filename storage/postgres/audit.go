package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const auditColumns = `id, time, type, outcome, user_id, client_id, ip, user_agent, details`

func scanAudit(row pgx.Row) (storage.AuditEvent, error) {
	var (
		e       storage.AuditEvent
		at      time.Time
		details []byte
	)
	if err := row.Scan(&e.ID, &at, &e.Type, &e.Outcome, &e.UserID, &e.ClientID, &e.IP, &e.UserAgent, &details); err != nil {
		return storage.AuditEvent{}, mapErr(err)
	}
	e.Time = fromTime(at)
	var err error
	if e.Details, err = sqlutil.DecodeDetails(details); err != nil {
		return storage.AuditEvent{}, fmt.Errorf("postgres: %w", err)
	}
	return e, nil
}

// AppendAuditEvent stores e, its text cleaned (sqlutil.CleanAuditEvent).
func (s *Store) AppendAuditEvent(ctx context.Context, e storage.AuditEvent) error {
	e = sqlutil.CleanAuditEvent(e)
	details := sqlutil.EncodeDetails(e.Details)
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO audit_events
		(time, type, outcome, user_id, client_id, ip, user_agent, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
		toTime(e.Time), e.Type, e.Outcome, e.UserID, e.ClientID, e.IP, e.UserAgent, details)
	if err != nil {
		return fmt.Errorf("postgres: append audit event: %w", mapErr(err))
	}
	return nil
}

// ListAuditEvents returns matching events, newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	q, args := sqlutil.AuditQuery(auditColumns, f,
		func(n int) string { return "$" + strconv.Itoa(n) },
		func(t time.Time) any { return toTime(t) })
	out, err := queryAll(ctx, s.q(ctx), scanAudit, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit events: %w", err)
	}
	return out, nil
}

// DeleteAuditEventsBefore deletes at most batch events older than before.
// Rows another node is deleting at the same moment are skipped, not waited
// for.
func (s *Store) DeleteAuditEventsBefore(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, errors.New("postgres: delete audit events: batch must be positive")
	}
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM audit_events WHERE id IN
		(SELECT id FROM audit_events WHERE time < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, toTime(before), batch)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete audit events: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}
