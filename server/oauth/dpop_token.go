package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"

	"github.com/ory/fosite"
)

// tokenProof checks the DPoP proof of a token request, if it has one and
// DPoP is on (a server without DPoP ignores the header, RFC 9449 section
// 5). The proof is checked before the grant is: a bad proof uses up no
// code. It returns the proof (empty JKT: none) or the error to answer.
func (t *Token) tokenProof(ctx context.Context, w http.ResponseWriter, r *http.Request) (dpopProof, error) {
	return t.Provider.requestProof(ctx, w, r, PathToken)
}

// requestProof checks the DPoP proof of a request to the endpoint at path
// (the token or the pushed authorization request endpoint), as tokenProof.
func (p *Provider) requestProof(ctx context.Context, w http.ResponseWriter, r *http.Request, path string) (dpopProof, error) {
	v := p.dpop
	if v == nil || len(r.Header.Values("DPoP")) == 0 {
		return dpopProof{}, nil
	}
	if v.nonce {
		w.Header().Set("DPoP-Nonce", v.currentNonce())
	}
	proof, err := v.verify(ctx, r, p.issuer+path, "")
	var de *DPoPError
	if errors.As(err, &de) {
		return proof, dpopTokenError(w, de)
	}
	if err != nil {
		return proof, fosite.ErrServerError.WithWrap(err)
	}
	return proof, nil
}

// dpopTokenError is a refused proof as a token-endpoint error (400,
// RFC 9449 sections 5 and 8), with the nonce to use.
func dpopTokenError(w http.ResponseWriter, de *DPoPError) error {
	if de.Nonce != "" {
		w.Header().Set("DPoP-Nonce", de.Nonce)
	}
	return &fosite.RFC6749Error{ErrorField: de.Code, DescriptionField: de.Description, CodeField: http.StatusBadRequest}
}

// errDPoPRequired refuses a token request without a proof from a client
// registered with require_dpop.
var errDPoPRequired = &fosite.RFC6749Error{ErrorField: "invalid_dpop_proof", CodeField: http.StatusBadRequest,
	DescriptionField: "This client must send a DPoP proof with every token request."}

// bindDPoP binds the tokens about to be issued to the proof's key, or
// issues bearer tokens without one. A client registered with
// require_dpop must send a proof; a public client's refresh token stays
// bound to the key it was issued for (RFC 9449 section 5).
func (t *Token) bindDPoP(ar fosite.AccessRequester, sess *Session, proof dpopProof) error {
	if proof.JKT == "" && requiresDPoP(ar.GetClient()) {
		return errDPoPRequired
	}
	if ar.GetGrantTypes().ExactOne("refresh_token") && ar.GetClient().IsPublic() && sess.JKT != "" && sess.JKT != proof.JKT {
		return &fosite.RFC6749Error{ErrorField: "invalid_dpop_proof", CodeField: http.StatusBadRequest,
			DescriptionField: "The refresh token is bound to a DPoP key: send a proof signed with that key."}
	}
	if ar.GetGrantTypes().ExactOne("authorization_code") && sess.JKT != "" && sess.JKT != proof.JKT {
		// RFC 9449 section 10: refused before the code is used, so that
		// its client can still redeem a code somebody else tried.
		return &fosite.RFC6749Error{ErrorField: "invalid_dpop_proof", CodeField: http.StatusBadRequest,
			DescriptionField: "The authorization code is bound to a DPoP key (dpop_jkt): send a proof signed with that key."}
	}
	sess.JKT = proof.JKT
	return nil
}

// requiresDPoP reports whether c is registered with require_dpop.
func requiresDPoP(c fosite.Client) bool {
	gc, ok := c.(*client)
	return ok && gc.requireDPoP
}

// checkCodeBinding checks the dpop_jkt of an authorization request (RFC
// 9449 section 10): a SHA-256 JWK thumbprint, base64url without padding,
// on a server with DPoP on (elsewhere the code could not be bound as the
// client asked).
func (p *Provider) checkCodeBinding(form url.Values) error {
	jkt := form.Get("dpop_jkt")
	if jkt == "" {
		return nil
	}
	if p.dpop == nil {
		return fosite.ErrInvalidRequest.WithHint("DPoP is not enabled on this server: dpop_jkt cannot be honoured.")
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(jkt); err != nil || len(b) != sha256.Size || len(jkt) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return fosite.ErrInvalidRequest.WithHint("dpop_jkt must be the base64url SHA-256 JWK thumbprint (RFC 7638) of a DPoP key.")
	}
	return nil
}

// bindPushedCode binds the code of a pushed request with a DPoP proof to
// the proof's key (RFC 9449 section 10.1), as dpop_jkt does; a dpop_jkt
// the request also has must name the same key.
func bindPushedCode(form url.Values, proof dpopProof) error {
	if proof.JKT == "" {
		return nil
	}
	if jkt := form.Get("dpop_jkt"); jkt != "" && jkt != proof.JKT {
		return &fosite.RFC6749Error{ErrorField: "invalid_dpop_proof", CodeField: http.StatusBadRequest,
			DescriptionField: "dpop_jkt and the DPoP proof name different keys."}
	}
	form.Set("dpop_jkt", proof.JKT)
	return nil
}
