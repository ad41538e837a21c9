package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"
)

// PathPAR is the pushed authorization request endpoint (RFC 9126).
const PathPAR = "/oauth2/par"

// PushedAuthorize is the pushed authorization request endpoint (POST
// /oauth2/par). The client authenticates as at the token endpoint and
// pushes the parameters of an authorization request, which are checked as
// the authorization endpoint would (registered redirect URI, scopes, S256
// PKCE); the answer is a request_uri, good for one authorization request
// within par.lifetime.
type PushedAuthorize struct {
	Provider *Provider
	Logger   *slog.Logger
}

// ServeHTTP handles one pushed authorization request.
func (p *PushedAuthorize) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := p.precheck(r); err != nil {
		p.writeError(ctx, w, r, fosite.NewAuthorizeRequest(), err)
		return
	}
	proof, err := p.Provider.requestProof(ctx, w, r, PathPAR)
	if err != nil {
		p.writeError(ctx, w, r, fosite.NewAuthorizeRequest(), err)
		return
	}
	ar, err := p.Provider.NewPushedAuthorizeRequest(ctx, r)
	if err == nil {
		err = checkCodeRequest(ar)
	}
	if err == nil {
		err = bindPushedCode(ar.GetRequestForm(), proof)
	}
	if err == nil {
		err = p.Provider.checkCodeBinding(ar.GetRequestForm())
	}
	if err != nil {
		p.writeError(ctx, w, r, ar, err)
		return
	}
	resp, err := p.Provider.NewPushedAuthorizeResponse(ctx, ar, NewSession())
	if err != nil {
		p.writeError(ctx, w, r, ar, err)
		return
	}
	p.Provider.WritePushedAuthorizeResponse(ctx, w, ar, resp)
}

// precheck refuses, before fosite reads the request, repeated parameters,
// request objects (not supported), malformed client authentication and
// redirect URIs no registered one may stand for.
func (p *PushedAuthorize) precheck(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return fosite.ErrInvalidRequest.WithHint("The request body is not a valid form.")
	}
	if err := checkSingleValues(r.PostForm); err != nil {
		return err
	}
	if r.PostForm.Has("request") {
		return fosite.ErrRequestNotSupported
	}
	if err := checkClientAuth(r); err != nil {
		return err
	}
	return checkRedirectShape(r.PostForm.Get("redirect_uri"))
}

func (p *PushedAuthorize) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	err = rateLimited(w, err)
	logError(ctx, p.Logger, "pushed authorization request", err)
	challengeClient(w, r, err)
	p.Provider.reportUnavailable(ctx, w, err)
	p.Provider.WritePushedAuthorizeError(ctx, w, ar, boundError(err))
}

// parProofParam marks, in a flow resumed after the login and consent
// pages, that the flow began with a pushed request: its request_uri is
// used up by then, so the flow carries the pushed parameters themselves
// and this proof, bound to them, instead.
const parProofParam = "gatehouse_par"

// isPushed reports whether the request presents a pushed request_uri.
func (p *Provider) isPushed(ctx context.Context, form url.Values) bool {
	uri := form.Get("request_uri")
	return uri != "" && strings.HasPrefix(uri, p.config.GetPushedAuthorizeRequestURIPrefix(ctx))
}

// parProof binds "pushed" to the exact flow (its encoded form).
func (a *Authorize) parProof(flow string) string {
	mac := hmac.New(sha256.New, a.proofKey)
	mac.Write([]byte("par\x00" + flow))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// requiresPAR reports whether the client, or the configuration, demands
// that its authorization requests be pushed.
func (p *Provider) requiresPAR(c fosite.Client) bool {
	if p.grants.RequirePAR {
		return true
	}
	gc, ok := c.(*client)
	return ok && gc.requirePAR
}

// pushedKey marks the context of a resumed flow that began as a pushed
// request (its parProofParam verified).
type pushedKey struct{}

func resumedPushed(ctx context.Context) bool {
	v, _ := ctx.Value(pushedKey{}).(bool)
	return v
}

// pushedRequestURI returns the request's request_uri when PAR is on and
// it names a pushed request, else "". It parses r's form.
func (a *Authorize) pushedRequestURI(r *http.Request) string {
	if !a.Provider.grants.PAR || r.ParseForm() != nil || !a.Provider.isPushed(r.Context(), r.Form) {
		return ""
	}
	return r.Form.Get("request_uri")
}

// flowForm is the form a flow carries through the login and consent
// pages: the request's own, or for a pushed request its pushed parameters
// without the used-up request_uri, with the proof that they were pushed.
func (a *Authorize) flowForm(r *http.Request, ar fosite.AuthorizeRequester) url.Values {
	form := ar.GetRequestForm()
	if !a.Provider.isPushed(r.Context(), form) && !resumedPushed(r.Context()) {
		return form
	}
	form = cloneValues(form)
	form.Del("request_uri")
	form.Del(parProofParam)
	form.Set(parProofParam, a.parProof(form.Encode()))
	return form
}
