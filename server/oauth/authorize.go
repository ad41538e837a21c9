package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrorPage renders the friendly HTML error page for errors that must not
// be redirected to a client (unknown client, unregistered redirect URI).
type ErrorPage interface {
	Error(w http.ResponseWriter, r *http.Request, status int, message string)
}

// ErrorMessages are the fixed texts the authorization endpoint shows.
type ErrorMessages struct {
	UnknownClient, BadRedirect, InvalidRequest, Server string
	// TooManyAttempts: the client IP's budget of new metadata document
	// clients is spent (429).
	TooManyAttempts string
}

// AuthorizeOptions configure the authorization endpoint.
type AuthorizeOptions struct {
	Provider *Provider
	Store    storage.Store
	Sessions *session.Manager
	Pages    ErrorPage
	Messages ErrorMessages
	Secret   []byte
	Logger   *slog.Logger
	Now      func() time.Time
	// SecondFactors is who must use a second factor; the zero value asks
	// nobody.
	SecondFactors SecondFactorPolicy
}

// Authorize is the authorization endpoint (GET/POST /oauth2/auth) and the
// signin.Resumer the login and consent pages continue it through.
type Authorize struct {
	AuthorizeOptions
	proofKey []byte
}

var _ signin.Resumer = (*Authorize)(nil)

// loginProofParam carries, from the login step to the consent step, the
// proof that the person authenticated during this very flow, so a flow
// with prompt=login does not ask for the password again after consent.
const loginProofParam = "gatehouse_login"

// NewAuthorize returns the authorization endpoint.
func NewAuthorize(o AuthorizeOptions) *Authorize {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Authorize{AuthorizeOptions: o, proofKey: secret.Derive(o.Secret, "login-proof")}
}

// ServeHTTP handles a fresh authorization request.
func (a *Authorize) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.authorize(w, r, signin.Step{})
}

// Resume continues the authorization request flow (its original query)
// after a login or consent page.
func (a *Authorize) Resume(w http.ResponseWriter, r *http.Request, flow string, step signin.Step) {
	r2, proven, err := a.flowRequest(r, flow)
	if err != nil {
		a.Pages.Error(w, r, http.StatusBadRequest, a.Messages.InvalidRequest)
		return
	}
	step.Authenticated = step.Authenticated || proven
	a.authorize(w, r2, step)
}

// Check implements signin.Resumer: it validates flow the way authorize
// does, without signing anyone in or issuing anything.
func (a *Authorize) Check(r *http.Request, flow string) (signin.Flow, error) {
	r2, _, err := a.flowRequest(r, flow)
	if err != nil {
		return signin.Flow{}, err
	}
	ar, err := a.parseRequest(r2)
	if err != nil {
		return signin.Flow{}, err
	}
	name := ar.GetClient().GetID()
	c, _ := ar.GetClient().(*client)
	if c != nil && strings.TrimSpace(c.name) != "" {
		name = c.name
	}
	var host string
	if u := ar.GetRedirectURI(); u != nil {
		host = u.Host
		if host == "" {
			host = u.Scheme + ":" // a private-use scheme (RFC 8252)
		}
	}
	return signin.Flow{
		ClientID:     ar.GetClient().GetID(),
		Scopes:       ar.GetRequestedScopes(),
		LoginHint:    ar.GetRequestForm().Get("login_hint"),
		ACR:          requestedACR(ar),
		ClientName:   name,
		Unverified:   c != nil && c.unvetted(),
		RedirectHost: host,
	}, nil
}

