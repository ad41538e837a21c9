package oauth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// prepare runs the preparation of the request's grant, between fosite's
// NewAccessRequest and NewAccessResponse, and returns the context to issue
// the tokens in.
func (t *Token) prepare(ctx context.Context, tx *issueTx, r *http.Request, ar fosite.AccessRequester, sess *Session) (context.Context, error) {
	grant := ar.GetGrantTypes()
	switch {
	case grant.ExactOne("authorization_code"):
		ctx, err := codeResources(tx.context(ctx), r, ar)
		if err != nil {
			return ctx, err
		}
		return t.prepareCode(ctx, sess)
	case grant.ExactOne("refresh_token"):
		return t.prepareRefresh(ctx, r, ar, sess)
	case grant.ExactOne("password"):
		if err := t.directResources(r, ar); err != nil {
			return ctx, err
		}
		if err := tx.begin(ctx); err != nil {
			return ctx, fosite.ErrServerError.WithWrap(err)
		}
		return t.preparePassword(tx.context(ctx), ar, sess)
	case grant.ExactOne("client_credentials"):
		if err := t.directResources(r, ar); err != nil {
			return ctx, err
		}
		return ctx, t.prepareClientCredentials(ar, sess)
	case grant.ExactOne(clients.GrantTokenExchange):
		if !sess.User {
			return ctx, nil
		}
		if err := tx.begin(ctx); err != nil {
			return ctx, fosite.ErrServerError.WithWrap(err)
		}
		return t.prepareDevice(tx.context(ctx), ar, sess)
	case grant.ExactOne(clients.GrantDeviceCode):
		if err := tx.begin(ctx); err != nil {
			return ctx, fosite.ErrServerError.WithWrap(err)
		}
		return t.prepareDevice(tx.context(ctx), ar, sess)
	}
	return ctx, fosite.ErrUnsupportedGrantType
}

// prepareCode checks the code's user under the lock, in the exchange's
// transaction. The granted scopes and the session are the ones stored with
// the code; fosite re-reads them while it issues, and the adapter brings
// them up to date with the checked user there (applyCheckedUser): current
// roles, no admin scope for someone who has lost the admin role.
func (t *Token) prepareCode(ctx context.Context, sess *Session) (context.Context, error) {
	if !sess.User {
		return ctx, fosite.ErrServerError.WithDebug("authorization code without a user")
	}
	user, err := t.currentUser(ctx, sess.Subject)
	if err != nil {
		return ctx, err
	}
	return withCheckedUser(ctx, user), nil
}

// prepareRefresh refuses a scope beyond the original grant and, for a
// person's tokens, checks the user, now and again under the lock in the
// transaction that writes the tokens (guardUser): refreshed tokens carry the
// user's current claims, and a disabled or deleted user's refresh tokens
// stop working.
func (t *Token) prepareRefresh(ctx context.Context, r *http.Request, ar fosite.AccessRequester, sess *Session) (context.Context, error) {
	// RFC 6749 section 6: no scope beyond the original grant; a narrower
	// one is what the new access token gets, while the new refresh token
	// keeps the original grant.
	if narrower := strings.Fields(r.PostForm.Get("scope")); len(narrower) > 0 {
		for _, s := range narrower {
			if !ar.GetGrantedScopes().Has(s) {
				return ctx, fosite.ErrInvalidScope.WithHintf("The scope %q was not granted to this refresh token.", s)
			}
		}
		ctx = narrowScopes(ctx, ar, narrower)
	}
	resources, err := tokenResources(r.PostForm, ar.GetGrantedAudience())
	if err != nil {
		return ctx, err
	}
	if resources != nil {
		ctx = narrowAudience(ctx, ar, resources)
	}
	if !sess.User {
		return ctx, nil
	}
	user, err := t.activeUser(ctx, sess.Subject)
	if err != nil {
		return ctx, err
	}
	dropAdminScope(ar, user)
	sess.setUser(user, ar.GetGrantedScopes())
	return t.guardUser(withCheckedUser(ctx, user), user), nil
}

// guardUser returns ctx carrying the issue guard of a refresh for user: in
// the transaction that writes the tokens, the subject's lock, then the user
// again, who must still be enabled and hold the roles the tokens were made
// with (a change in between refuses the
// request, which the client may retry: nothing was used up).
func (t *Token) guardUser(ctx context.Context, user storage.User) context.Context {
	return withIssueGuard(ctx, func(txCtx context.Context) error {
		now, err := t.currentUser(txCtx, user.ID)
		if err != nil {
			return err
		}
		if !slices.Equal(now.Roles, user.Roles) {
			return fosite.ErrInvalidGrant.WithHint("The user's roles changed during the request; try again.")
		}
		return nil
	})
}

