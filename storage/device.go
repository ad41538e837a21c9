package storage

import (
	"context"
	"time"
)

// DeviceStatus is where a device authorization (RFC 8628) stands.
type DeviceStatus string

// The device authorization states. A pending code becomes approved or
// denied once, on the /device page; an approved code becomes used once,
// when the device redeems it at the token endpoint.
const (
	DevicePending  DeviceStatus = "pending"
	DeviceApproved DeviceStatus = "approved"
	DeviceDenied   DeviceStatus = "denied"
	DeviceUsed     DeviceStatus = "used"
)

// DeviceCode is one device authorization request. Neither code is stored
// in the clear: DeviceCode is the hex SHA-256 of the device code, UserCode
// a keyed hash of the normalised user code.
type DeviceCode struct {
	DeviceCode string
	UserCode   string
	ClientID   string
	Status     DeviceStatus
	// Subject is the user who approved or denied ("" while pending).
	Subject string
	// Interval is the minimum polling interval, raised by slow_down;
	// LastPolledAt is the last poll (zero: never polled).
	Interval     time.Duration
	LastPolledAt time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time
	// Data is the serialised request (scopes, audience, session), opaque
	// to storage.
	Data []byte
}

// DeviceCodes stores device authorization requests until they expire.
type DeviceCodes interface {
	// CreateDeviceCode stores d; ErrAlreadyExists when its device code or
	// user code is taken, ErrNotFound when its client does not exist.
	CreateDeviceCode(ctx context.Context, d DeviceCode) error
	// GetDeviceCode returns the request of a device code (hashed), expired
	// or not; ErrNotFound when there is none.
	GetDeviceCode(ctx context.Context, deviceCode string) (DeviceCode, error)
	// GetDeviceCodeByUserCode returns the request of a user code (hashed),
	// expired or not; ErrNotFound when there is none.
	GetDeviceCodeByUserCode(ctx context.Context, userCode string) (DeviceCode, error)
	// UpdateDeviceCode reads the request of deviceCode, applies fn and
	// writes the result atomically: concurrent updates (two polls, a poll
	// and an approval) on any node are serialized and none is lost. An
	// error from fn writes nothing; fn may not change the codes.
	UpdateDeviceCode(ctx context.Context, deviceCode string, fn func(*DeviceCode) error) error
}
