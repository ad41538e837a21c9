package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"
)

// tokenProof checks the DPoP proof of a token request, if it has one and
// DPoP is on (a server without DPoP ignores the header, RFC 9449 section
// 5). The proof is checked before the grant is: a bad proof uses up no
// code. It returns the proof (empty JKT: none) or the error to answer.
func (t *Token) tokenProof(ctx context.Context, w http.ResponseWriter, r *http.Request) (dpopProof, error) {
	v := t.Provider.dpop
	if v == nil || len(r.Header.Values("DPoP")) == 0 {
		return dpopProof{}, nil
	}
	if v.nonce {
		w.Header().Set("DPoP-Nonce", v.currentNonce())
	}
	proof, err := v.verify(ctx, r, t.Provider.issuer+PathToken, "")
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
	sess.JKT = proof.JKT
	return nil
}

// requiresDPoP reports whether c is registered with require_dpop.
func requiresDPoP(c fosite.Client) bool {
	gc, ok := c.(*client)
	return ok && gc.requireDPoP
}