// preparePassword checks, under the lock, the user whose password fosite
// has verified, grants the requested scopes and fills the session.
func (t *Token) preparePassword(ctx context.Context, ar fosite.AccessRequester, sess *Session) (context.Context, error) {
	user, err := t.currentUser(ctx, sess.Subject)
	if err != nil {
		return ctx, err
	}
	if t.RequireVerifiedEmail && !user.EmailVerified {
		return ctx, fosite.ErrInvalidGrant.WithHint("The account's email address is not confirmed yet: follow the link mailed to it.")
	}
	if err := t.passwordGrantAllowed(ctx, user, ar.GetClient()); err != nil {
		return ctx, err
	}
	if adminScopeRefused(ar.GetRequestedScopes(), &user) {
		return ctx, fosite.ErrInvalidScope.WithHint(errAdminScope)
	}
	grantRequested(ar)
	now := t.Now().UTC()
	sess.Claims.AuthenticationMethodsReferences = []string{mfa.AMRPassword}
	sess.Claims.AuthenticationContextClassReference = mfa.ACRPassword
	sess.ClientID = ar.GetClient().GetID()
	sess.setUser(user, ar.GetGrantedScopes())
	sess.Claims.AuthTime = now.Truncate(time.Second)
	sess.Claims.RequestedAt = now.Truncate(time.Second)
	return withCheckedUser(ctx, user), nil
}

// prepareClientCredentials grants a client acting for itself the scopes
// it asked for, never the admin scope; the subject is the client.
func (t *Token) prepareClientCredentials(ar fosite.AccessRequester, sess *Session) error {
	if adminScopeRefused(ar.GetRequestedScopes(), nil) {
		return fosite.ErrInvalidScope.WithHint(errAdminScope)
	}
	clientID := ar.GetClient().GetID()
	sess.ClientID = clientID
	sess.Subject = clientID
	grantRequested(ar)
	return nil
}

// prepareDevice checks, under the lock, the user who approved the device
// code (or the subject of a token exchange): a disabled or deleted user
// gets nothing, one who has lost the admin role loses the admin scope,
// and the tokens carry the user's current claims.
func (t *Token) prepareDevice(ctx context.Context, ar fosite.AccessRequester, sess *Session) (context.Context, error) {
	user, err := t.currentUser(ctx, sess.Subject)
	if err != nil {
		return ctx, err
	}
	dropAdminScope(ar, user)
	sess.setUser(user, ar.GetGrantedScopes())
	return withCheckedUser(ctx, user), nil
}

// currentUser takes the subject's lock in the transaction in ctx and
// loads the user; a missing or disabled user is an invalid grant.
func (t *Token) currentUser(ctx context.Context, id string) (storage.User, error) {
	if err := t.Provider.store.lockSubject(ctx, id); err != nil {
		return storage.User{}, fosite.ErrServerError.WithWrap(err)
	}
	return t.activeUser(ctx, id)
}

// errPasswordGrantMFA is the description of a password grant refused to
// someone with a second factor.
const errPasswordGrantMFA = "This account uses a second factor, which the password grant cannot ask for. Sign in through the browser instead (the authorization code flow)."

// passwordGrantAllowed refuses the password grant (invalid_grant) to a
// person who has a second factor or must use one: the grant has no way
// to ask for it.
func (t *Token) passwordGrantAllowed(ctx context.Context, user storage.User, c fosite.Client) error {
	p := t.SecondFactors
	if p.Factors == nil {
		return nil
	}
	if p.forced(user, c) {
		return fosite.ErrInvalidGrant.WithHint(errPasswordGrantMFA)
	}
	best, err := p.Factors.BestACR(ctx, user.ID)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if best != "" {
		return fosite.ErrInvalidGrant.WithHint(errPasswordGrantMFA)
	}
	return nil
}

// codeResources applies the resource parameters of a code exchange: each
// must be among the audience the authorization granted (the resources it
// asked for, or the client), and the access token gets just them while
// the refresh token keeps the whole grant.
func codeResources(ctx context.Context, r *http.Request, ar fosite.AccessRequester) (context.Context, error) {
	granted := ar.GetRequestedAudience() // fosite set it from the code's request
	if len(granted) == 0 {
		granted = fosite.Arguments{ar.GetClient().GetID()}
	}
	resources, err := tokenResources(r.PostForm, granted)
	if err != nil || resources == nil {
		return ctx, err
	}
	return keepGrant(withNarrowAudience(ctx, resources), nil, granted), nil
}

// directResources applies the resource parameters of a grant that issues
// at once (password, client credentials): they become the requested
// audience, checked like an authorization request's.
func (t *Token) directResources(r *http.Request, ar fosite.AccessRequester) error {
	resources, err := requestedTargets(r.PostForm, ar.GetRequestedAudience())
	if err != nil || len(resources) == 0 {
		return err
	}
	if err := t.Provider.checkResources(ar.GetClient(), resources, ar.GetRequestedScopes()); err != nil {
		return err
	}
	ar.SetRequestedAudience(resources)
	return nil
}
