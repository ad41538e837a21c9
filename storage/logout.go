package storage

import (
	"context"
	"time"
)

// SessionClient records that a client got tokens in a browser session:
// the tokens of the grant RequestID (fosite's request id, shared by the
// code and every access and refresh token it led to) go when the session
// ends, and the client hears of the end by back-channel logout.
type SessionClient struct {
	SID       string // BrowserSession.SID
	ClientID  string
	RequestID string
	CreatedAt time.Time
}

// LogoutDelivery is a back-channel logout token waiting to be sent to a
// client: queued when a browser session ends, claimed by one node at a
// time with a lease, retried until sent or given up.
type LogoutDelivery struct {
	ID            string // random (a UUID), the logout token's jti
	ClientID      string
	Subject       string // the user whose session ended
	SID           string // the session that ended
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	LastError     string
}

// Logouts stores what back-channel logout needs: which clients got tokens
// in which browser session, and the queue of logout tokens to send.
type Logouts interface {
	// AddSessionClient records sc. ErrNotFound when no browser session
	// has sc.SID (it ended meanwhile) or no client sc.ClientID exists.
	// Recording the same (SID, RequestID) again is not an error. Call it
	// in the transaction that stores the grant: on PostgreSQL it holds
	// off the session's end until the grant is stored, so the end revokes
	// it too.
	AddSessionClient(ctx context.Context, sc SessionClient) error
	// ListSessionClients returns what was recorded for sid, oldest first.
	ListSessionClients(ctx context.Context, sid string) ([]SessionClient, error)
	// ClaimLogoutDeliveries leases up to limit deliveries due at now
	// (NextAttemptAt not after now) whose lease, if any, has run out, to
	// claim until until, oldest due first. Deliveries another caller holds
	// are skipped, not waited for.
	ClaimLogoutDeliveries(ctx context.Context, claim string, now, until time.Time, limit int) ([]LogoutDelivery, error)
	// RetryLogoutDelivery ends the lease claim holds on delivery id and
	// schedules it again at next, with attempts and lastError recorded.
	// ErrNotFound when claim no longer holds it (the lease ran out and
	// another caller took it) or it is gone.
	RetryLogoutDelivery(ctx context.Context, id, claim string, attempts int, next time.Time, lastError string) error
	// DeleteLogoutDelivery removes delivery id (sent, or given up) if
	// claim holds it; ErrNotFound otherwise.
	DeleteLogoutDelivery(ctx context.Context, id, claim string) error
}
