package signin

import (
	"context"
	"errors"
	"net/url"
)

// PathEndSession is the RP-initiated logout endpoint: served by the pages
// (server/web), advertised as end_session_endpoint by server/oauth.
const PathEndSession = "/oauth2/logout"

// LogoutRequest is an RP-initiated logout request (OpenID Connect
// RP-Initiated Logout 1.0) as the authorization server validated it.
type LogoutRequest struct {
	// ClientID is the client named by client_id or the hint's audience;
	// "" when the request named none.
	ClientID   string
	ClientName string
	// HasHint: a valid id_token_hint this server issued was sent, for
	// the user Subject. Expired hints are accepted, as the spec allows.
	HasHint bool
	Subject string
	// RedirectURI is the post_logout_redirect_uri, exactly as registered
	// for the client; "" when none was asked for.
	RedirectURI string
	State       string
}

// Errors of LogoutParser.ParseLogout. The pages show a fixed text for each
// and never follow the redirect URI.
var (
	ErrLogoutHint     = errors.New("signin: logout: id_token_hint is not valid")
	ErrLogoutClient   = errors.New("signin: logout: unknown client or client mismatch")
	ErrLogoutRedirect = errors.New("signin: logout: post_logout_redirect_uri is not registered")
)

// LogoutParser validates the parameters of an RP-initiated logout
// request. server/oauth implements it.
type LogoutParser interface {
	ParseLogout(ctx context.Context, params url.Values) (LogoutRequest, error)
}
