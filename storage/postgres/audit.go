package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
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
	if err := json.Unmarshal(details, &e.Details); err != nil {
		return storage.AuditEvent{}, fmt.Errorf("postgres: decode audit details: %w", err)
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
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if !f.Since.IsZero() {
		add("time >= ?", toTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", toTime(f.Until))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit, offset := page(storage.ListOptions{Limit: f.Limit, Offset: f.Offset})
	q += fmt.Sprintf(` ORDER BY time DESC, id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
	out, err := queryAll(ctx, s.q(ctx), scanAudit, q, append(args, limit, offset)...)
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
