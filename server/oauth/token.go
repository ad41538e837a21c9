package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Token is the token endpoint (POST /oauth2/token). fosite runs the grant;
// this handler fills what fosite leaves to the application: the granted
// scopes and audience, the user's claims, and the password grant's ID token.
type Token struct {
	Provider *Provider
	Users    interface {
		GetUser(ctx context.Context, id string) (storage.User, error)
	}
	Logger *slog.Logger
	Now    func() time.Time
	// Audit records issued, refreshed and reused tokens; Metrics counts
	// issued tokens. Both optional.
	Audit   *audit.Recorder
	Metrics TokenMetrics
}

// ServeHTTP handles one token request.
func (t *Token) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	g := r.PostFormValue("grant_type") // parses the body
	precheck := checkSingleValues(r.PostForm)
	if precheck == nil && g != "" && !slices.Contains(SupportedGrantTypes, g) {
		precheck = fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", g)
	}
	if precheck == nil && r.PostForm != nil {
		precheck = checkClientAuth(r)
	}
	if precheck != nil {
		t.writeError(ctx, w, r, fosite.NewAccessRequest(NewSession()), precheck)
		return
	}
	ar, err := t.Provider.NewAccessRequest(ctx, r, NewSession())
	if err != nil {
		t.writeError(ctx, w, r, ar, err)
		return
	}
	// The session fosite carries on: ours for new grants, the stored one
	// (a copy) for code exchanges and refreshes.
	sess, ok := ar.GetSession().(*Session)
	if !ok {
		t.writeError(ctx, w, r, ar, fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession()))
		return
	}
	clientID := ar.GetClient().GetID()
	grant := ar.GetGrantTypes()
	switch {
	case grant.ExactOne("client_credentials"):
		if adminScopeRefused(ar.GetRequestedScopes(), nil) {
			t.writeError(ctx, w, r, ar, fosite.ErrInvalidScope.WithHint(errAdminScope))
			return
		}
		sess.ClientID = clientID
		sess.Subject = clientID
		grantRequested(ar)
	case grant.ExactOne("password"):
		// fosite has checked the password and set the subject.
		user, err := t.activeUser(ctx, sess.Subject)
		if err != nil {
			t.writeError(ctx, w, r, ar, err)
			return
		}
		if adminScopeRefused(ar.GetRequestedScopes(), &user) {
			t.writeError(ctx, w, r, ar, fosite.ErrInvalidScope.WithHint(errAdminScope))
			return
		}
		grantRequested(ar)
		now := t.Now().UTC()
		sess.ClientID = clientID
		sess.setUser(user, ar.GetGrantedScopes())
		sess.Claims.AuthTime = now.Truncate(time.Second)
		sess.Claims.RequestedAt = now.Truncate(time.Second)
	case grant.ExactOne("refresh_token"):
		// RFC 6749 section 6: no scope beyond the original grant. A
		// narrower one is answered with the full grant, which the
		// response's scope says (section 3.3).
		for _, s := range strings.Fields(r.PostForm.Get("scope")) {
			if !ar.GetGrantedScopes().Has(s) {
				t.writeError(ctx, w, r, ar, fosite.ErrInvalidScope.WithHintf("The scope %q was not granted to this refresh token.", s))
				return
			}
		}
		if !sess.User {
			break
		}
		// Refreshed tokens carry the user's current claims, and a
		// disabled or deleted user's refresh tokens stop working.
		user, err := t.activeUser(ctx, sess.Subject)
		if err != nil {
			t.writeError(ctx, w, r, ar, err)
			return
		}
		dropAdminScope(ar, user)
		sess.setUser(user, ar.GetGrantedScopes())
	}

	resp, err := t.Provider.NewAccessResponse(ctx, ar)
	if err != nil && errors.Is(fosite.ErrorToRFC6749Error(err).Cause(), fosite.ErrInvalidatedAuthorizeCode) {
		// Lost a race with another exchange of the same code (fosite read
		// the code as active, then found it used): a replay.
		// RFC 6749 section 4.1.2: deny, and revoke what the code issued.
		if rerr := t.Provider.revokeRequest(ctx, ar.GetID()); rerr != nil {
			t.Logger.ErrorContext(ctx, "revoke the tokens of a replayed code", "error", rerr)
		}
		err = fosite.ErrInvalidGrant.WithHint("The authorization code has already been used.")
	}
	if err != nil && grant.ExactOne("refresh_token") && errors.Is(fosite.ErrorToRFC6749Error(err).Cause(), fosite.ErrNotFound) {
		// Lost a race with a concurrent refresh of the same token, which
		// rotated it first: to this request the token is already used.
		err = fosite.ErrInvalidGrant.WithHint("The refresh token has already been used.")
	}
	if err != nil {
		t.writeError(ctx, w, r, ar, err)
		return
	}
	if grant.ExactOne("password") && ar.GetGrantedScopes().Has("openid") {
		sess.Claims.AccessTokenHash = t.Provider.signer.LeftHalfHash(ctx, resp.GetAccessToken())
		idToken, err := t.Provider.oidc.GenerateIDToken(ctx, t.Provider.config.IDTokenLifespan, ar)
		if err != nil {
			t.writeError(ctx, w, r, ar, err)
			return
		}
		resp.SetExtra("id_token", idToken)
	}
	if len(ar.GetGrantedScopes()) == 0 {
		// No scope granted: leave the parameter out rather than send ""
		// (RFC 6749 section 3.3 scope tokens are never empty).
		if ar, ok := resp.(*fosite.AccessResponse); ok {
			delete(ar.Extra, "scope")
		}
	}
	t.Provider.WriteAccessResponse(ctx, w, ar, resp)
	t.recordIssued(r, ar, sess)
}

