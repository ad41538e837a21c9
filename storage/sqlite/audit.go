package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
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
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return storage.AuditEvent{}, fmt.Errorf("sqlite: decode audit details: %w", err)
	}
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e, nil
}

// AppendAuditEvent stores e.
func (s *Store) AppendAuditEvent(ctx context.Context, e storage.AuditEvent) error {
	details := "{}"
	if len(e.Details) > 0 {
		b, _ := json.Marshal(e.Details) // a map[string]string always marshals
		details = string(b)
	}
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
	var (
		where []string
		args  []any
	)
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, toTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, toTime(f.Until))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit, offset := page(storage.ListOptions{Limit: f.Limit, Offset: f.Offset})
	q += ` ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`
	out, err := queryAll(ctx, s.rq(ctx), scanAudit, q, append(args, limit, offset)...)
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
