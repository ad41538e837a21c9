package storage

import (
	"context"
	"time"
)

// Passkey is a WebAuthn credential a person registered: used to sign in
// without a password or as a second factor. Nothing in it is secret: the
// private key never leaves the authenticator.
type Passkey struct {
	// CredentialID is the authenticator's credential id, unique across
	// every user.
	CredentialID []byte
	UserID       string
	// Name is what the person called it ("Laptop", "YubiKey").
	Name string
	// Credential is the credential record (public key, flags, AAGUID,
	// transports) as the passkey code encodes it; opaque to storage.
	Credential []byte
	// SignCount is the authenticator's signature counter at the last use
	// (0 for authenticators that keep none, as synced passkeys do).
	SignCount  uint32
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Passkeys stores people's passkeys. Deleting a user deletes them.
type Passkeys interface {
	// CreatePasskey stores p; ErrAlreadyExists when the credential id is
	// registered already (to anyone), ErrNotFound when the user does not
	// exist.
	CreatePasskey(ctx context.Context, p Passkey) error
	// GetPasskey returns the passkey with the credential id.
	GetPasskey(ctx context.Context, credentialID []byte) (Passkey, error)
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]Passkey, error)
	// UpdatePasskey reads the passkey, applies fn and writes the result
	// atomically (a use: SignCount, LastUsedAt, Credential; a new Name).
	// fn may change neither CredentialID nor UserID. An error from fn
	// writes nothing.
	UpdatePasskey(ctx context.Context, credentialID []byte, fn func(*Passkey) error) error
	// DeletePasskey removes one of the user's passkeys; ErrNotFound when
	// the user has none with that credential id.
	DeletePasskey(ctx context.Context, userID string, credentialID []byte) error
	// DeleteUserPasskeys removes every passkey of the user and reports how
	// many there were.
	DeleteUserPasskeys(ctx context.Context, userID string) (int64, error)
}