// parseRequest validates an authorization request with fosite and our own
// up-front checks. On error ar may still be returned, for writeError to
// decide whether the redirect URI can carry the answer.
func (a *Authorize) parseRequest(r *http.Request) (fosite.AuthorizeRequester, error) {
	pushed := a.pushedRequestURI(r)
	unsupported := stripRequestObjects(r)
	if pushed != "" && errors.Is(unsupported, fosite.ErrRequestURINotSupported) {
		// A pushed request (RFC 9126): fosite loads it, once.
		r.Form.Set("request_uri", pushed)
		unsupported = nil
	}
	if r.Form != nil {
		dropUnheldScopes(r.Form)
		clampMaxAge(r)
		if err := checkRedirectShape(r.Form.Get("redirect_uri")); err != nil {
			return nil, err // never redirected to: the error page
		}
	}
	ar, err := a.Provider.NewAuthorizeRequest(r.Context(), r)
	switch {
	case err != nil:
		return ar, err
	case unsupported != nil:
		// Answer at the redirect URI fosite has now validated.
		return ar, unsupported
	case pushed == "" && !resumedPushed(r.Context()) && a.Provider.requiresPAR(ar.GetClient()):
		return ar, fosite.ErrInvalidRequest.WithHint("This client must push its authorization requests to the pushed authorization request endpoint first (RFC 9126).")
	}
	if err := checkCodeRequest(ar); err != nil {
		return ar, err
	}
	if err := a.Provider.checkCodeBinding(ar.GetRequestForm()); err != nil {
		return ar, err
	}
	return ar, a.Provider.authorizeResources(ar)
}

