package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

const deviceColumns = `device_code, user_code, client_id, status, subject, interval_ms,
	last_polled_at, created_at, expires_at, data`

func scanDeviceCode(row pgx.Row) (storage.DeviceCode, error) {
	var (
		d                storage.DeviceCode
		status           string
		interval         int64
		polled           *time.Time
		created, expires time.Time
	)
	if err := row.Scan(&d.DeviceCode, &d.UserCode, &d.ClientID, &status, &d.Subject, &interval,
		&polled, &created, &expires, &d.Data); err != nil {
		return storage.DeviceCode{}, mapErr(err)
	}
	d.Status, d.Interval = storage.DeviceStatus(status), time.Duration(interval)*time.Millisecond
	d.LastPolledAt, d.CreatedAt, d.ExpiresAt = fromOptTime(polled), fromTime(created), fromTime(expires)
	return d, nil
}

// CreateDeviceCode stores d; ErrAlreadyExists when a code is taken.
func (s *Store) CreateDeviceCode(ctx context.Context, d storage.DeviceCode) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO device_codes (`+deviceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.DeviceCode, d.UserCode, d.ClientID, string(d.Status), d.Subject, d.Interval.Milliseconds(),
		toOptTime(d.LastPolledAt), toTime(d.CreatedAt), toTime(d.ExpiresAt), d.Data)
	if err != nil {
		return fmt.Errorf("postgres: create device code: %w", mapErr(err))
	}
	return nil
}

// GetDeviceCode returns the request of a (hashed) device code.
func (s *Store) GetDeviceCode(ctx context.Context, deviceCode string) (storage.DeviceCode, error) {
	d, err := scanDeviceCode(s.q(ctx).QueryRow(ctx, `SELECT `+deviceColumns+`
		FROM device_codes WHERE device_code = $1`, deviceCode))
	if err != nil {
		return storage.DeviceCode{}, fmt.Errorf("postgres: get device code: %w", err)
	}
	return d, nil
}

// GetDeviceCodeByUserCode returns the request of a (hashed) user code.
func (s *Store) GetDeviceCodeByUserCode(ctx context.Context, userCode string) (storage.DeviceCode, error) {
	d, err := scanDeviceCode(s.q(ctx).QueryRow(ctx, `SELECT `+deviceColumns+`
		FROM device_codes WHERE user_code = $1`, userCode))
	if err != nil {
		return storage.DeviceCode{}, fmt.Errorf("postgres: get device code by user code: %w", err)
	}
	return d, nil
}

var deviceCodes = updatable[storage.DeviceCode]{
	what: "device code",
	lock: `SELECT ` + deviceColumns + ` FROM device_codes WHERE device_code = $1 FOR UPDATE`,
	scan: scanDeviceCode,
	id:   func(d storage.DeviceCode) string { return d.DeviceCode },
	write: func(d storage.DeviceCode, id string) (string, []any) {
		return `UPDATE device_codes SET status = $1, subject = $2, interval_ms = $3,
			last_polled_at = $4, expires_at = $5, data = $6 WHERE device_code = $7`,
			[]any{string(d.Status), d.Subject, d.Interval.Milliseconds(), toOptTime(d.LastPolledAt),
				toTime(d.ExpiresAt), d.Data, id}
	},
}

// UpdateDeviceCode locks the request's row, applies fn and writes the
// result: polls and approvals on every node are serialized.
func (s *Store) UpdateDeviceCode(ctx context.Context, deviceCode string, fn func(*storage.DeviceCode) error) error {
	return deviceCodes.update(ctx, s, deviceCode, fn)
}
