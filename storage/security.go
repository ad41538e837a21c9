package storage

import (
	"context"
	"time"
)

// Identity links an account at an upstream identity provider (federation)
// to a Gatehouse user. (Provider, Subject) is unique.
type Identity struct {
	Provider    string // the configured provider id, e.g. "google"
	Subject     string // the upstream's stable subject (OIDC sub, GitHub user id)
	UserID      string
	Email       string // the upstream email at the last login, for display
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// Identities stores upstream identities. Deleting a user deletes its
// identities.
type Identities interface {
	// CreateIdentity links id; ErrAlreadyExists when (Provider, Subject)
	// is already linked, ErrNotFound when the user does not exist.
	CreateIdentity(ctx context.Context, id Identity) error
	GetIdentity(ctx context.Context, provider, subject string) (Identity, error)
	// ListIdentities returns the user's identities, oldest first.
	ListIdentities(ctx context.Context, userID string) ([]Identity, error)
	// TouchIdentity records a login: LastLoginAt and Email.
	TouchIdentity(ctx context.Context, provider, subject, email string, at time.Time) error
	// DeleteIdentity unlinks one identity; ErrNotFound when none matched.
	DeleteIdentity(ctx context.Context, provider, subject string) error
}

// Purpose names what a one-time token is for.
type Purpose string

// The one-time token purposes.
const (
	PurposePasswordReset     Purpose = "password_reset"
	PurposeEmailVerification Purpose = "email_verification"
)

// OneTimeToken is a single-use, expiring token mailed to a person (password
// reset, email verification). Only the SHA-256 of the token is stored.
type OneTimeToken struct {
	Hash      string // hex SHA-256 of the token
	Purpose   Purpose
	UserID    string
	Email     string // the address the token was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OneTimeTokens stores one-time tokens. Deleting a user deletes its tokens.
type OneTimeTokens interface {
	// CreateOneTimeToken stores t; ErrNotFound when the user does not exist.
	CreateOneTimeToken(ctx context.Context, t OneTimeToken) error
	// GetOneTimeToken returns the token unless it is unknown, used or
	// expired at now (ErrNotFound), without using it.
	GetOneTimeToken(ctx context.Context, purpose Purpose, hash string, now time.Time) (OneTimeToken, error)
	// ConsumeOneTimeToken deletes and returns the token unless it is
	// unknown, used or expired at now (ErrNotFound). Of concurrent
	// consumers of one token exactly one succeeds.
	ConsumeOneTimeToken(ctx context.Context, purpose Purpose, hash string, now time.Time) (OneTimeToken, error)
	// DeleteUserOneTimeTokens deletes every token of the user for purpose.
	DeleteUserOneTimeTokens(ctx context.Context, userID string, purpose Purpose) error
}

// AuditEvent is one security event. It never holds a password, token or
// secret.
type AuditEvent struct {
	ID        int64 // assigned by the store, increasing
	Time      time.Time
	Type      string // e.g. "login.failure"; see package audit
	Outcome   string // "success", "failure" or "denied"
	UserID    string
	ClientID  string
	IP        string
	UserAgent string
	Details   map[string]string
}

// AuditFilter selects audit events; zero fields do not filter. Limit 0
// means a backend default (100); larger limits are capped at 1000.
type AuditFilter struct {
	Type     string
	UserID   string
	ClientID string
	Since    time.Time // inclusive
	Until    time.Time // exclusive
	Limit    int
	Offset   int
}

// AuditEvents stores the security audit log. Events outlive the users
// and clients they name.
type AuditEvents interface {
	// AppendAuditEvent stores e (its ID is ignored).
	AppendAuditEvent(ctx context.Context, e AuditEvent) error
	// ListAuditEvents returns matching events, newest first.
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// DeleteAuditEventsBefore deletes at most batch events older than
	// before and reports how many it deleted.
	DeleteAuditEventsBefore(ctx context.Context, before time.Time, batch int) (int64, error)
}

// RateCounters are fixed-window counters for rate limiting when no Redis
// is configured; nodes sharing a database share them.
type RateCounters interface {
	// IncrementCounter adds one to key's counter and returns the new count
	// and when the window ends. A counter with no window open at now starts
	// a new one of length window at 1. Concurrent increments are never lost.
	IncrementCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int64, time.Time, error)
	// GetCounter returns key's count and window end; 0 and the zero time
	// when no window is open at now.
	GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error)
	// DeleteCounter resets key.
	DeleteCounter(ctx context.Context, key string) error
}
