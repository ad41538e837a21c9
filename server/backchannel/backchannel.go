// Package backchannel delivers OpenID Connect Back-Channel Logout 1.0
// logout tokens. Ending a browser session (storage.BrowserSessions) queues
// one delivery per client that got tokens in it and registered a
// backchannel_logout_uri; a Sender on every node claims due deliveries
// from the database with a lease, posts them in parallel, retries
// failures with backoff until retry_for has passed, and audits and counts
// each outcome. A delivery survives a restart: whatever node runs next
// finishes it.
package backchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Store is what the sender needs from storage.
type Store interface {
	storage.Logouts
	GetClient(ctx context.Context, id string) (storage.Client, error)
}

// Outcomes, as audited (Details["outcome"]) and counted.
const (
	OutcomeSent    = "sent"    // the client answered 2xx
	OutcomeRetry   = "retry"   // failed; tried again later
	OutcomeFailed  = "failed"  // failed for the last time: retry_for has passed
	OutcomeRefused = "refused" // the host is internal and not allowed; never retried
	OutcomeDropped = "dropped" // the client is gone, disabled or has no URI any more
)

// Options configure a Sender. Store, Keys and Issuer are required.
type Options struct {
	Store  Store
	Keys   *keys.Manager
	Issuer string
	// AllowedHosts may be reached although they resolve to internal
	// addresses (backchannel_logout.allowed_hosts).
	AllowedHosts []string
	Timeout      time.Duration // per request; default 5s
	RetryFor     time.Duration // after the session ended; default 1h
	Interval     time.Duration // between claims; default 2s
	// Batch is how many deliveries one pass claims and sends at once;
	// default 16.
	Batch int
	Audit *audit.Recorder
	// Count counts one outcome (metrics); nil counts nothing.
	Count  func(outcome string)
	Logger *slog.Logger
	Now    func() time.Time
}

// Sender posts queued logout tokens.
type Sender struct {
	o      Options
	client *http.Client
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.RetryFor <= 0 {
		o.RetryFor = time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Count == nil {
		o.Count = func(string) {}
	}
	return &Sender{o: o, client: newClient(o.AllowedHosts, o.Timeout)}
}

// Run sends due deliveries every interval until ctx ends; a full batch
// is followed at once by the next.
func (s *Sender) Run(ctx context.Context) {
	for {
		n, err := s.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			s.o.Logger.WarnContext(ctx, "backchannel logout: claim deliveries", "error", err)
		}
		if n == s.o.Batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.o.Interval):
		}
	}
}

// Pass claims the due deliveries (one batch), sends them in parallel and
// waits for every answer. It returns how many it claimed. When ctx ends
// mid-send, the deliveries in flight are released for the next pass, on
// this node or another.
func (s *Sender) Pass(ctx context.Context) (int, error) {
	now := s.o.Now().UTC()
	claim := secret.Token(16)
	// The lease outlasts a pass (every request bounded by Timeout); a node
	// that dies holding it delays its deliveries by this much.
	lease := now.Add(2*s.o.Timeout + 10*time.Second)
	ds, err := s.o.Store.ClaimLogoutDeliveries(ctx, claim, now, lease, s.o.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { s.deliver(ctx, claim, d) })
	}
	wg.Wait()
	return len(ds), nil
}

// deliver sends one delivery and records its outcome.
func (s *Sender) deliver(ctx context.Context, claim string, d storage.LogoutDelivery) {
	c, err := s.o.Store.GetClient(ctx, d.ClientID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		s.finish(ctx, claim, d, OutcomeDropped, "client deleted", 0)
		return
	case err != nil:
		s.release(ctx, claim, d, fmt.Sprintf("load client: %v", err))
		return
	case c.Disabled || c.BackchannelLogoutURI == "":
		s.finish(ctx, claim, d, OutcomeDropped, "client disabled or without backchannel_logout_uri", 0)
		return
	}
	status, err := s.post(ctx, c.BackchannelLogoutURI, d)
	switch {
	case err == nil && status/100 == 2:
		s.finish(ctx, claim, d, OutcomeSent, "", status)
	case ctx.Err() != nil:
		// Shutting down: the next pass, here or elsewhere, sends it.
		s.release(ctx, claim, d, "interrupted")
	case errors.Is(err, ErrRefusedAddress):
		s.finish(ctx, claim, d, OutcomeRefused, err.Error(), 0)
	default:
		reason := "status " + strconv.Itoa(status)
		if err != nil {
			reason = err.Error()
		}
		s.retry(ctx, claim, d, reason, status)
	}
}