func (a *Authorize) authorize(w http.ResponseWriter, r *http.Request, step signin.Step) {
	ctx := r.Context()
	ar, err := a.parseRequest(r)
	if err != nil {
		a.writeError(ctx, w, r, ar, err)
		return
	}
	form := a.flowForm(r, ar)
	flow := form.Encode()
	prompt := strings.Fields(form.Get("prompt"))

	cur, err := a.Sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		a.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	signedIn := err == nil
	if !signedIn || (!step.Authenticated && (slices.Contains(prompt, "login") || a.tooOld(form, cur.Session))) {
		if slices.Contains(prompt, "none") {
			a.writeError(ctx, w, r, ar, fosite.ErrLoginRequired.WithHint("The person must sign in."))
			return
		}
		redirect(w, r, "/login?flow="+url.QueryEscape(flow))
		return
	}

	if slices.Contains(prompt, "select_account") && !step.Authenticated && !step.AccountChosen && step.Consent == signin.DecisionNone {
		// The consent page, which names the account with a way to switch,
		// and a login in this flow are choices of the account too.
		redirect(w, r, "/select-account?flow="+url.QueryEscape(flow))
		return
	}
	to, err := a.stepUp(ctx, ar, cur.User, cur.Session, flow)
	if err != nil {
		a.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	if to != "" {
		if slices.Contains(prompt, "none") {
			a.writeError(ctx, w, r, ar, fosite.ErrInteractionRequired.WithHint("The person must use a second factor."))
			return
		}
		redirect(w, r, to)
		return
	}

	if adminScopeRefused(ar.GetRequestedScopes(), &cur.User) {
		a.writeError(ctx, w, r, ar, fosite.ErrAccessDenied.WithHint(errAdminScope))
		return
	}
	clientID := ar.GetClient().GetID()
	requested := ar.GetRequestedScopes()
	switch step.Consent {
	case signin.DecisionDeny:
		a.writeError(ctx, w, r, ar, fosite.ErrAccessDenied.WithHint("The person denied the request."))
		return
	case signin.DecisionAllow:
		if err := a.saveConsent(ctx, cur.User.ID, clientID, requested); err != nil {
			a.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
	default:
		covered, err := a.consentCovers(ctx, cur.User.ID, clientID, requested)
		if err != nil {
			a.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		// A client nobody vetted (self-registered, or known by its
		// metadata document) is asked about every time: a remembered
		// consent must not let a look-alike of it through unseen.
		if !covered || slices.Contains(prompt, "consent") || isUnvetted(ar.GetClient()) {
			if slices.Contains(prompt, "none") {
				a.writeError(ctx, w, r, ar, fosite.ErrConsentRequired.WithHint("The person must consent."))
				return
			}
			next := form
			if step.Authenticated {
				next = cloneValues(form)
				next.Set(loginProofParam, a.loginProof(cur.Session.ID, flow))
			}
			redirect(w, r, "/consent?flow="+url.QueryEscape(next.Encode()))
			return
		}
	}

	grantRequested(ar)
	requestedAt := ar.GetRequestedAt()
	if step.Authenticated && cur.Session.AuthTime.Before(requestedAt) {
		// The login belongs to this request, even though fosite parsed it
		// again after the password was checked.
		requestedAt = cur.Session.AuthTime
	}
	sess := newUserSession(cur.User, clientID, ar.GetGrantedScopes(), cur.Session.AuthTime, requestedAt)
	sess.setSID(cur.Session.SID)
	sess.Claims.AuthenticationMethodsReferences = sessionAMR(cur.Session)
	sess.Claims.AuthenticationContextClassReference = sessionACR(cur.Session)
	sess.JKT = ar.GetRequestForm().Get("dpop_jkt") // checked by parseRequest
	resp, err := a.issueInSession(ctx, ar, sess, cur.Session.SID)
	if err != nil {
		a.writeError(ctx, w, r, ar, err)
		return
	}
	a.Provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// issueInSession issues the authorization response and records, in the
// same transaction, that the client got this grant in the browser session
// sid: when the session ends, the grant's tokens are revoked and the
// client hears of it by back-channel logout (storage.Logouts).
func (a *Authorize) issueInSession(ctx context.Context, ar fosite.AuthorizeRequester, sess *Session, sid string) (fosite.AuthorizeResponder, error) {
	var resp fosite.AuthorizeResponder
	err := storage.InTx(ctx, a.Store, func(ctx context.Context) error {
		err := a.Store.AddSessionClient(ctx, storage.SessionClient{
			SID: sid, ClientID: ar.GetClient().GetID(), RequestID: ar.GetID(), CreatedAt: a.Now().UTC(),
		})
		if errors.Is(err, storage.ErrNotFound) {
			// The session ended meanwhile (signed out elsewhere).
			return fosite.ErrLoginRequired.WithHint("The browser session has ended.")
		}
		if err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		resp, err = a.Provider.NewAuthorizeResponse(ctx, ar, sess)
		return err
	})
	return resp, err
}

// writeError sends err to the client's redirect URI when fosite validated
// one, and shows the error page otherwise (never redirecting to an
// unregistered URI).
func (a *Authorize) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	switch rfc.ErrorField {
	case "invalid_state", fosite.ErrInsufficientEntropy.ErrorField:
		// fosite's own codes for a short state or nonce; RFC 6749 section
		// 4.1.2.1 has invalid_request for them.
		err = fosite.ErrInvalidRequest.WithHint(rfc.HintField)
		rfc = fosite.ErrorToRFC6749Error(err)
	}
	logError(ctx, a.Logger, "authorization", err)
	if ar != nil && ar.IsRedirectURIValid() {
		a.Provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	var limited *ratelimit.LimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(limited.RetryAfterSeconds()))
		a.Pages.Error(w, r, http.StatusTooManyRequests, a.Messages.TooManyAttempts)
	case rfc.ErrorField == fosite.ErrInvalidClient.ErrorField:
		a.Pages.Error(w, r, http.StatusBadRequest, a.Messages.UnknownClient)
	case rfc.ErrorField == fosite.ErrServerError.ErrorField:
		a.Pages.Error(w, r, http.StatusInternalServerError, a.Messages.Server)
	case ar != nil && ar.GetClient() != nil:
		a.Pages.Error(w, r, http.StatusBadRequest, a.Messages.BadRedirect)
	default:
		a.Pages.Error(w, r, http.StatusBadRequest, a.Messages.InvalidRequest)
	}
}

// grantAudience grants the requested audience (fosite has checked it
// against the client's) or, when none was requested, the client itself:
// RFC 9068 access tokens always carry an aud.
func grantAudience(ar fosite.Requester) {
	if len(ar.GetRequestedAudience()) == 0 {
		ar.GrantAudience(ar.GetClient().GetID())
		return
	}
	for _, aud := range ar.GetRequestedAudience() {
		ar.GrantAudience(aud)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
