// Package audit records security events: each one is written as a
// structured JSON log line (log/slog, message "audit") and stored through
// storage.AuditEvents for the admin API. Events carry who, what, from where
// and the outcome; never a password, token or secret.
package audit

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Event types.
const (
	LoginSuccess           = "login.success"
	LoginFailure           = "login.failure"
	Lockout                = "login.lockout" // rate limit reached
	Logout                 = "logout"
	Registered             = "user.registered"
	EmailVerified          = "user.email_verified"
	VerificationSent       = "user.verification_sent" // an admin mailed a new link
	PasswordResetRequested = "password_reset.requested"
	PasswordResetCompleted = "password_reset.completed"
	PasswordChanged        = "user.password_changed"
	ProfileUpdated         = "user.profile_updated"
	RolesChanged           = "user.roles_changed"
	UserCreated            = "user.created"
	UserDisabled           = "user.disabled"
	UserEnabled            = "user.enabled"
	UserDeleted            = "user.deleted"
	SessionRevoked         = "session.revoked"
	ConsentGranted         = "consent.granted"
	ConsentRevoked         = "consent.revoked"
	PermissionDenied       = "permission.denied"
	TokenIssued            = "token.issued" // Details["grant_type"]
	TokenRefreshed         = "token.refreshed"
	TokenRevoked           = "token.revoked"
	RefreshReuse           = "token.reuse_detected"
	UpstreamLogin          = "upstream.login"   // Details["provider"]
	UpstreamFailure        = "upstream.failure" // Details["provider"], ["reason"]
	IdentityLinked         = "identity.linked"
	IdentityUnlinked       = "identity.unlinked"
	ClientCreated          = "client.created"
	ClientUpdated          = "client.updated"
	ClientDeleted          = "client.deleted"
	ClientSecretRotated    = "client.secret_rotated"
	// BackchannelLogout is one outcome of sending a logout token to a
	// client: Details["outcome"] sent, retry, failed, refused or dropped.
	BackchannelLogout = "logout.backchannel"
	// Second factors: Details["factor"] names the kind (totp, passkey,
	// recovery_codes); failures carry Details["reason"].
	MFAEnrolled         = "mfa.enrolled"
	MFARemoved          = "mfa.removed"
	MFASuccess          = "mfa.success"
	MFAFailure          = "mfa.failure"
	MFARecoveryCodeUsed = "mfa.recovery_code_used"
	// ClientRegistered: a client registered itself (RFC 7591); Denied
	// when its initial access token was refused.
	ClientRegistered = "client.registered"
	// InitialTokenCreated: an initial access token for dynamic
	// registration was made (Details["uses"], ["expires_at"]).
	InitialTokenCreated = "client.initial_token_created"
	KeyRotated          = "key.rotated"
	// Device authorization (RFC 8628) and token exchange (RFC 8693).
	DeviceApproved    = "device.approved"
	DeviceDenied      = "device.denied"
	DeviceCodeFailure = "device.user_code_failure" // a user code that matched nothing
	TokenExchanged    = "token.exchanged"          // Details["subject_client"], ["actor"]
)

// Outcomes.
const (
	Success = "success"
	Failure = "failure"
	Denied  = "denied"
)

// Recorder logs and stores events. A nil *Recorder records nothing.
type Recorder struct {
	store  storage.AuditEvents
	logger *slog.Logger
	now    func() time.Time
	group  GroupCommitter
}

// GroupCommitter runs a write in a transaction shared with other writes
// and returns once it has committed (storage/groupcommit).
type GroupCommitter interface {
	Do(ctx context.Context, fn func(ctx context.Context) error) error
}

// WithGroupCommit returns a copy of r that stores events through g: under
// load, many requests' events commit together, and Record still returns
// only once its event is stored.
func (r *Recorder) WithGroupCommit(g GroupCommitter) *Recorder {
	c := *r
	c.group = g
	return &c
}