// post sends the logout token to uri and returns the answer's status.
func (s *Sender) post(ctx context.Context, uri string, d storage.LogoutDelivery) (int, error) {
	token, err := signToken(ctx, s.o.Keys, s.o.Issuer, d, s.o.Now().UTC())
	if err != nil {
		return 0, err
	}
	reqCtx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, uri, strings.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-store")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the audit event already
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// backoff is the wait after the attempts-th failed attempt: 1s doubling
// up to 5 minutes.
func backoff(attempts int) time.Duration {
	if attempts > 9 {
		return 5 * time.Minute
	}
	return min(time.Second<<(attempts-1), 5*time.Minute)
}

// retry schedules d again, unless retry_for has passed by then.
func (s *Sender) retry(ctx context.Context, claim string, d storage.LogoutDelivery, reason string, status int) {
	attempts := d.Attempts + 1
	next := s.o.Now().UTC().Add(backoff(attempts))
	if next.After(d.CreatedAt.Add(s.o.RetryFor)) {
		d.Attempts = attempts
		s.finish(ctx, claim, d, OutcomeFailed, reason, status)
		return
	}
	err := s.o.Store.RetryLogoutDelivery(context.WithoutCancel(ctx), d.ID, claim, attempts, next, reason)
	if err != nil {
		s.o.Logger.WarnContext(ctx, "backchannel logout: reschedule", "client_id", d.ClientID, "error", err)
		return
	}
	d.Attempts = attempts
	s.record(ctx, d, OutcomeRetry, reason, status)
}

// release hands d back, due now, without counting an attempt.
func (s *Sender) release(ctx context.Context, claim string, d storage.LogoutDelivery, reason string) {
	err := s.o.Store.RetryLogoutDelivery(context.WithoutCancel(ctx), d.ID, claim, d.Attempts, s.o.Now().UTC(), reason)
	if err != nil {
		s.o.Logger.WarnContext(ctx, "backchannel logout: release", "client_id", d.ClientID, "error", err)
	}
}

// finish removes d from the queue and records its final outcome.
func (s *Sender) finish(ctx context.Context, claim string, d storage.LogoutDelivery, outcome, reason string, status int) {
	if outcome == OutcomeSent || outcome == OutcomeFailed || outcome == OutcomeRefused {
		d.Attempts++
	}
	err := s.o.Store.DeleteLogoutDelivery(context.WithoutCancel(ctx), d.ID, claim)
	if errors.Is(err, storage.ErrNotFound) {
		return // the lease ran out and another node took it over
	}
	if err != nil {
		s.o.Logger.WarnContext(ctx, "backchannel logout: remove delivery", "client_id", d.ClientID, "error", err)
		return
	}
	s.record(ctx, d, outcome, reason, status)
}

// record audits and counts one outcome.
func (s *Sender) record(ctx context.Context, d storage.LogoutDelivery, outcome, reason string, status int) {
	s.o.Count(outcome)
	result := audit.Failure
	if outcome == OutcomeSent {
		result = audit.Success
	}
	details := map[string]string{"outcome": outcome, "sid": d.SID, "attempts": strconv.Itoa(d.Attempts), "delivery": d.ID}
	if reason != "" {
		details["reason"] = reason
	}
	if status != 0 {
		details["status"] = strconv.Itoa(status)
	}
	s.o.Audit.Record(context.WithoutCancel(ctx), storage.AuditEvent{
		Type: audit.BackchannelLogout, Outcome: result, UserID: d.Subject, ClientID: d.ClientID, Details: details,
	})
}
