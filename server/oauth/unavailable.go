package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrStorageUnavailable marks a failure of the database itself (it is
// down, full, or refused the statement), as opposed to an answer from it
// such as "no such client". Such a failure must never read as the
// caller's fault: the protocol endpoints answer it with 503
// temporarily_unavailable and Retry-After, not invalid_client or
// invalid_grant.
var ErrStorageUnavailable = errors.New("oauth: the database is unavailable")

// retryAfterSeconds is the Retry-After sent with a 503.
const retryAfterSeconds = "5"

// unavailable wraps a database failure so that it is both
// ErrStorageUnavailable and still its cause, for the log.
type unavailable struct{ cause error }

func (u unavailable) Error() string   { return "database unavailable: " + u.cause.Error() }
func (u unavailable) Unwrap() []error { return []error{ErrStorageUnavailable, u.cause} }

// storageFailure marks err, returned by storage, as a failure of the
// database unless it is one of storage's answers (not found, already
// exists, a lost conflict, text that cannot be stored).
func storageFailure(err error) error {
	if !storage.Failed(err) || errors.Is(err, ErrStorageUnavailable) {
		return err
	}
	return unavailable{cause: err}
}

// publicError is err as a protocol error a client can act on: a database
// failure anywhere in its chain becomes temporarily_unavailable (503),
// whatever fosite made of it (it turns a failed client lookup into
// invalid_client), and an error fosite does not know, which it would
// answer as {"error": "error"}, becomes server_error. The cause is kept
// for the log.
func publicError(err error) *fosite.RFC6749Error {
	if errors.Is(err, ErrStorageUnavailable) {
		return fosite.ErrTemporarilyUnavailable.WithHint("The database is unavailable; try again shortly.").WithWrap(err)
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.ErrorField == fosite.ErrorToRFC6749Error(errors.New("")).ErrorField {
		return fosite.ErrServerError.WithWrap(err)
	}
	return rfc
}

// reportUnavailable, for an answer to a database failure, counts and logs
// it (rate-limited), sets Retry-After, and drops a client-authentication
// challenge set before the error was known to be the server's.
func (p *Provider) reportUnavailable(ctx context.Context, w http.ResponseWriter, err error) {
	if errors.Is(err, ErrStorageUnavailable) {
		p.faults.Report(ctx, "protocol", "protocol request", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		w.Header().Del("WWW-Authenticate")
	}
}
