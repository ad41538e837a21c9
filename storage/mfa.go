package storage

import (
	"context"
	"time"
)

// TOTP is a person's authenticator-app (RFC 6238) enrolment, one per user.
// Secret is sealed by package mfa (AES-GCM under a key derived from the
// system secret, bound to the user id); storage treats it as opaque bytes.
type TOTP struct {
	UserID    string
	Secret    []byte
	Confirmed bool // a first code proved the enrolment; only then is it a factor
	// LastStep is the newest time step (Unix time / 30 s) a code was
	// accepted for; a code of this step or an older one is a replay.
	LastStep   int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// RecoveryCode is one single-use recovery code of a user, stored as a
// keyed hash (package mfa), never as the code.
type RecoveryCode struct {
	UserID    string
	Hash      string
	CreatedAt time.Time
}

// SessionFactor is one way a person proved who they are in a browser
// session: an RFC 8176 amr value (pwd, otp, hwk, swk, fed…) and when.
type SessionFactor struct {
	Method string    `json:"method"`
	At     time.Time `json:"at"`
}

// SecondFactors stores TOTP enrolments and recovery codes. Deleting a user
// deletes them.
type SecondFactors interface {
	// CreateTOTP stores t, replacing the user's unconfirmed enrolment if
	// any; ErrAlreadyExists when the user has a confirmed TOTP (remove it
	// first), ErrNotFound when the user does not exist.
	CreateTOTP(ctx context.Context, t TOTP) error
	// GetTOTP returns the user's TOTP, confirmed or not; ErrNotFound when
	// there is none.
	GetTOTP(ctx context.Context, userID string) (TOTP, error)
	// UseTOTPStep is the compare-and-swap that accepts a code: it sets
	// LastStep to step and LastUsedAt to at only while the stored secret is
	// still secret, LastStep is below step and Confirmed equals !confirm;
	// with confirm it also marks the enrolment confirmed. ErrNotFound when
	// nothing matched: a replayed step, a concurrent use of the same code
	// on any node, or an enrolment replaced or removed meanwhile.
	UseTOTPStep(ctx context.Context, userID string, secret []byte, step int64, confirm bool, at time.Time) error
	// DeleteTOTP removes the user's TOTP; ErrNotFound when there is none.
	DeleteTOTP(ctx context.Context, userID string) error

	// ReplaceRecoveryCodes deletes the user's recovery codes and stores
	// hashes as the new set, atomically; ErrNotFound when the user does
	// not exist.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	// ListRecoveryCodes returns the user's unused codes (hashes), oldest
	// first.
	ListRecoveryCodes(ctx context.Context, userID string) ([]RecoveryCode, error)
	// UseRecoveryCode deletes the user's code with hash; ErrNotFound when
	// there is none (unknown or used). Of concurrent uses exactly one
	// succeeds.
	UseRecoveryCode(ctx context.Context, userID, hash string) error
	// DeleteRecoveryCodes deletes every recovery code of the user.
	DeleteRecoveryCodes(ctx context.Context, userID string) error
}
