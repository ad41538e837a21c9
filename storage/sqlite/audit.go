package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const auditColumns = `id, time, type, outcome, user_id, client_id, ip, user_agent, details`

func scanAudit(row scanner) (storage.AuditEvent, error) {
	var (
		e       storage.AuditEvent
		at      int64
		details string
	)
	if err := row.Scan(&e.ID, &at, &e.Type, &e.Outcome, &e.UserID, &e.ClientID, &e.IP, &e.UserAgent, &details); err != nil {
		return storage.AuditEvent{}, mapErr(err)
	}
	e.Time = fromTime(at)
	var err error
	if e.Details, err = sqlutil.DecodeDetails([]byte(details)); err != nil {
		return storage.AuditEvent{}, fmt.Errorf("sqlite: %w", err)
	}
	return e, nil
}

// AppendAuditEvent stores e, its text cleaned (sqlutil.CleanAuditEvent).
func (s *Store) AppendAuditEvent(ctx context.Context, e storage.AuditEvent) error {
	e = sqlutil.CleanAuditEvent(e)
	details := sqlutil.EncodeDetails(e.Details)
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO audit_events
		(time, type, outcome, user_id, client_id, ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		toTime(e.Time), e.Type, e.Outcome, e.UserID, e.ClientID, e.IP, e.UserAgent, details)
	if err != nil {
		return fmt.Errorf("sqlite: append audit event: %w", mapErr(err))
	}
	return nil
}

// ListAuditEvents returns matching events, newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	q, args := sqlutil.AuditQuery(auditColumns, f,
		func(int) string { return "?" },
		func(t time.Time) any { return toTime(t) })
	out, err := queryAll(ctx, s.rq(ctx), scanAudit, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit events: %w", err)
	}
	return out, nil
}

// DeleteAuditEventsBefore deletes at most batch events older than before.
func (s *Store) DeleteAuditEventsBefore(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, errors.New("sqlite: delete audit events: batch must be positive")
	}
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM audit_events WHERE id IN
		(SELECT id FROM audit_events WHERE time < ? LIMIT ?)`, toTime(before), batch)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete audit events: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete audit events: %w", mapErr(err))
	}
	return n, nil
}
