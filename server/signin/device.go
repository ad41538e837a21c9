package signin

import (
	"context"
	"errors"

	"github.com/gatehouse-id/gatehouse/storage"
)

// PathDevice is the page where a person enters a device's user code
// (RFC 8628 verification_uri): served by the pages, advertised by the
// device authorization endpoint.
const PathDevice = "/device"

// DeviceRequest is a pending device authorization as the /device page
// shows it.
type DeviceRequest struct {
	ClientID string
	// Scopes are the requested scopes, each allowed for the client.
	Scopes []string
	// UserCode is the code as the device shows it, XXXX-XXXX.
	UserCode string
}

// Errors of DeviceApprover.
var (
	// ErrUnknownUserCode: no pending request has this code (mistyped,
	// expired, or already approved or denied).
	ErrUnknownUserCode = errors.New("signin: device: unknown, expired or used user code")
	// ErrDeviceScopeRefused: the request asks for a scope this person may
	// not grant (the admin scope without the admin role).
	ErrDeviceScopeRefused = errors.New("signin: device: a requested scope is not for this person")
)

// StepUpError refuses an approval the session may not give yet: the
// client or the person's role needs a second factor the session has not
// used. To is where the person goes first: the second-factor page (then
// back to the device page) or the security page to set one up.
type StepUpError struct{ To string }

func (e *StepUpError) Error() string { return "signin: device: a second factor is needed first" }

// DeviceApprover looks up and decides device authorizations by user
// code. server/oauth implements it.
type DeviceApprover interface {
	// Lookup finds the pending request of a typed user code.
	Lookup(ctx context.Context, userCode string) (DeviceRequest, error)
	// StepUp returns where the person signed in with sess must go before
	// approving the pending request of userCode (a *StepUpError's To), or
	// "" when the session may approve it.
	StepUp(ctx context.Context, userCode string, user storage.User, sess storage.BrowserSession) (string, error)
	// Decide approves (allow) or denies the pending request of userCode
	// for user, signed in with sess, once: the code cannot be decided
	// again. An approval the session may not give yet is a *StepUpError.
	Decide(ctx context.Context, userCode string, user storage.User, sess storage.BrowserSession, allow bool) (DeviceRequest, error)
}