// New returns a recorder that stores events in store (none when nil) and
// logs them to logger (slog.Default when nil).
func New(store storage.AuditEvents, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	return &Recorder{store: store, logger: logger, now: time.Now}
}

// WithClock returns a copy of r that stamps events with now.
func (r *Recorder) WithClock(now func() time.Time) *Recorder {
	c := *r
	c.now = now
	return &c
}

// Record logs and stores e, stamping its time when unset. A storage
// failure is logged, never returned: a request does not fail because its
// audit row could not be written, and the log line is still there.
func (r *Recorder) Record(ctx context.Context, e storage.AuditEvent) {
	if r == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = r.now().UTC()
	}
	if e.Outcome == "" {
		e.Outcome = Success
	}
	// Code that sees only the request's context (the rate limiter) still
	// gets the client's address and agent in its events.
	if e.IP == "" {
		e.IP = clientip.FromContext(ctx)
	}
	if e.UserAgent == "" {
		e.UserAgent = clientip.UserAgentFromContext(ctx)
	}
	e = clean(e)
	r.log(ctx, e)
	if r.store == nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // the event is stored even when the request has gone
	var err error
	if r.group != nil {
		err = r.group.Do(ctx, func(ctx context.Context) error { return r.store.AppendAuditEvent(ctx, e) })
	} else {
		err = r.store.AppendAuditEvent(ctx, e)
	}
	if err != nil {
		r.logger.ErrorContext(ctx, "audit: store event", "type", e.Type, "error", err)
	}
}

// log writes e's log line, when the logger takes its level.
func (r *Recorder) log(ctx context.Context, e storage.AuditEvent) {
	level := slog.LevelInfo
	if e.Outcome != Success {
		level = slog.LevelWarn
	}
	if !r.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("type", e.Type),
		slog.String("outcome", e.Outcome),
	}
	for _, kv := range [][2]string{{"user_id", e.UserID}, {"client_id", e.ClientID}, {"ip", e.IP}, {"user_agent", e.UserAgent}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	if len(e.Details) > 0 {
		d := make([]any, 0, len(e.Details))
		for k, v := range e.Details {
			d = append(d, slog.String(k, v))
		}
		attrs = append(attrs, slog.Group("details", d...))
	}
	r.logger.LogAttrs(ctx, level, "audit", slog.Group("audit", attrsToAny(attrs)...))
}

// FromRequest returns an event of type typ with the request's client IP
// (as resolved by clientip.Middleware) and user agent filled in.
func FromRequest(req *http.Request, typ string) storage.AuditEvent {
	return storage.AuditEvent{
		Type:      typ,
		IP:        clientip.FromRequest(req),
		UserAgent: safetext.Clip(req.UserAgent(), 256),
	}
}

// RecordRequest records an event of typ for req with the given user,
// client, outcome and details.
func (r *Recorder) RecordRequest(req *http.Request, typ, outcome, userID, clientID string, details map[string]string) {
	e := FromRequest(req, typ)
	e.Outcome, e.UserID, e.ClientID, e.Details = outcome, userID, clientID, details
	r.Record(req.Context(), e)
}

// maxDetail bounds each detail value of an event.
const maxDetail = 1024

// clean makes every text of e valid UTF-8 of bounded size: user agents and
// details come from requests, and PostgreSQL refuses to store invalid
// UTF-8, which would lose the event.
func clean(e storage.AuditEvent) storage.AuditEvent {
	e.UserID = safetext.Clip(e.UserID, maxDetail)
	e.ClientID = safetext.Clip(e.ClientID, maxDetail)
	e.IP = safetext.Clip(e.IP, maxDetail)
	e.UserAgent = safetext.Clip(e.UserAgent, 256)
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			d[safetext.Clip(k, maxDetail)] = safetext.Clip(v, maxDetail)
		}
		e.Details = d
	}
	return e
}

func attrsToAny(attrs []slog.Attr) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}