// activeUser loads the token's user; a missing or disabled user is an
// invalid grant.
func (t *Token) activeUser(ctx context.Context, id string) (storage.User, error) {
	u, err := t.Users.GetUser(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return storage.User{}, fosite.ErrInvalidGrant.WithHint("The user no longer exists or is disabled.")
	}
	if err != nil {
		return storage.User{}, fosite.ErrServerError.WithWrap(err)
	}
	return u, nil
}

// grantRequested grants the requested scopes, which fosite has already
// checked against the client's, and the audience.
func grantRequested(ar fosite.Requester) {
	for _, s := range ar.GetRequestedScopes() {
		if grantable(ar.GetClient(), s) {
			ar.GrantScope(s)
		}
	}
	grantAudience(ar)
}

// grantable leaves out offline_access for clients that may not use the
// refresh_token grant: the refresh token would be unusable.
func grantable(c fosite.Client, scope string) bool {
	return scope != "offline_access" || c.GetGrantTypes().Has("refresh_token")
}

func (t *Token) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	err = rateLimited(w, err)
	t.recordReuse(r, ar, err)
	t.recordPasswordFailure(r, ar, err)
	logError(ctx, t.Logger, "token request", err)
	challengeClient(w, r, err)
	t.Provider.WriteAccessError(ctx, w, ar, err)
}

// challengeClient adds the WWW-Authenticate header RFC 6749 section 5.2
// requires on a 401 invalid_client answer to a request that authenticated
// with the Authorization header.
func challengeClient(w http.ResponseWriter, r *http.Request, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.CodeField == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	}
}

// logError logs a protocol error: server errors with their cause at error
// level, refusals briefly at info. Tokens and secrets are never logged.
func logError(ctx context.Context, log *slog.Logger, what string, err error) {
	rfc := fosite.ErrorToRFC6749Error(boundError(err))
	if rfc.CodeField >= 500 {
		log.ErrorContext(ctx, what+" failed", "error", rfc.ErrorField, "debug", rfc.DebugField, "cause", rfc.Cause())
		return
	}
	log.InfoContext(ctx, what+" refused", "error", rfc.ErrorField, "hint", rfc.HintField)
}
