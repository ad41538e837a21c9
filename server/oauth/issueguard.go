package oauth

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/ory/fosite"
)

// An issueGuard is what a refresh must check inside the transaction that
// writes its tokens: the subject's lock, then the user again. The token
// endpoint reads the refresh token and signs the new tokens outside any
// transaction (on SQLite a transaction holds the one writer, so a signature
// inside it would serialise every write behind it); fosite then opens its
// own transaction for the writes only, and the adapter's BeginTX runs the
// guard first thing in it. Together with the atomic rotation of the refresh
// token in that transaction, a token is either written before a
// revocation, which then revokes it, or refused after it.
type issueGuard struct {
	check func(ctx context.Context) error
	ran   atomic.Bool
}

type issueGuardKey struct{}

// withIssueGuard returns ctx carrying a guard that runs check in the first
// transaction begun on the returned context.
func withIssueGuard(ctx context.Context, check func(ctx context.Context) error) context.Context {
	return context.WithValue(ctx, issueGuardKey{}, &issueGuard{check: check})
}

// guardError carries the guard's refusal through fosite, which wraps any
// failure to begin a transaction as server_error.
type guardError struct{ err error }

func (e *guardError) Error() string { return e.err.Error() }
func (e *guardError) Unwrap() error { return e.err }

// runIssueGuard runs the guard in ctx, once, in the transaction txCtx has
// just begun. A refusal comes back as a *guardError.
func runIssueGuard(ctx, txCtx context.Context) error {
	g, ok := ctx.Value(issueGuardKey{}).(*issueGuard)
	if !ok || !g.ran.CompareAndSwap(false, true) {
		return nil
	}
	if err := g.check(txCtx); err != nil {
		return &guardError{err: err}
	}
	return nil
}

// guardRefusal returns the guard's own error when err carries one (fosite
// reported it as server_error), else err.
func guardRefusal(err error) error {
	var ge *guardError
	if errors.As(err, &ge) {
		var rfc *fosite.RFC6749Error
		if errors.As(ge.err, &rfc) {
			return rfc
		}
		return ge.err
	}
	return err
}
