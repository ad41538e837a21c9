package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Errors of BearerVerifier.Verify.
var (
	// ErrInvalidToken: the token is malformed, badly signed, expired,
	// revoked or not an access token.
	ErrInvalidToken = errors.New("oauth: the access token is invalid, expired or revoked")
	// ErrUserGone: the token's user no longer exists or is disabled. The
	// Bearer returned with it still describes the token.
	ErrUserGone = errors.New("oauth: the access token's user no longer exists or is disabled")
)

// Bearer is a verified access token.
type Bearer struct {
	ClientID string
	Subject  string
	Scopes   []string
	// User is the token's user as stored now (current roles), nil for a
	// client acting for itself (client credentials).
	User *storage.User
}

// HasScope reports whether the token was granted scope.
func (b Bearer) HasScope(scope string) bool { return slices.Contains(b.Scopes, scope) }

// BearerVerifier checks bearer access tokens for the resource endpoints of
// this server (userinfo, the admin API): signature, expiry and revocation
// (by introspection, so revocation counts at once), and the user's current
// state. It is the one place that does; a proof of possession (DPoP) is
// to be checked here too, from the request Verify is given.
type BearerVerifier struct {
	Provider *Provider
	Users    interface {
		GetUser(ctx context.Context, id string) (storage.User, error)
	}
	Logger *slog.Logger
}

// Verify checks token, sent with r. It returns ErrInvalidToken,
// ErrUserGone (with the token's Bearer), or another error when the user
// could not be loaded.
func (v *BearerVerifier) Verify(ctx context.Context, r *http.Request, token string) (Bearer, error) {
	sess := NewSession()
	use, ar, err := v.Provider.IntrospectToken(ctx, token, fosite.AccessToken, sess)
	if errors.Is(err, ErrStorageUnavailable) {
		return Bearer{}, fmt.Errorf("oauth: verify the access token: %w", err)
	}
	if err != nil || use != fosite.AccessToken {
		if err != nil && !isInactive(err) && v.Logger != nil {
			logError(ctx, v.Logger, "bearer token", err)
		}
		return Bearer{}, ErrInvalidToken
	}
	if err := v.Provider.checkBinding(ctx, r, token, sess.JKT); err != nil {
		return Bearer{}, err
	}
	b := Bearer{ClientID: sess.ClientID, Scopes: ar.GetGrantedScopes()}
	if !sess.User {
		return b, nil
	}
	b.Subject = sess.Subject
	user, err := v.Users.GetUser(ctx, sess.Subject)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && user.Disabled) {
		return b, ErrUserGone
	}
	if err != nil {
		return Bearer{}, fmt.Errorf("oauth: load the token's user: %w", storageFailure(err))
	}
	b.User = &user
	return b, nil
}
