package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const deviceColumns = `device_code, user_code, client_id, status, subject, interval_ms,
	last_polled_at, created_at, expires_at, data`

func scanDeviceCode(row scanner) (storage.DeviceCode, error) {
	var (
		d                storage.DeviceCode
		status           string
		interval         int64
		polled           sql.NullInt64
		created, expires int64
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
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO device_codes (`+deviceColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.DeviceCode, d.UserCode, d.ClientID, string(d.Status), d.Subject, d.Interval.Milliseconds(),
		toOptTime(d.LastPolledAt), toTime(d.CreatedAt), toTime(d.ExpiresAt), d.Data)
	if err != nil {
		return fmt.Errorf("sqlite: create device code: %w", mapErr(err))
	}
	return nil
}

// GetDeviceCode returns the request of a (hashed) device code.
func (s *Store) GetDeviceCode(ctx context.Context, deviceCode string) (storage.DeviceCode, error) {
	d, err := scanDeviceCode(s.rq(ctx).QueryRowContext(ctx, `SELECT `+deviceColumns+`
		FROM device_codes WHERE device_code = ?`, deviceCode))
	if err != nil {
		return storage.DeviceCode{}, fmt.Errorf("sqlite: get device code: %w", err)
	}
	return d, nil
}

// GetDeviceCodeByUserCode returns the request of a (hashed) user code.
func (s *Store) GetDeviceCodeByUserCode(ctx context.Context, userCode string) (storage.DeviceCode, error) {
	d, err := scanDeviceCode(s.rq(ctx).QueryRowContext(ctx, `SELECT `+deviceColumns+`
		FROM device_codes WHERE user_code = ?`, userCode))
	if err != nil {
		return storage.DeviceCode{}, fmt.Errorf("sqlite: get device code by user code: %w", err)
	}
	return d, nil
}

// UpdateDeviceCode applies fn to the request in one immediate transaction
// (joining the one in ctx): SQLite's one writer serializes updates.
func (s *Store) UpdateDeviceCode(ctx context.Context, deviceCode string, fn func(*storage.DeviceCode) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		d, err := s.GetDeviceCode(ctx, deviceCode)
		if err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
		if d.DeviceCode != deviceCode {
			return fmt.Errorf("sqlite: update device code: the code cannot change")
		}
		res, err := s.q(ctx).ExecContext(ctx, `UPDATE device_codes SET status = ?, subject = ?,
			interval_ms = ?, last_polled_at = ?, expires_at = ?, data = ? WHERE device_code = ?`,
			string(d.Status), d.Subject, d.Interval.Milliseconds(), toOptTime(d.LastPolledAt),
			toTime(d.ExpiresAt), d.Data, deviceCode)
		if err != nil {
			return fmt.Errorf("sqlite: update device code: %w", mapErr(err))
		}
		return affected(res, "sqlite: update device code")
	})
}
