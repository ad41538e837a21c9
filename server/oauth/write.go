package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/internal/jsonobj"
	"github.com/gatehouse-id/gatehouse/internal/safetext"
)

// Bounds of the text of a protocol error. A hint often quotes a request
// value (fosite's "The client is not allowed to request scope '…'"): such
// a value is cut after about a hundred characters, and the whole hint
// after maxHintBytes. Descriptions are fosite's fixed texts.
const (
	maxHintBytes        = 2 * safetext.MaxValue
	maxDescriptionBytes = 4 * safetext.MaxValue
)

// boundError returns err as an RFC 6749 error whose hint, description and
// debug text are bounded (marked as cut) and hold nothing that looks like
// a token or secret, so that an anonymous request with a megabyte-long
// parameter, or a token sent in the wrong parameter, reaches neither the
// log nor the answer whole. The cause is kept for errors.Is.
func boundError(err error) error {
	if err == nil {
		return nil
	}
	rfc := publicError(err)
	b := *rfc
	b.HintField = safetext.Bound(rfc.HintField, maxHintBytes)
	b.DescriptionField = safetext.Bound(rfc.DescriptionField, maxDescriptionBytes)
	b.DebugField = safetext.Bound(rfc.DebugField, maxHintBytes)
	return &b
}

// WriteAuthorizeError writes err, bounded (boundError), as fosite does,
// with the headers of noFraming; an answer at the client's redirect URI
// carries iss (RFC 9207, writeAuthorizeErrorRedirect).
func (p *Provider) WriteAuthorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	noFraming(w)
	p.reportUnavailable(ctx, w, err)
	if ar != nil && ar.IsRedirectURIValid() && ar.GetRedirectURI() != nil {
		p.writeAuthorizeErrorRedirect(ctx, w, ar, boundError(err))
		return
	}
	p.OAuth2Provider.WriteAuthorizeError(ctx, w, ar, boundError(err))
}

// WriteAuthorizeResponse writes the authorization response as fosite
// does, with the headers of noFraming and iss (RFC 9207).
func (p *Provider) WriteAuthorizeResponse(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, resp fosite.AuthorizeResponder) {
	noFraming(w)
	resp.AddParameter("iss", p.issuer)
	p.OAuth2Provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// writeAuthorizeErrorRedirect is fosite's error redirect (query or
// form_post, the response modes Gatehouse supports) plus the iss
// parameter RFC 9207 asks of every authorization response, errors
// included: fosite's writer has no way to add one.
func (p *Provider) writeAuthorizeErrorRedirect(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	rfc := fosite.ErrorToRFC6749Error(err).WithExposeDebug(false)
	values := rfc.ToValues()
	values.Set("state", ar.GetState())
	values.Set("iss", p.issuer)
	redirectURI := *ar.GetRedirectURI()
	redirectURI.Fragment = ""
	if ar.GetResponseMode() == fosite.ResponseModeFormPost {
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		tmpl := fosite.DefaultFormPostTemplate
		if f, ok := p.OAuth2Provider.(*fosite.Fosite); ok {
			tmpl = fosite.GetPostFormHTMLTemplate(ctx, f)
		}
		fosite.WriteAuthorizeFormPostResponse(redirectURI.String(), values, tmpl, w)
		return
	}
	for key, vs := range redirectURI.Query() {
		for _, v := range vs {
			values.Add(key, v)
		}
	}
	redirectURI.RawQuery = values.Encode()
	w.Header().Set("Location", redirectURI.String())
	w.WriteHeader(http.StatusSeeOther)
}

// noFraming sets the headers an authorization response carries: the
// form_post page holds a code (or an error) and submits itself, so no
// other site may frame it (clickjacking) and nothing may cache it. The CSP
// leaves fosite's self-submitting script alone.
func noFraming(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
}

// WriteAccessError writes err, bounded (boundError), as fosite does.
func (p *Provider) WriteAccessError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) {
	p.reportUnavailable(ctx, w, err)
	p.OAuth2Provider.WriteAccessError(ctx, w, ar, boundError(err))
}

// WriteIntrospectionError writes err, bounded (boundError), as fosite does.
func (p *Provider) WriteIntrospectionError(ctx context.Context, w http.ResponseWriter, err error) {
	if errors.Is(err, ErrStorageUnavailable) {
		// WriteAccessError below reports it.
		// fosite answers every error but a malformed request with
		// {"active": false}: a database failure is not an inactive token.
		p.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), err)
		return
	}
	p.OAuth2Provider.WriteIntrospectionError(ctx, w, boundError(err))
}

// WriteRevocationResponse writes the answer to a revocation request, its
// error bounded (boundError), as fosite does.
func (p *Provider) WriteRevocationResponse(ctx context.Context, w http.ResponseWriter, err error) {
	if errors.Is(err, ErrStorageUnavailable) {
		// fosite's revocation writer classifies by the cause (a failed
		// client lookup reads as invalid_client): answer the failure.
		p.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), err)
		return
	}
	if errors.Is(err, fosite.ErrTemporarilyUnavailable) {
		// fosite reports a token lookup that failed (rather than found
		// nothing) as temporarily_unavailable, without its cause, and
		// then writes 200 as if the token were revoked. The token may
		// still work: RFC 7009 section 2.2.1 answers 503, to retry.
		p.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), unavailable{cause: err})
		return
	}
	p.OAuth2Provider.WriteRevocationResponse(ctx, w, boundError(err))
}

// writeAccessResponse answers resp as fosite's WriteAccessResponse does
// (RFC 6749 section 5.1), with the body written by jsonobj; an error
// comes before anything is written.
func writeAccessResponse(w http.ResponseWriter, resp fosite.AccessResponder) error {
	body, err := jsonobj.Marshal(resp.ToMap())
	if err != nil {
		return fmt.Errorf("token response: %w", err)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// writeIntrospection answers an introspection request (RFC 7662 section
// 2.2) with body, written by jsonobj, and the headers fosite's writer
// sets; an error comes before anything is written.
func writeIntrospection(w http.ResponseWriter, body map[string]any) error {
	b, err := jsonobj.Marshal(body)
	if err != nil {
		return fmt.Errorf("introspection response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_, _ = w.Write(b)
	return nil
}
