package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

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
// with the headers of noFraming.
func (p *Provider) WriteAuthorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	noFraming(w)
	p.reportUnavailable(ctx, w, err)
	p.OAuth2Provider.WriteAuthorizeError(ctx, w, ar, boundError(err))
}

// WriteAuthorizeResponse writes the authorization response as fosite
// does, with the headers of noFraming.
func (p *Provider) WriteAuthorizeResponse(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, resp fosite.AuthorizeResponder) {
	noFraming(w)
	p.OAuth2Provider.WriteAuthorizeResponse(ctx, w, ar, resp)
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
